// POST /v1/assign {"shop", "anon_id", "experiment", "session_id"?}: server-side assignment, the same answer as the
// storefront script, sticky through the assignments table (experiments/assignment_service.h).
// 200 {"experiment", "bucket_version", "in_experiment", "variant", "variation", "config", "sticky", "reason"?};
// 404 unknown shop or experiment; 400 bad input (naming the field).
#pragma once

#include "db/database.h"
#include "experiments/repository.h"
#include "http/router.h"

namespace pagelift::api {

void RegisterAssignRoutes(http::Router& router, db::Database& database, const experiments::Repository& repository);

}  // namespace pagelift::api
