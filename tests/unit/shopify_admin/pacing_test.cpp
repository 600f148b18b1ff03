// Cost-bucket pacing and Retry-After parsing (shopify-platform.md, "Admin GraphQL API").
#include <gtest/gtest.h>

#include <chrono>

#include "shopify/admin_client.h"

namespace pagelift::shopify {
namespace {
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(CostBucket, UnknownBucketNeverWaits) {
  CostBucket bucket;
  EXPECT_EQ(bucket.WaitFor(1000, CostBucket::Clock::now()), milliseconds(0));
}

TEST(CostBucket, RestoresLinearlyUpToTheMaximum) {
  CostBucket bucket;
  const auto t0 = CostBucket::Clock::time_point{} + seconds(100);
  bucket.Observe(2000, 100, 100, t0);
  EXPECT_DOUBLE_EQ(bucket.Available(t0), 100);
  EXPECT_DOUBLE_EQ(bucket.Available(t0 + seconds(5)), 600);
  EXPECT_DOUBLE_EQ(bucket.Available(t0 + seconds(60)), 2000);
}

TEST(CostBucket, WaitsExactlyUntilTheCostFits) {
  CostBucket bucket;
  const auto t0 = CostBucket::Clock::time_point{} + seconds(100);
  bucket.Observe(2000, 50, 100, t0);
  EXPECT_EQ(bucket.WaitFor(50, t0), milliseconds(0));
  EXPECT_EQ(bucket.WaitFor(250, t0), milliseconds(2000));     // 200 points at 100/s
  EXPECT_EQ(bucket.WaitFor(250, t0 + seconds(1)), milliseconds(1000));
  EXPECT_EQ(bucket.WaitFor(5000, t0), milliseconds(19500));   // capped at a full bucket
}

TEST(CostBucket, SpendingReservesPoints) {
  CostBucket bucket;
  const auto t0 = CostBucket::Clock::time_point{} + seconds(100);
  bucket.Observe(1000, 300, 50, t0);
  bucket.Spend(200, t0);
  EXPECT_DOUBLE_EQ(bucket.Available(t0), 100);
  EXPECT_EQ(bucket.WaitFor(200, t0), milliseconds(2000));
}

TEST(RetryAfter, IsSecondsNotMilliseconds) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(ParseRetryAfter("2", now), milliseconds(2000));
  EXPECT_EQ(ParseRetryAfter(" 1 ", now), milliseconds(1000));
  EXPECT_EQ(ParseRetryAfter("1.5", now), milliseconds(1500));
  EXPECT_EQ(ParseRetryAfter("0", now), milliseconds(0));
}

TEST(RetryAfter, AcceptsAnHttpDate) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), milliseconds(30000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), milliseconds(0));  // in the past
}

TEST(RetryAfter, RejectsGarbage) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("2s", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("999999999", now), std::nullopt);
}

}  // namespace
}  // namespace pagelift::shopify
