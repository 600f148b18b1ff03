// GET /api/sync. See sync.h.
#include "api/sync.h"

#include "http/responses.h"
#include "shopify/sync_runs.h"

namespace pagelift::api {

void RegisterSyncRoutes(http::Router& router, const AuthDeps& deps) {
  router.Add(http::Verb::get, "/api/sync",
             WithSession(deps, [&deps](http::Request&, http::RequestContext&,
                                       const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto runs = co_await deps.database.RunAsync(
                   db::TxOptions::ReadOnly(),
                   [&auth](pqxx::work& tx) { return shopify::LatestSyncRuns(tx, auth.shop_id); });
               co_return http::JsonResponse(http::Status::ok, {{"sync", std::move(runs)}});
             }));
}

}  // namespace pagelift::api
