#include "api/collect.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <fmt/format.h>
#include <memory>
#include <vector>

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

namespace {

// The contract's answer. Without rejections, the usual case, it is formatted at once rather than built as a JSON
// object and serialised.
http::Response CollectedResponse(const collect::CollectOutcome& outcome,
                                 const std::vector<collect::IndexedRejection>& rejected) {
  if (rejected.empty()) {
    return http::TextResponse(http::Status::ok,
                              fmt::format(R"({{"accepted":{},"duplicates":{},"rejected":[]}})", outcome.accepted,
                                          outcome.duplicates),
                              "application/json");
  }
  return http::JsonResponse(http::Status::ok, {{"accepted", outcome.accepted},
                                               {"duplicates", outcome.duplicates},
                                               {"rejected", collect::RejectedToJson(rejected)}});
}

// The request's arena (collect::Arena): its first block fits a typical batch, whose parsed form with the serialised
// props takes about 2.5 times the body's bytes.
std::unique_ptr<collect::Arena> RequestArena(const http::Request& request) {
  return std::make_unique<collect::Arena>(request.body().size() * 3 + 1024);
}

}  // namespace

boost::asio::awaitable<http::Response> HandleCollect(collect::Collector& collector, http::Request& request,
                                                     http::RequestContext& context,
                                                     std::optional<std::string> verified_shop) {
  if (collect::IsBotUserAgent(request[boost::beast::http::field::user_agent])) {
    collector.CountBot();
    co_return http::JsonResponse(http::Status::accepted,
                                 {{"accepted", 0}, {"duplicates", 0}, {"rejected", json::array{}}, {"bot", true}});
  }
  auto arena = RequestArena(request);
  auto body = http::ParseJsonBody(request, arena->storage());
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
  // The batch's events view its body; it stays in this frame until Collect() has committed them (collect::Writer).
  const auto now = std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now());
  auto batch = collect::ParseBatch(std::move(*body), now, collect::Limits(), std::move(arena));
  if (!batch) co_return http::ErrorResponse(batch.error());
  const auto outcome = co_await collector.Collect(batch->shop, std::move(batch->events), batch->rejected);
  if (!outcome) co_return http::ErrorResponse(outcome.error());
  context.shop = batch->shop;
  co_return CollectedResponse(*outcome, batch->rejected);
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
