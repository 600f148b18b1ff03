#include "api/collect.h"

#include <boost/beast/http/field.hpp>
#include <memory>

#include "collect/bots.h"
#include "collect/event.h"
#include "collect/event_store.h"
#include "http/responses.h"

namespace pagelift::api {

namespace json = boost::json;

namespace {

http::RouteOptions CollectRouteOptions() {
  http::RouteOptions options;
  options.max_body_bytes = 1 << 20;
  options.allow_gzip = true;
  options.max_decompressed_bytes = 4 << 20;
  // navigator.sendBeacon() with a string body sends text/plain (a "simple" request: no CORS preflight).
  options.content_types = {"application/json", "text/plain"};
  return options;
}

}  // namespace

void RegisterCollectRoutes(http::Router& router, db::Database& database) {
  auto store = std::make_shared<collect::EventStore>(database);
  router.Add(
      http::Verb::post, "/v1/collect",
      [&database, store](http::Request& request, http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
        if (collect::IsBotUserAgent(request[boost::beast::http::field::user_agent])) {
          co_return http::JsonResponse(http::Status::accepted,
                                       {{"accepted", 0}, {"duplicates", 0}, {"rejected", json::array{}}, {"bot", true}});
        }
        auto body = http::ParseJsonBody(request);
        if (!body) co_return http::ErrorResponse(body.error());
        auto batch = collect::ParseBatch(*body, std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()));
        if (!batch) co_return http::ErrorResponse(batch.error());

        // One transaction resolves the shop and stores the events; the answer is sent only after it committed.
        struct Stored {
          bool shop_known = false;
          size_t inserted = 0;
        };
        const Stored stored = co_await database.RunAsync([&](pqxx::work& tx) {
          Stored out;
          const auto shop = store->FindInstalledShop(tx, batch->shop);
          if (!shop) return out;
          out.shop_known = true;
          if (batch->events.empty()) return out;
          const collect::ShopBatch batches[] = {{*shop, batch->events}};
          out.inserted = store->Insert(tx, batches).front();
          return out;
        });
        if (!stored.shop_known) {
          co_return http::ErrorResponse(MakeError(ErrorCode::kForbidden, "unknown shop", {{"shop", batch->shop}}));
        }
        context.shop = batch->shop;
        const size_t accepted = batch->events.size();
        co_return http::JsonResponse(http::Status::ok, {{"accepted", accepted},
                                                        {"duplicates", accepted - stored.inserted},
                                                        {"rejected", collect::RejectedToJson(batch->rejected)}});
      },
      CollectRouteOptions());
}

}  // namespace pagelift::api
