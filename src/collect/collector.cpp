#include "collect/collector.h"

namespace pagelift::collect {

namespace {

// Built outside the coroutine (g++ 12 mishandles braced initialisers in coroutine bodies; docs/decisions.md).
Error UnknownShop(const std::string& public_id) {
  return MakeError(ErrorCode::kForbidden, "unknown shop", {{"shop", public_id}});
}

Error OverRateLimit(const std::string& public_id, const RateLimit& limit, std::chrono::seconds wait) {
  auto error = MakeError(ErrorCode::kTooManyRequests, "the shop is over its event rate limit; retry later",
                         {{"shop", public_id}, {"events_per_second", limit.events_per_second}});
  error.retry_after_seconds = static_cast<int>(wait.count());
  return error;
}

}  // namespace

Collector::Collector(db::Database& database, CollectorOptions options)
    : database_(database),
      options_(options),
      store_(database),
      rate_limiter_(options_.rate_limit),
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
    co_return UnknownShop(shop_public_id);
  }
  if (const auto wait = rate_limiter_.Take(shop->value, events.size() + rejected.size(),
                                           std::chrono::steady_clock::now())) {
    metrics_.AddRateLimited();
    co_return OverRateLimit(shop_public_id, options_.rate_limit, *wait);
  }
  for (const auto& entry : rejected) metrics_.AddRejected(entry.rejection.reason);
  const size_t accepted = events.size();
  const size_t inserted = co_await writer_.Write(std::move(*shop), std::move(events));
  if (inserted == kShopNotInstalled) {  // uninstalled since it was cached: forget it, so the next request is cheap
    ForgetShop(shop_public_id);
    metrics_.AddUnknownShopRequest();
    co_return UnknownShop(shop_public_id);
  }
  co_return CollectOutcome{accepted, accepted - inserted};
}

void Collector::ForgetShop(const std::string& public_id) {
  std::lock_guard lock(shops_mutex_);
  shops_.erase(public_id);
}

void Collector::AppendMetrics(std::string& out) const {
  metrics_.Append(out, writer_.queued_events(), writer_.queued_requests());
}

}  // namespace pagelift::collect
