// GET /api/sync: the authenticated shop's product and order syncs as sync_runs records them (src/shopify/sync_runs.h):
// {"sync": {"products": {"state", "objects_done", "errors", "last_error", "started_at", "finished_at",
// "bulk_operation_id"}, "orders": {…}}, "active": bool} — a kind never synced is absent; `active` is true while a sync
// job of the shop is queued or running (a queued job has no sync_runs row yet, so the admin keeps polling on it).
// POST /api/sync ("Sync now"): queues a full products and orders sync of the shop → 202 {"queued": ["products",
// "orders"]}; 409 when one is already queued or running. Session-token auth (src/api/session.h).
#pragma once

#include "api/session.h"
#include "http/router.h"

namespace pagelift::api {

// `deps` must outlive the router.
void RegisterSyncRoutes(http::Router& router, const AuthDeps& deps);

}  // namespace pagelift::api
