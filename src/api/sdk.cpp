#include "api/sdk.h"

#include <boost/beast/http/field.hpp>

#include "http/responses.h"

namespace pagelift::api {

using Field = boost::beast::http::field;

void AddStorefrontCors(http::Response& response) {
  response.set(Field::access_control_allow_origin, "*");
  response.set(Field::vary, "Accept-Encoding");
}

void RegisterStorefrontPreflight(http::Router& router, const std::string& pattern, const std::string& methods) {
  router.Add(http::Verb::options, pattern,
             [methods](http::Request&, http::RequestContext&) -> boost::asio::awaitable<http::Response> {
               http::Response response{http::Status::no_content, 11};
               AddStorefrontCors(response);
               response.set(Field::access_control_allow_methods, methods);
               response.set(Field::access_control_allow_headers, "Content-Type, If-None-Match");
               response.set(Field::access_control_max_age, "86400");
               co_return response;
             });
}

boost::asio::awaitable<http::Response> HandleSdk(db::Database& database, experiments::SdkDocumentCache& cache,
                                                 http::Request& request, http::RequestContext& context,
                                                 std::string public_id) {
  context.shop = public_id;
  auto document = cache.Cached(public_id);
  if (!document) document = co_await database.Offload([&cache, &public_id] { return cache.Get(public_id); });
  if (!document) {
    auto response = http::ErrorResponse(
        MakeError(ErrorCode::kNotFound, "no such shop", {{"shop", public_id}}));
    AddStorefrontCors(response);
    co_return response;
  }
  // Built field by field (not TextResponse, whose Cache-Control this would replace): this is the hottest GET.
  const bool not_modified = experiments::IfNoneMatchMatches(request[Field::if_none_match], document->etag);
  http::Response response(not_modified ? http::Status::not_modified : http::Status::ok, 11);
  if (!not_modified) {
    response.set(Field::content_type, "application/json");
    response.body() = document->body;
  }
  response.set(Field::etag, document->etag);
  response.set(Field::cache_control, "public, max-age=30");
  AddStorefrontCors(response);
  co_return response;
}

void RegisterSdkRoutes(http::Router& router, db::Database& database, experiments::SdkDocumentCache& cache) {
  router.Add(http::Verb::get, "/v1/sdk/{shop_public_id}.json",
             [&database, &cache](http::Request& request, http::RequestContext& context) {
               return HandleSdk(database, cache, request, context, context.params["shop_public_id"]);
             });
  RegisterStorefrontPreflight(router, "/v1/sdk/{shop_public_id}.json", "GET, HEAD, OPTIONS");
}

}  // namespace pagelift::api
