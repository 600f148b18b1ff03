// The aggregation's streamed path (first runs and recomputations: COPY streams in visitor order, in chunks of
// visitors, new visitor rows copied straight into experiment_visitors) against its batched path: the same aggregates
// and the same stored visitors for any chunk size, with text that COPY's format must escape (tabs, newlines,
// backslashes, non-ASCII) in every event column the aggregation reads. And experiment_visitors rows go with their
// experiment and their shop (migration 0015 replaced the foreign keys with a trigger).
#include <fmt/format.h>

#include <algorithm>

#include "experiments/aggregation.h"
#include "experiments_harness.h"

namespace pagelift::testing {
namespace {

using experiments::AggregationOptions;

class AggregationStreamedTest : public ExperimentsFixture {
 protected:
  // Assignments and events of `visitors` visitors of `experiment_id` (visitor v0 is assigned but has no event).
  void InsertVisitors(const std::string& experiment_id, const std::string& prefix, int visitors) {
    database_.Run([&](pqxx::work& tx) {
      for (int v = 0; v < visitors; ++v) {
        const std::string anon = fmt::format("{}-{}", prefix, v);
        const std::string variant = v % 2 == 0 ? "control" : "treatment";
        tx.exec_params(
            "INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at) "
            "VALUES ($1, $2::uuid, $3, 's', $4, to_timestamp(1800000000 + $5))",
            shop_id_, experiment_id, anon, variant, v);
        if (v == 0) continue;
        // Props full of what COPY's text format escapes; the session id too (the fold state stores it).
        const std::string props = fmt::format(
            R"({{"device": "{}", "referrer": "https://x.example/a\tb\\c\nd\u00e9{}", "utm_source": "{}",
                "order_id": "o\\{}\t", "total": "{}.{:02d}"}})",
            v % 3 == 0 ? "Mobile" : "desktop", v, v % 4 == 0 ? R"(goo\\gle)" : "", v, v % 50, v % 100);
        for (int k = 0; k < 1 + v % 4; ++k) {
          const char* types[] = {"exposure", "product_view", "add_to_cart", "purchase"};
          const std::string type = types[k];
          tx.exec_params(
              "INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts, props, experiment_id, "
              "variant) VALUES ($1, gen_random_uuid(), $2, $3, $4, to_timestamp(1800000000 + $5 + $6), $7::jsonb, "
              "$8, $9)",
              shop_id_, anon, fmt::format("s\t{}\\{}", v, k % 2), type, v, k * 10, props,
              type == "exposure" ? experiment_id.c_str() : nullptr, type == "exposure" ? variant.c_str() : nullptr);
        }
      }
    });
  }

  // The experiment's aggregates and stored visitors, as text.
  std::vector<std::string> State(const std::string& experiment_id) {
    return database_.Run([&](pqxx::work& tx) {
      std::vector<std::string> rows;
      for (const auto& row : tx.exec_params(
               "SELECT concat_ws('|', variant, segment, metric, n, sum, sum_squares, denominator_sum, "
               "denominator_sum_squares, sum_products) FROM results_aggregates "
               "WHERE shop_id = $1 AND experiment_id = $2::uuid ORDER BY variant, segment, metric",
               shop_id_, experiment_id)) {
        rows.push_back(row[0].as<std::string>());
      }
      for (const auto& row : tx.exec_params(
               "SELECT concat_ws('|', anon_id, variant, segments, viewed, added_to_cart, began_checkout, purchased, "
               "revenue_cents, orders, fold_state) FROM experiment_visitors "
               "WHERE shop_id = $1 AND experiment_id = $2::uuid ORDER BY anon_id",
               shop_id_, experiment_id)) {
        rows.push_back(row[0].as<std::string>());
      }
      return rows;
    });
  }

  long long Count(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) { return tx.exec_params(sql, shop_id_)[0][0].as<long long>(); });
  }
};

AggregationOptions Batched() {
  AggregationOptions options;
  options.lateness = std::chrono::seconds(0);
  options.visitors_per_batch = 5;
  return options;
}

AggregationOptions Streamed(int chunk) {
  AggregationOptions options = Batched();
  options.streamed_from_visitors = 0;
  options.visitors_per_stream_chunk = chunk;
  return options;
}

TEST_F(AggregationStreamedTest, StreamedEqualsBatchedInAnyChunking) {
  const auto a = CreateRunning();
  const auto b = CreateRunning();
  InsertVisitors(a.id, "a", 23);
  InsertVisitors(b.id, "b", 11);
  experiments::RecomputeShopAggregation(database_, shop_id_, {a.id, b.id}, Batched());
  const auto batched_a = State(a.id);
  const auto batched_b = State(b.id);
  ASSERT_GT(batched_a.size(), 23u);
  // The escaped text came through both ways: a stored session id (in the fold state) with its tab and backslash.
  EXPECT_TRUE(std::any_of(batched_a.begin(), batched_a.end(), [](const std::string& row) {
    return row.find("s\t22\\0") != std::string::npos;
  }));
  for (const int chunk : {1, 3, 50'000}) {
    SCOPED_TRACE(chunk);
    const auto reports = experiments::RecomputeShopAggregation(database_, shop_id_, {a.id, b.id}, Streamed(chunk));
    EXPECT_EQ(reports[0].visitors, 23);
    EXPECT_EQ(reports[1].visitors, 11);
    EXPECT_EQ(batched_a, State(a.id));
    EXPECT_EQ(batched_b, State(b.id));
  }
  // A streamed run over stored visitors (no recomputation first) changes nothing.
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params("UPDATE experiment_aggregation SET event_id_safe = 0, assignment_seq_safe = 0 WHERE shop_id = $1",
                   shop_id_);
  });
  experiments::RunShopAggregation(database_, shop_id_, {a.id, b.id}, Streamed(4));
  EXPECT_EQ(batched_a, State(a.id));
  EXPECT_EQ(batched_b, State(b.id));
}

TEST_F(AggregationStreamedTest, VisitorRowsGoWithTheirExperimentAndShop) {
  const auto a = CreateRunning();
  const auto b = CreateRunning();
  InsertVisitors(a.id, "a", 4);
  InsertVisitors(b.id, "b", 3);
  experiments::RecomputeShopAggregation(database_, shop_id_, {a.id, b.id}, Streamed(2));
  const std::string count = "SELECT count(*) FROM experiment_visitors WHERE shop_id = $1";
  ASSERT_EQ(Count(count), 7);
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params("DELETE FROM experiments WHERE shop_id = $1 AND id = $2::uuid", shop_id_, a.id);
  });
  EXPECT_EQ(Count(count), 3);
  EXPECT_EQ(Count(count + " AND experiment_id = '" + b.id + "'"), 3);
  database_.Run([&](pqxx::work& tx) { tx.exec_params("DELETE FROM shops WHERE id = $1", shop_id_); });
  EXPECT_EQ(Count(count), 0);
}

}  // namespace
}  // namespace pagelift::testing
