// GET /api/sync: the authenticated shop's product and order syncs as sync_runs records them (src/shopify/sync_runs.h):
// {"sync": {"products": {"state", "objects_done", "errors", "last_error", "started_at", "finished_at",
// "bulk_operation_id"}, "orders": {…}}} — a kind never synced is absent. Session-token auth (src/api/session.h).
#pragma once

#include "api/session.h"
#include "http/router.h"

namespace pagelift::api {

// `deps` must outlive the router.
void RegisterSyncRoutes(http::Router& router, const AuthDeps& deps);

}  // namespace pagelift::api
