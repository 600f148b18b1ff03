// Patches over HTTP, scoped to the session token's shop (src/api/session.h); the capability is recommend/patches.h.
//   GET  /api/recommendations/{id}/preview   what applying would change, read live: {preview: {changes: [{field,
//                                            before, after}], conflicts, allowed, refusal?, steps?, deep_link?}}
//   POST /api/recommendations/{id}/apply     → 200 {patch, changes} | {guided: {steps, deep_link}}
//   GET  /api/patches[?target=…]             → {patches: [...]} newest first
//   GET  /api/patches/{id}                   → {patch}
//   POST /api/patches/{id}/rollback          → 200 {patch} (status rolled_back)
//   GET  /api/audit-trail[?target=…&limit=n] → {entries: [{at, actor, action, target, reason, details, …}]}
// Errors: 403 product writes turned off (settings.allow_write_products), 404 unknown id or another shop's, 409 not
// pending / the target changed / a later version is applied / already rolled back (details say which), 400 bad query.
// Recommendation ids of another shop are 404 here: every query is keyed by the token's shop.
#pragma once

#include "api/session.h"
#include "http/router.h"
#include "recommend/patches.h"

namespace pagelift::api {

// `deps` and `patches` must outlive the router. Register before any /api/recommendations/{id}/{action} catch-all.
void RegisterPatchRoutes(http::Router& router, const AuthDeps& deps, recommend::PatchService& patches);

}  // namespace pagelift::api
