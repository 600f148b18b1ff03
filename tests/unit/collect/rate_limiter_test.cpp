// The per-shop token bucket (collect/rate_limiter.h) and its settings (collect/options.h), on a fake clock.
#include "collect/rate_limiter.h"

#include <gtest/gtest.h>

#include <map>

#include "collect/options.h"

namespace pagelift::collect {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const ShopRateLimiter::TimePoint kStart{};

TEST(ShopRateLimiter, AdmitsTheBurstThenRefusesWithTheWaitUntilEnoughTokens) {
  ShopRateLimiter limiter(RateLimit{100, 1000});
  EXPECT_EQ(limiter.Take("a", 500, kStart), std::nullopt);
  EXPECT_EQ(limiter.Take("a", 500, kStart), std::nullopt);
  // Empty: 50 events need 0.5 s of refill, announced as a whole second.
  EXPECT_EQ(limiter.Take("a", 50, kStart), seconds(1));
  // 250 events need 2.5 s → 3.
  EXPECT_EQ(limiter.Take("a", 250, kStart), seconds(3));
  // A refused request takes nothing: after 0.5 s the 50 events fit exactly.
  EXPECT_EQ(limiter.Take("a", 50, kStart + milliseconds(500)), std::nullopt);
  EXPECT_EQ(limiter.Take("a", 1, kStart + milliseconds(500)), seconds(1));
}

TEST(ShopRateLimiter, ShopsHaveTheirOwnBuckets) {
  ShopRateLimiter limiter(RateLimit{10, 500});
  EXPECT_EQ(limiter.Take("a", 500, kStart), std::nullopt);
  EXPECT_NE(limiter.Take("a", 10, kStart), std::nullopt);
  EXPECT_EQ(limiter.Take("b", 500, kStart), std::nullopt);
}

TEST(ShopRateLimiter, RefillsAtTheRateUpToTheBurst) {
  ShopRateLimiter limiter(RateLimit{1000, 2000});
  EXPECT_EQ(limiter.Take("a", 2000 - 1, kStart), std::nullopt);
  // An hour later the bucket holds the burst, not an hour's worth.
  const auto later = kStart + std::chrono::hours(1);
  EXPECT_EQ(limiter.Take("a", 1000, later), std::nullopt);
  EXPECT_EQ(limiter.Take("a", 1000, later), std::nullopt);
  EXPECT_NE(limiter.Take("a", 1, later), std::nullopt);
  // Sustained: 1000 events per second pass, one more does not.
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(limiter.Take("a", 1000, later + seconds(i)), std::nullopt) << i;
  EXPECT_NE(limiter.Take("a", 1, later + seconds(5)), std::nullopt);
}

TEST(ShopRateLimiter, AFullBatchAlwaysFitsAnIdleBucketAndZeroRateDisables) {
  ShopRateLimiter tiny(RateLimit{1, 1});  // the burst is raised to one batch (500)
  EXPECT_EQ(tiny.Take("a", 500, kStart), std::nullopt);
  EXPECT_EQ(tiny.Take("a", 1, kStart), seconds(1));
  ShopRateLimiter off(RateLimit{0, 0});
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(off.Take("a", 500, kStart), std::nullopt);
}

TEST(ShopRateLimiter, ForgetsIdleShopsWhenTrackingTooManyWithoutLosingBusyOnes) {
  ShopRateLimiter limiter(RateLimit{1, 500}, 2);
  EXPECT_EQ(limiter.Take("busy", 500, kStart), std::nullopt);
  EXPECT_EQ(limiter.Take("idle", 0, kStart), std::nullopt);  // a bucket that stays full
  EXPECT_EQ(limiter.Take("new", 1, kStart), std::nullopt);   // at the cap: "idle" is forgotten, "busy" kept
  EXPECT_NE(limiter.Take("busy", 1, kStart), std::nullopt);
}

TEST(CollectorOptions, ReadsTheRateLimitFromTheEnvironment) {
  const auto env = [](std::map<std::string, std::string> values) -> EnvLookup {
    return [values](std::string_view name) -> std::optional<std::string> {
      auto it = values.find(std::string(name));
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  };
  auto defaults = LoadCollectorOptions(env({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->rate_limit.events_per_second, 20000);
  EXPECT_EQ(defaults->rate_limit.burst_events, 100000);

  auto set = LoadCollectorOptions(env({{"PAGELIFT_COLLECT_SHOP_RATE", "0"}, {"PAGELIFT_COLLECT_SHOP_BURST", "700"}}));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->rate_limit.events_per_second, 0);
  EXPECT_EQ(set->rate_limit.burst_events, 700);

  EXPECT_EQ(defaults->writer.flushers, 2);
  EXPECT_EQ(defaults->writer.max_delay, std::chrono::microseconds(2000));
  auto tuned = LoadCollectorOptions(env({{"PAGELIFT_COLLECT_FLUSHERS", "1"}, {"PAGELIFT_COLLECT_MAX_DELAY_US", "0"}}));
  ASSERT_TRUE(tuned.ok());
  EXPECT_EQ(tuned->writer.flushers, 1);
  EXPECT_EQ(tuned->writer.max_delay, std::chrono::microseconds(0));
  for (const char* bad : {"0", "5"}) {
    auto error = LoadCollectorOptions(env({{"PAGELIFT_COLLECT_FLUSHERS", bad}}));
    ASSERT_FALSE(error.ok()) << bad;
    EXPECT_NE(error.error().message.find("PAGELIFT_COLLECT_FLUSHERS"), std::string::npos);
  }

  for (const char* bad : {"-1", "ten", "12x", "1e9"}) {
    auto error = LoadCollectorOptions(env({{"PAGELIFT_COLLECT_SHOP_RATE", bad}}));
    ASSERT_FALSE(error.ok()) << bad;
    EXPECT_NE(error.error().message.find("PAGELIFT_COLLECT_SHOP_RATE"), std::string::npos);
  }
}

}  // namespace
}  // namespace pagelift::collect
