#include "api/experiments.h"

#include <boost/json/array.hpp>
#include <optional>

#include "experiments/lifecycle.h"
#include "experiments/results.h"
#include "http/responses.h"

namespace pagelift::api {

namespace json = boost::json;
using experiments::Experiment;
using experiments::Status;

namespace {

http::RouteOptions JsonBody() {
  http::RouteOptions options;
  options.max_body_bytes = 64 * 1024;
  options.content_types = {"application/json"};
  return options;
}

// The lifecycle action named in the path, or nullopt ("reshuffle" is handled apart: it is not a transition).
std::optional<Status> ActionTarget(std::string_view action) {
  if (action == "start" || action == "resume") return Status::kRunning;
  if (action == "pause") return Status::kPaused;
  if (action == "stop") return Status::kStopped;
  if (action == "complete") return Status::kCompleted;
  if (action == "archive") return Status::kArchived;
  return std::nullopt;
}

// ?status=<name> of the list route; an unknown name is a 400.
Result<std::optional<Status>> StatusFilter(const http::Request& request) {
  const std::optional<std::string> value = QueryParam(request, "status");
  if (!value) return std::optional<Status>();
  const auto status = experiments::ParseStatus(*value);
  if (!status) {
    return MakeError(ErrorCode::kBadRequest, "status: unknown experiment status", {{"field", "status"}});
  }
  return std::optional<Status>(*status);
}

http::Response ExperimentResponse(http::Status status, const Result<Experiment>& experiment) {
  if (!experiment) return http::ErrorResponse(experiment.error());
  return http::JsonResponse(status, {{"experiment", experiments::ExperimentToJson(*experiment)}});
}

json::array ExperimentsJson(const std::vector<Experiment>& list) {
  json::array out;
  for (const Experiment& e : list) out.push_back(experiments::ExperimentToJson(e));
  return out;
}

}  // namespace

void RegisterExperimentRoutes(http::Router& router, const AuthDeps& deps, const experiments::Repository& repository) {
  const experiments::Repository* repo = &repository;
  router.Add(http::Verb::get, "/api/experiments",
             WithSession(deps, [&deps, repo](http::Request& request, http::RequestContext&,
                                             const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto filter = StatusFilter(request);
               if (!filter) co_return http::ErrorResponse(filter.error());
               const std::optional<Status> status = *filter;
               auto work = [repo, &auth, &status](pqxx::work& tx) {
                 return experiments::ListExperiments(tx, *repo, auth.shop_id, status);
               };
               auto list = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), work);
               co_return http::JsonResponse(http::Status::ok, {{"experiments", ExperimentsJson(list)}});
             }));

  router.Add(http::Verb::post, "/api/experiments",
             WithSession(deps, [&deps, repo](http::Request& request, http::RequestContext&,
                                             const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto body = http::ParseJsonBody(request);
               if (!body) co_return http::ErrorResponse(body.error());
               const json::value& definition = *body;
               auto work = [repo, &auth, &definition](pqxx::work& tx) {
                 return experiments::CreateExperiment(tx, *repo, auth.shop_id, definition);
               };
               auto created = co_await deps.database.RunAsync(work);
               co_return ExperimentResponse(http::Status::created, created);
             }),
             JsonBody());

  router.Add(http::Verb::get, "/api/experiments/{id}",
             WithSession(deps, [&deps, repo](http::Request&, http::RequestContext& context,
                                             const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto work = [repo, &auth, &id](pqxx::work& tx) {
                 return experiments::GetExperiment(tx, *repo, auth.shop_id, id);
               };
               auto experiment = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), work);
               co_return ExperimentResponse(http::Status::ok, experiment);
             }));

  router.Add(http::Verb::patch, "/api/experiments/{id}",
             WithSession(deps, [&deps, repo](http::Request& request, http::RequestContext& context,
                                             const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto body = http::ParseJsonBody(request);
               if (!body) co_return http::ErrorResponse(body.error());
               const std::string id = context.params["id"];
               const json::value& patch = *body;
               auto work = [repo, &auth, &id, &patch](pqxx::work& tx) {
                 return experiments::UpdateExperiment(tx, *repo, auth.shop_id, id, patch);
               };
               auto updated = co_await deps.database.RunAsync(work);
               co_return ExperimentResponse(http::Status::ok, updated);
             }),
             JsonBody());

  router.Add(http::Verb::post, "/api/experiments/{id}/{action}",
             WithSession(deps, [&deps, repo](http::Request&, http::RequestContext& context,
                                             const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               const std::string action = context.params["action"];
               const std::optional<Status> target = ActionTarget(action);
               if (!target && action != "reshuffle") {
                 co_return http::ErrorResponse(MakeError(ErrorCode::kNotFound, "no such experiment action",
                                                         {{"action", action}}));
               }
               auto work = [repo, &auth, &id, &target](pqxx::work& tx) {
                 return target ? experiments::TransitionExperiment(tx, *repo, auth.shop_id, id, *target)
                               : experiments::BumpBucketVersion(tx, *repo, auth.shop_id, id);
               };
               auto changed = co_await deps.database.RunAsync(work);
               co_return ExperimentResponse(http::Status::ok, changed);
             }));

  router.Add(http::Verb::get, "/api/experiments/{id}/results",
             WithSession(deps, [&deps, repo](http::Request&, http::RequestContext& context,
                                             const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto work = [repo, &auth, &id](pqxx::work& tx) -> Result<json::object> {
                 auto results = experiments::ComputeResults(tx, *repo, auth.shop_id, id);
                 if (!results) return results.error();
                 return experiments::ResultsToJson(*results);
               };
               auto results = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), work);
               if (!results) co_return http::ErrorResponse(results.error());
               co_return http::JsonResponse(http::Status::ok, *results);
             }));
}

}  // namespace pagelift::api
