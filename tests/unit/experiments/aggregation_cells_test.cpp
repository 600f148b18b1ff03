// The aggregation's cell accumulator (CellDeltas, AddContribution): a visitor's contribution lands in the overall
// cell and each of their segments for every metric, removing it again leaves zero sums, and different (variant,
// segment) pairs never share sums.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "experiments/aggregation.h"

namespace pagelift::experiments {
namespace {

VisitorValues Buyer() {
  VisitorValues v;
  v.variant = "treatment";
  v.segments = {"device:mobile", "source:search", "visitor:new"};
  v.viewed = true;
  v.purchased = true;
  v.revenue_cents = 2500;
  v.orders = 2;
  return v;
}

TEST(CellDeltas, AContributionReachesEveryCellOfTheVisitor) {
  CellDeltas deltas;
  AddContribution(deltas, Buyer(), +1);
  std::set<std::tuple<std::string, std::string, Metric>> cells;
  deltas.ForEach([&](std::string_view variant, std::string_view segment, Metric metric, const CellSums& sums) {
    cells.emplace(std::string(variant), std::string(segment), metric);
    EXPECT_EQ(sums.n, 1);
  });
  EXPECT_EQ(cells.size(), 4u * kMetricCount);  // overall + three segments, every metric
  for (const char* segment : {"", "device:mobile", "source:search", "visitor:new"}) {
    SCOPED_TRACE(segment);
    EXPECT_EQ(deltas.At("treatment", segment, Metric::kViewRate).sum, 1);
    EXPECT_EQ(deltas.At("treatment", segment, Metric::kAddToCartRate).sum, 0);
    const CellSums aov = deltas.At("treatment", segment, Metric::kAverageOrderValue);
    EXPECT_EQ(aov.sum, 2500);
    EXPECT_EQ(aov.sum_squares, Int128{2500} * 2500);
    EXPECT_EQ(aov.denominator_sum, 2);
    EXPECT_EQ(aov.denominator_sum_squares, 4);
    EXPECT_EQ(aov.sum_products, 5000);
  }
  EXPECT_TRUE(deltas.At("control", "", Metric::kViewRate).IsZero());
  EXPECT_TRUE(deltas.At("treatment", "device:desktop", Metric::kViewRate).IsZero());
}

TEST(CellDeltas, PairsKeepTheirOwnSumsAndRemovalCancels) {
  CellDeltas deltas;
  VisitorValues other = Buyer();
  other.variant = "control";
  other.segments = {"device:desktop"};
  other.revenue_cents = 100;
  AddContribution(deltas, Buyer(), +1);
  AddContribution(deltas, other, +1);
  AddContribution(deltas, Buyer(), +1);
  EXPECT_EQ(deltas.At("treatment", "", Metric::kRevenuePerVisitor).n, 2);
  EXPECT_EQ(deltas.At("treatment", "", Metric::kRevenuePerVisitor).sum, 5000);
  EXPECT_EQ(deltas.At("control", "", Metric::kRevenuePerVisitor).sum, 100);
  EXPECT_EQ(deltas.At("control", "device:desktop", Metric::kRevenuePerVisitor).n, 1);
  EXPECT_TRUE(deltas.At("control", "device:mobile", Metric::kRevenuePerVisitor).IsZero());
  AddContribution(deltas, Buyer(), -1);
  AddContribution(deltas, Buyer(), -1);
  AddContribution(deltas, other, -1);
  int cells = 0;
  deltas.ForEach([&](std::string_view, std::string_view, Metric, const CellSums& sums) {
    ++cells;
    EXPECT_TRUE(sums.IsZero());
  });
  EXPECT_EQ(cells, 6 * kMetricCount);  // the pairs stay, with zero sums (WriteCells skips them)
}

}  // namespace
}  // namespace pagelift::experiments
