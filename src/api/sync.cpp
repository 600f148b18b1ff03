// GET and POST /api/sync. See sync.h.
#include "api/sync.h"

#include <boost/json/array.hpp>

#include "http/responses.h"
#include "shopify/bulk_sync.h"
#include "shopify/sync_runs.h"

namespace pagelift::api {

namespace json = boost::json;

namespace {

// Whether a bulk_sync job of the shop is queued or running. Looks jobs up by the dedupe key EnqueueSync gives them
// ("{shop_id}:{kind}"), which the partial unique index idx_jobs_dedupe covers: the jobs table keeps finished jobs.
bool SyncActive(pqxx::work& tx, const std::string& shop_id) {
  const auto row = tx.exec_params(
      "SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND dedupe_key IN ($2 || ':products', $2 || ':orders') "
      "  AND dedupe_key IS NOT NULL AND status IN ('queued', 'running'))",
      std::string(shopify::kBulkSyncJobKind), shop_id);
  return row[0][0].as<bool>();
}

json::object StatusBody(pqxx::work& tx, const std::string& shop_id) {
  return {{"sync", shopify::LatestSyncRuns(tx, shop_id)}, {"active", SyncActive(tx, shop_id)}};
}

// Both kinds are queued as separate jobs, as at install (bulk_sync.cpp): the second waits while the first's bulk
// operation runs. False when a sync of the shop was already queued or running (nothing is queued then).
bool QueueFullSync(pqxx::work& tx, const std::string& shop_id) {
  if (SyncActive(tx, shop_id)) return false;
  const bool products = shopify::EnqueueSync(tx, shop_id, shopify::SyncKind::kProducts);
  const bool orders = shopify::EnqueueSync(tx, shop_id, shopify::SyncKind::kOrders);
  return products || orders;  // both false: a concurrent request queued them between the check and here
}

http::Response QueuedResponse(bool queued) {
  if (!queued) {
    return http::ErrorResponse(MakeError(ErrorCode::kConflict,
                                         "a sync of this store is already running; wait for it to finish "
                                         "(its progress is shown here) before starting another"));
  }
  return http::JsonResponse(http::Status::accepted, json::object{{"queued", json::array{"products", "orders"}}});
}

}  // namespace

void RegisterSyncRoutes(http::Router& router, const AuthDeps& deps) {
  router.Add(http::Verb::get, "/api/sync",
             WithSession(deps, [&deps](http::Request&, http::RequestContext&,
                                       const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto body = co_await deps.database.RunAsync(
                   db::TxOptions::ReadOnly(), [&auth](pqxx::work& tx) { return StatusBody(tx, auth.shop_id); });
               co_return http::JsonResponse(http::Status::ok, body);
             }));
  router.Add(http::Verb::post, "/api/sync",
             WithSession(deps, [&deps](http::Request&, http::RequestContext&,
                                       const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const bool queued = co_await deps.database.RunAsync(
                   [&auth](pqxx::work& tx) { return QueueFullSync(tx, auth.shop_id); });
               if (queued && deps.on_enqueued) deps.on_enqueued();
               co_return QueuedResponse(queued);
             }));
}

}  // namespace pagelift::api
