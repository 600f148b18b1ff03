#include "api/assign.h"

#include <boost/beast/http/field.hpp>

#include "api/sdk.h"
#include "experiments/assignment_service.h"
#include "http/responses.h"

namespace pagelift::api {

namespace {

http::RouteOptions AssignRouteOptions() {
  http::RouteOptions options;
  options.max_body_bytes = 4 * 1024;
  // text/plain keeps a storefront's cross-origin call a "simple" request (no CORS preflight).
  options.content_types = {"application/json", "text/plain"};
  return options;
}

http::Response WithCors(http::Response response) {
  AddStorefrontCors(response);
  return response;
}

}  // namespace

void RegisterAssignRoutes(http::Router& router, db::Database& database, const experiments::Repository& repository) {
  router.Add(
      http::Verb::post, "/v1/assign",
      [&database, &repository](http::Request& request,
                               http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
        auto body = http::ParseJsonBody(request);
        if (!body) co_return WithCors(http::ErrorResponse(body.error()));
        auto parsed = experiments::ParseAssignRequest(*body);
        if (!parsed) co_return WithCors(http::ErrorResponse(parsed.error()));
        context.shop = parsed->shop;
        // Only reference captures: g++ 12 may destroy a temporary inside a co_await expression twice, which is
        // harmless only for a lambda that owns nothing (the request lives in this coroutine's frame).
        const experiments::AssignRequest& assign = *parsed;
        auto work = [&repository, &assign](pqxx::work& tx) { return experiments::AssignVisitor(tx, repository, assign); };
        auto outcome = co_await database.RunAsync(work);
        if (!outcome) co_return WithCors(http::ErrorResponse(outcome.error()));
        co_return WithCors(http::JsonResponse(http::Status::ok, experiments::AssignOutcomeToJson(*outcome)));
      },
      AssignRouteOptions());
  // A caller sending Content-Type: application/json from a storefront triggers a preflight.
  RegisterStorefrontPreflight(router, "/v1/assign", "POST, OPTIONS");
}

}  // namespace pagelift::api
