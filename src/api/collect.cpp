#include "api/collect.h"

#include <boost/beast/http/field.hpp>
#include <memory>

#include "collect/bots.h"
#include "collect/event.h"
#include "http/responses.h"

namespace pagelift::api {

namespace json = boost::json;

http::RouteOptions CollectRouteOptions() {
  http::RouteOptions options;
  options.max_body_bytes = 1 << 20;
  options.allow_gzip = true;
  options.max_decompressed_bytes = 4 << 20;
  // navigator.sendBeacon() with a string body sends text/plain (a "simple" request: no CORS preflight).
  options.content_types = {"application/json", "text/plain"};
  return options;
}

boost::asio::awaitable<http::Response> HandleCollect(collect::Collector& collector, http::Request& request,
                                                     http::RequestContext& context,
                                                     std::optional<std::string> verified_shop) {
  if (collect::IsBotUserAgent(request[boost::beast::http::field::user_agent])) {
    collector.CountBot();
    co_return http::JsonResponse(http::Status::accepted,
                                 {{"accepted", 0}, {"duplicates", 0}, {"rejected", json::array{}}, {"bot", true}});
  }
  auto body = http::ParseJsonBody(request);
  if (!body) co_return http::ErrorResponse(body.error());
  if (verified_shop && body->is_object()) {
    json::object& envelope = body->as_object();
    const json::value* named = envelope.if_contains("shop");
    if (named == nullptr || named->is_null()) {
      envelope["shop"] = *verified_shop;
    } else if (!named->is_string() || named->as_string() != *verified_shop) {
      co_return http::ErrorResponse(MakeError(ErrorCode::kForbidden, "the batch names another shop than the request",
                                              {{"shop", *verified_shop}}));
    }
  }
  auto batch = collect::ParseBatch(*body, std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()));
  if (!batch) co_return http::ErrorResponse(batch.error());
  const auto outcome = co_await collector.Collect(batch->shop, std::move(batch->events), batch->rejected);
  if (!outcome) co_return http::ErrorResponse(outcome.error());
  context.shop = batch->shop;
  co_return http::JsonResponse(http::Status::ok, {{"accepted", outcome->accepted},
                                                  {"duplicates", outcome->duplicates},
                                                  {"rejected", collect::RejectedToJson(batch->rejected)}});
}

void RegisterCollectRoutes(http::Router& router, collect::Collector& collector) {
  router.Add(
      http::Verb::post, "/v1/collect",
      [&collector](http::Request& request, http::RequestContext& context) {
        return HandleCollect(collector, request, context);
      },
      CollectRouteOptions());
}

}  // namespace pagelift::api
