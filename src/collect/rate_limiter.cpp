#include "collect/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace pagelift::collect {

namespace {
constexpr double kMinBurst = 500;  // collect::Limits::max_events: one full batch always fits an idle bucket
}

ShopRateLimiter::ShopRateLimiter(RateLimit limit, size_t max_tracked_shops)
    : limit_(limit), max_tracked_shops_(std::max<size_t>(1, max_tracked_shops)) {
  limit_.burst_events = std::max(limit_.burst_events, kMinBurst);
}

std::optional<std::chrono::seconds> ShopRateLimiter::Take(std::string_view shop, size_t events, TimePoint now) {
  if (!enabled()) return std::nullopt;
  // A request larger than the bucket (only possible with a tiny burst) waits for a full bucket rather than forever.
  const double wanted = std::min(static_cast<double>(events), limit_.burst_events);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(shop));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_tracked_shops_) ForgetFullBuckets(now);
    it = buckets_.emplace(std::string(shop), Bucket{limit_.burst_events, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(limit_.burst_events, bucket.tokens + elapsed * limit_.events_per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= wanted) {
    bucket.tokens -= wanted;
    return std::nullopt;
  }
  const double wait = (wanted - bucket.tokens) / limit_.events_per_second;
  return std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))));
}

void ShopRateLimiter::ForgetFullBuckets(TimePoint now) {
  // A bucket that has refilled completely is the same as no bucket, so forgetting it changes nothing. When every
  // bucket is busy (a flood of distinct shops) all are dropped: too lenient for a moment rather than unbounded.
  std::erase_if(buckets_, [&](const auto& entry) {
    const double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + elapsed * limit_.events_per_second >= limit_.burst_events;
  });
  if (buckets_.size() >= max_tracked_shops_) buckets_.clear();
}

}  // namespace pagelift::collect
