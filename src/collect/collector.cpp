#include "collect/collector.h"

namespace pagelift::collect {

Collector::Collector(db::Database& database, CollectorOptions options)
    : database_(database),
      options_(options),
      store_(database),
      writer_(database, store_, metrics_, options_.writer) {}

Collector::~Collector() { Stop(); }

boost::asio::awaitable<std::optional<ShopId>> Collector::ResolveShop(const std::string& public_id) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(shops_mutex_);
    if (auto it = shops_.find(public_id); it != shops_.end() && it->second.expires > now) co_return it->second.shop;
  }
  // Concurrent misses for one shop may each query; that is rare and harmless (the result is the same).
  auto shop = co_await database_.RunAsync(
      db::TxOptions::ReadOnly(), [this, &public_id](pqxx::work& tx) { return store_.FindInstalledShop(tx, public_id); });
  std::lock_guard lock(shops_mutex_);
  if (shops_.size() >= options_.max_cached_shops) shops_.clear();
  shops_[public_id] = CachedShop{shop, now + (shop ? options_.shop_ttl : options_.unknown_shop_ttl)};
  co_return shop;
}

boost::asio::awaitable<Result<CollectOutcome>> Collector::Collect(const std::string& shop_public_id,
                                                                  std::vector<Event> events,
                                                                  const std::vector<IndexedRejection>& rejected) {
  auto shop = co_await ResolveShop(shop_public_id);
  if (!shop) {
    metrics_.AddUnknownShopRequest();
    co_return MakeError(ErrorCode::kForbidden, "unknown shop", {{"shop", shop_public_id}});
  }
  for (const auto& entry : rejected) metrics_.AddRejected(entry.rejection.reason);
  const size_t accepted = events.size();
  const size_t inserted = co_await writer_.Write(std::move(*shop), std::move(events));
  co_return CollectOutcome{accepted, accepted - inserted};
}

void Collector::AppendMetrics(std::string& out) const {
  metrics_.Append(out, writer_.queued_events(), writer_.queued_requests());
}

}  // namespace pagelift::collect
