// The per-shop rate limit of the collector (issue #4: "429 (over the shop's rate limit, with Retry-After)"): one token
// bucket per shop, in each server's memory. A bucket holds up to `burst` events and refills at `events_per_second`;
// a request takes one token per event it carries. The limit exists so that one shop (a runaway script, a replay
// attack with a valid public id) cannot take the whole collector from the others; it is per server, so N servers
// behind a load balancer admit N times the rate, which is fine for that purpose and needs no coordination.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pagelift::collect {

struct RateLimit {
  // 0 disables the limit. The default is far above a big store's real traffic: a storefront with 20,000 shoppers on
  // it at once sends about one event per shopper every few seconds, i.e. a few thousand events per second.
  double events_per_second = 20000;
  // Bucket size: what a shop may send at once after a quiet spell. Never below one full batch (500 events), so that
  // a single valid request can always pass an idle bucket.
  double burst_events = 100000;
};

class ShopRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit ShopRateLimiter(RateLimit limit, size_t max_tracked_shops = 100000);

  // Takes `events` tokens from `shop`'s bucket. nullopt: allowed. Otherwise nothing is taken and the value is how
  // long the sender should wait (whole seconds, at least 1: the Retry-After header).
  std::optional<std::chrono::seconds> Take(std::string_view shop, size_t events, TimePoint now);

  bool enabled() const { return limit_.events_per_second > 0; }

 private:
  struct Bucket {
    double tokens;
    TimePoint updated;
  };
  void ForgetFullBuckets(TimePoint now);  // caller holds mutex_

  RateLimit limit_;
  size_t max_tracked_shops_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace pagelift::collect
