// /api/experiments: the embedded admin's experiments, scoped to the session token's shop (src/api/session.h).
//   GET  /api/experiments[?status=running]     list
//   POST /api/experiments                      create a draft (definition in experiments/definition.h)
//   GET  /api/experiments/{id}                 one
//   PATCH /api/experiments/{id}                partial update (weights of a running experiment; variants frozen)
//   POST /api/experiments/{id}/{action}        start | pause | resume | stop | complete | archive | reshuffle
//   GET  /api/experiments/{id}/results         statistics, SRM, sufficiency and the decision (experiments/results.h)
// Errors: 400 naming the field, 404 unknown (or another shop's) experiment, 409 a transition the lifecycle forbids.
#pragma once

#include "api/session.h"
#include "experiments/repository.h"
#include "http/router.h"

namespace pagelift::api {

// `deps` and `repository` must outlive the router.
void RegisterExperimentRoutes(http::Router& router, const AuthDeps& deps, const experiments::Repository& repository);

}  // namespace pagelift::api
