// The collector capability used by POST /v1/collect (and by anything else that ingests events, e.g. server-side
// senders or a future Kafka consumer): resolves the shop, hands the valid events to the group-commit Writer, counts
// everything for /metrics. Knows nothing of HTTP.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "collect/event.h"
#include "collect/event_store.h"
#include "collect/metrics.h"
#include "collect/rate_limiter.h"
#include "collect/writer.h"
#include "core/error.h"
#include "db/database.h"

namespace pagelift::collect {

struct CollectorOptions {
  WriterOptions writer;
  // Shops are looked up by public id once and remembered for shop_ttl (the id → shops.id mapping does not change);
  // whether the shop is still installed is checked again by every group commit, so an uninstall takes effect at
  // once. An unknown id is re-checked after unknown_shop_ttl (a shop installed a moment ago).
  std::chrono::seconds shop_ttl{60};
  std::chrono::seconds unknown_shop_ttl{5};
  size_t max_cached_shops = 100000;  // the cache is cleared when it reaches this (random ids cannot grow it forever)
  RateLimit rate_limit;              // per shop, counted in events (valid and rejected alike: both cost us)
};

struct CollectOutcome {
  size_t accepted = 0;    // valid events, now durable
  size_t duplicates = 0;  // of those, already stored before (redeliveries)
};

class Collector {
 public:
  Collector(db::Database& database, CollectorOptions options = {});
  ~Collector();  // Stop()
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Stores the batch's valid events; resumes only after they are committed. Errors: kForbidden "unknown shop" when the
  // public id names no installed shop; kTooManyRequests (with retry_after_seconds) when the shop is over its rate. Throws db::Unavailable (→ 503 + Retry-After) when the queue is full or
  // PostgreSQL is unreachable.
  // Takes the batch's events (they are stored); the caller keeps shop and rejections.
  boost::asio::awaitable<Result<CollectOutcome>> Collect(const std::string& shop_public_id, std::vector<Event> events,
                                                         const std::vector<IndexedRejection>& rejected);

  // A request refused because its User-Agent is a bot (counted only).
  void CountBot() { metrics_.AddBotRequest(); }

  // Prometheus text for /metrics (http::Metrics::AddSource).
  void AppendMetrics(std::string& out) const;

  // Commits what is queued and stops; later calls to Collect() throw db::Unavailable.
  void Stop() { writer_.Stop(); }

 private:
  boost::asio::awaitable<std::optional<ShopId>> ResolveShop(const std::string& public_id);
  void ForgetShop(const std::string& public_id);

  struct CachedShop {
    std::optional<ShopId> shop;
    std::chrono::steady_clock::time_point expires;
  };

  db::Database& database_;
  CollectorOptions options_;
  EventStore store_;
  CollectMetrics metrics_;
  ShopRateLimiter rate_limiter_;
  Writer writer_;
  std::mutex shops_mutex_;
  std::unordered_map<std::string, CachedShop> shops_;
};

}  // namespace pagelift::collect
