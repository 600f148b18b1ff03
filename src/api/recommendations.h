// /api/recommendations and /api/shop/health: the embedded admin's audit results, scoped to the session token's shop
// (src/api/session.h).
//   GET  /api/recommendations[?category=&severity=&status=&entity_id=&limit=&offset=]
//                                             list, sorted by expected impact (status defaults to every status)
//   GET  /api/recommendations/{id}            one
//   POST /api/recommendations/audit           re-audit the whole shop now → the run's summary and the health score
//   POST /api/recommendations/{id}/dismiss    pending → dismissed (stays dismissed until the product changes)
//   GET  /api/shop/health                     the store health score for the admin's Overview
// Errors: 400 naming the bad query parameter, 404 unknown (or another shop's) recommendation, 409 dismissing a
// resolved or applied one. Apply / preview / rollback live in src/api/patches.cpp.
#pragma once

#include "api/session.h"
#include "http/router.h"
#include "recommend/audit_service.h"

namespace pagelift::api {

// `deps` and `audit` must outlive the router.
void RegisterRecommendationRoutes(http::Router& router, const AuthDeps& deps, const recommend::AuditService& audit);

}  // namespace pagelift::api
