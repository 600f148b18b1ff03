// POST /v1/assign {"shop", "anon_id", "experiment", "session_id"?}: server-side assignment, the same answer as the
// storefront script, sticky through the assignments table (experiments/assignment_service.h).
// 200 {"experiment", "bucket_version", "in_experiment", "variant", "variation", "config", "sticky", "reason"?};
// 404 unknown shop or experiment; 400 bad input (naming the field).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "db/database.h"
#include "experiments/repository.h"
#include "http/router.h"

namespace pagelift::api {

void RegisterAssignRoutes(http::Router& router, db::Database& database, const experiments::Repository& repository);

// The assignment of one request. With `verified_shop` (the app proxy's signed shop, as a public id) the body may
// omit "shop" and may not name another one (403).
boost::asio::awaitable<http::Response> HandleAssign(db::Database& database, const experiments::Repository& repository,
                                                    http::Request& request, http::RequestContext& context,
                                                    const std::string* verified_shop);

// The route options of an assignment request (a small JSON or text/plain body).
http::RouteOptions AssignRouteOptions();

}  // namespace pagelift::api
