// The experiment lifecycle: every (from, to) pair against the table of allowed transitions.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "experiments/definition.h"

namespace pagelift::experiments {
namespace {

constexpr Status kAll[] = {Status::kDraft,   Status::kRunning,   Status::kPaused,
                           Status::kStopped, Status::kCompleted, Status::kArchived};

TEST(LifecycleTest, OnlyTheDocumentedTransitionsAreAllowed) {
  const std::set<std::pair<Status, Status>> allowed = {
      {Status::kDraft, Status::kRunning},       {Status::kDraft, Status::kArchived},
      {Status::kRunning, Status::kPaused},      {Status::kRunning, Status::kStopped},
      {Status::kRunning, Status::kCompleted},   {Status::kPaused, Status::kRunning},
      {Status::kPaused, Status::kStopped},      {Status::kPaused, Status::kCompleted},
      {Status::kStopped, Status::kCompleted},   {Status::kStopped, Status::kArchived},
      {Status::kCompleted, Status::kArchived},
  };
  for (Status from : kAll) {
    for (Status to : kAll) {
      const bool expected = allowed.contains({from, to});
      EXPECT_EQ(CanTransition(from, to), expected) << StatusName(from) << " -> " << StatusName(to);
      const auto error = CheckTransition(from, to);
      EXPECT_EQ(error.has_value(), !expected);
      if (error) {
        EXPECT_EQ(error->code, ErrorCode::kConflict);
        EXPECT_EQ(error->details.at("status").as_string(), StatusName(from));
        EXPECT_EQ(error->details.at("requested").as_string(), StatusName(to));
      }
    }
  }
}

TEST(LifecycleTest, StatusNamesRoundTrip) {
  for (Status s : kAll) EXPECT_EQ(ParseStatus(StatusName(s)), s);
  EXPECT_FALSE(ParseStatus("Running").has_value());
}

TEST(LifecycleTest, MetricNamesRoundTrip) {
  for (Metric m : kAllMetrics) EXPECT_EQ(ParseMetric(MetricName(m)), m);
  EXPECT_FALSE(ParseMetric("").has_value());
}

TEST(LifecycleTest, KnownSegments) {
  EXPECT_TRUE(IsKnownSegment(""));
  EXPECT_TRUE(IsKnownSegment("device:mobile"));
  EXPECT_TRUE(IsKnownSegment("source:referral"));
  EXPECT_FALSE(IsKnownSegment("device:"));
  EXPECT_FALSE(IsKnownSegment("source:tv"));
}

}  // namespace
}  // namespace pagelift::experiments
