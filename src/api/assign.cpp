#include "api/assign.h"

#include <boost/beast/http/field.hpp>
#include <optional>

#include "api/sdk.h"
#include "experiments/assignment_service.h"
#include "http/responses.h"

namespace pagelift::api {

namespace {

http::Response WithCors(http::Response response) {
  AddStorefrontCors(response);
  return response;
}

// Built outside the coroutine (g++ 12 mishandles braced initialisers in coroutine bodies; docs/decisions.md).
Error OtherShop(const std::string& verified_shop) {
  return MakeError(ErrorCode::kForbidden, "the body names another shop than the request", {{"shop", verified_shop}});
}

// The proxy's verified shop stands for the body's "shop": filled in when absent, refused when different.
std::optional<Error> TakeVerifiedShop(boost::json::value& body, const std::string& verified_shop) {
  if (!body.is_object()) return std::nullopt;  // ParseAssignRequest names the problem
  auto& object = body.as_object();
  if (const auto* shop = object.if_contains("shop")) {
    if (!shop->is_string() || shop->as_string() != verified_shop) return OtherShop(verified_shop);
  }
  object["shop"] = verified_shop;
  return std::nullopt;
}

}  // namespace

http::RouteOptions AssignRouteOptions() {
  http::RouteOptions options;
  options.max_body_bytes = 4 * 1024;
  // text/plain keeps a storefront's cross-origin call a "simple" request (no CORS preflight).
  options.content_types = {"application/json", "text/plain"};
  return options;
}

boost::asio::awaitable<http::Response> HandleAssign(db::Database& database, const experiments::Repository& repository,
                                                    http::Request& request, http::RequestContext& context,
                                                    const std::string* verified_shop) {
  auto body = http::ParseJsonBody(request);
  if (!body) co_return WithCors(http::ErrorResponse(body.error()));
  if (verified_shop) {
    if (auto refused = TakeVerifiedShop(*body, *verified_shop)) co_return WithCors(http::ErrorResponse(*refused));
  }
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
}

void RegisterAssignRoutes(http::Router& router, db::Database& database, const experiments::Repository& repository) {
  router.Add(
      http::Verb::post, "/v1/assign",
      [&database, &repository](http::Request& request,
                               http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
        co_return co_await HandleAssign(database, repository, request, context, nullptr);
      },
      AssignRouteOptions());
  // A caller sending Content-Type: application/json from a storefront triggers a preflight.
  RegisterStorefrontPreflight(router, "/v1/assign", "POST, OPTIONS");
}

}  // namespace pagelift::api
