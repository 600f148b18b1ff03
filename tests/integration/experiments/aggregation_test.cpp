// Aggregation: incremental runs over random event streams in random chunkings (folded into the stored visitors, rows
// re-read within the lateness window, duplicates, late and out-of-order exposures, orders before and after the events
// that report them) equal one recomputation from scratch; duplicates change nothing; a late order webhook with an old
// updated_at is counted; a hand-checked case pins the per-visitor metric definitions.
#include <fmt/format.h>

#include <random>

#include "core/time.h"
#include "experiments/aggregation.h"
#include "experiments/results.h"
#include "experiments_harness.h"
#include "shopify/compliance.h"
#include "shopify/orders_repository.h"

namespace pagelift::testing {
namespace {

using experiments::AggregationOptions;

AggregationOptions NoLateness() {
  AggregationOptions options;
  options.lateness = std::chrono::seconds(0);
  options.visitors_per_batch = 7;  // many batches, to exercise the batch boundaries
  return options;
}

class AggregationTest : public ExperimentsFixture {
 protected:
  // Every results_aggregates row of the experiment, as text, in key order.
  std::vector<std::string> Aggregates(const std::string& experiment_id) {
    return database_.Run([&](pqxx::work& tx) {
      std::vector<std::string> rows;
      for (const auto& row : tx.exec_params(
               "SELECT variant, segment, metric, n, sum::text, sum_squares::text, denominator_sum::text, "
               "denominator_sum_squares::text, sum_products::text FROM results_aggregates "
               "WHERE shop_id = $1 AND experiment_id = $2::uuid ORDER BY variant, segment, metric",
               shop_id_, experiment_id)) {
        std::string line;
        for (const auto& field : row) line += field.c_str() + std::string("|");
        // NUMERIC keeps trailing zeros from different computations (1.50 vs 1.5): compare values, not scales.
        rows.push_back(line);
      }
      return rows;
    });
  }

  std::string Row(const std::string& experiment_id, const std::string& variant, const std::string& segment,
                  const std::string& metric) {
    return database_.Run([&](pqxx::work& tx) {
      const auto rows = tx.exec_params(
          "SELECT n || ' ' || sum::numeric(30,4) || ' ' || sum_squares::numeric(30,4) || ' ' || "
          "denominator_sum::numeric(30,4) || ' ' || sum_products::numeric(30,4) FROM results_aggregates "
          "WHERE shop_id = $1 AND experiment_id = $2::uuid AND variant = $3 AND segment = $4 AND metric = $5",
          shop_id_, experiment_id, variant, segment, metric);
      return rows.empty() ? std::string("none") : rows[0][0].as<std::string>();
    });
  }

  // An event as the collector stores it (exposures also record the assignment, first one wins).
  void InsertEvent(pqxx::work& tx, const std::string& experiment_id, const std::string& event_id,
                   const std::string& anon_id, const std::string& type, long long ts_seconds,
                   const std::string& props = "{}", const std::string& session = "s1") {
    const bool exposure = type == "exposure";
    tx.exec_params(
        "INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts, props, experiment_id, variant) "
        "VALUES ($1, $2::uuid, $3, $4, $5, to_timestamp($6), $7::jsonb, $8, $9) ON CONFLICT DO NOTHING",
        shop_id_, event_id, anon_id, session, type, ts_seconds, props,
        exposure ? experiment_id.c_str() : nullptr, exposure ? VariantOf(anon_id).c_str() : nullptr);
    if (exposure) {
      tx.exec_params(
          "INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at) "
          "VALUES ($1, $2::uuid, $3, $4, $5, to_timestamp($6)) ON CONFLICT DO NOTHING",
          shop_id_, experiment_id, anon_id, session, VariantOf(anon_id), ts_seconds);
    }
  }

  static std::string VariantOf(const std::string& anon_id) {
    return std::hash<std::string>{}(anon_id) % 2 == 0 ? "control" : "treatment";
  }

  static std::string Uuid(std::uint64_t n) { return fmt::format("00000000-0000-4000-8000-{:012x}", n); }
};

constexpr long long kBase = 1'800'000'000;  // seconds since the epoch; a fixed day

TEST_F(AggregationTest, HandCheckedVisitorValues) {
  const auto e = CreateRunning("[0.5, 0.5]", R"(, "guardrails": {"revenue_cap": 100})");
  database_.Run([&](pqxx::work& tx) {
    // v1: exposed on mobile from Google; views, adds, buys order A (30.00) twice-reported, and order B (90.00) from
    // orders_cache: revenue 120.00 capped at 100.00, 2 orders. A product view before exposure does not count.
    InsertEvent(tx, e.id, Uuid(1), "v1", "product_view", kBase - 10);
    InsertEvent(tx, e.id, Uuid(2), "v1", "exposure", kBase,
                R"({"device": "mobile", "referrer": "https://www.google.com/search?q=x"})");
    InsertEvent(tx, e.id, Uuid(3), "v1", "add_to_cart", kBase + 5);
    InsertEvent(tx, e.id, Uuid(4), "v1", "purchase", kBase + 9, R"({"order_id": "A", "total": 30})");
    InsertEvent(tx, e.id, Uuid(5), "v1", "checkout_completed", kBase + 9, R"({"order_id": "A", "total": "30.00"})");
    tx.exec_params(
        "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) "
        "VALUES ($1, 'B', 90.00, to_timestamp($2), '{\"visitor\": \"v1\"}')",
        shop_id_, kBase + 20);
    // v2: exposed on desktop, direct, nothing else; an order before exposure does not count.
    InsertEvent(tx, e.id, Uuid(6), "v2", "exposure", kBase, R"({"device": "desktop"})");
    tx.exec_params(
        "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) "
        "VALUES ($1, 'C', 50.00, to_timestamp($2), '{\"_pagelift_vid\": \"v2\"}')",
        shop_id_, kBase - 20);
  });
  const auto report = experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(report.visitors, 2);
  const std::string v1 = VariantOf("v1");
  const std::string v2 = VariantOf("v2");
  ASSERT_NE(v1, v2) << "the test needs the two visitors in different arms";
  EXPECT_EQ(Row(e.id, v1, "", "view_rate"), "1 0.0000 0.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v1, "", "add_to_cart_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v1, "", "purchase_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v1, "", "revenue_per_visitor"), "1 100.0000 10000.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v1, "", "average_order_value"), "1 100.0000 10000.0000 2.0000 200.0000");
  EXPECT_EQ(Row(e.id, v1, "device:mobile", "purchase_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v1, "source:search", "purchase_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v1, "visitor:new", "purchase_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v2, "", "purchase_rate"), "1 0.0000 0.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v2, "source:direct", "revenue_per_visitor"), "1 0.0000 0.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, v2, "device:mobile", "purchase_rate"), "none");

  // A late event for v2 (a view after exposure) changes only v2's view_rate.
  database_.Run([&](pqxx::work& tx) { InsertEvent(tx, e.id, Uuid(7), "v2", "product_view", kBase + 1); });
  const auto second = experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(second.changed, 1);
  EXPECT_EQ(Row(e.id, v2, "", "view_rate"), "1 1.0000 1.0000 0.0000 0.0000");

  // The results read these sums.
  database_.Run([&](pqxx::work& tx) {
    auto results = experiments::ComputeResults(tx, repository_, shop_id_, e.id);
    ASSERT_TRUE(results.ok()) << results.error().message;
    EXPECT_EQ(results->visitors, (std::vector<std::int64_t>{1, 1}));
    EXPECT_EQ(results->decision, experiments::Decision::kKeepRunning);
    const auto json = experiments::ResultsToJson(*results);
    EXPECT_EQ(json.at("decision").as_string(), "keep_running");
  });
}

TEST_F(AggregationTest, DuplicatesChangeNothing) {
  const auto e = CreateRunning();
  database_.Run([&](pqxx::work& tx) {
    InsertEvent(tx, e.id, Uuid(1), "v1", "exposure", kBase, R"({"device": "tablet"})");
    InsertEvent(tx, e.id, Uuid(2), "v1", "purchase", kBase + 5, R"({"total": 12.5})");
  });
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  const auto before = Aggregates(e.id);
  database_.Run([&](pqxx::work& tx) {
    // The same purchase redelivered with another timestamp (the unique index cannot catch it), and an exact repeat.
    InsertEvent(tx, e.id, Uuid(2), "v1", "purchase", kBase + 7, R"({"total": 12.5})");
    InsertEvent(tx, e.id, Uuid(2), "v1", "purchase", kBase + 5, R"({"total": 12.5})");
  });
  const auto report = experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(report.changed, 0);
  EXPECT_EQ(Aggregates(e.id), before);
  EXPECT_NE(Row(e.id, VariantOf("v1"), "", "revenue_per_visitor").find("1 12.5000"), std::string::npos);
}

// A copy of an event on the other side of the exposure (a client retry with a new timestamp): the copy at or after
// the exposure counts, once, whichever arrives first and however the runs cut the stream.
TEST_F(AggregationTest, ACopyAcrossTheExposureCountsOnce) {
  const auto e = CreateRunning();
  database_.Run([&](pqxx::work& tx) {
    InsertEvent(tx, e.id, Uuid(1), "v1", "exposure", kBase, R"({"device": "mobile"})");
    InsertEvent(tx, e.id, Uuid(2), "v1", "product_view", kBase - 5);  // before the exposure: not yet a view
    InsertEvent(tx, e.id, Uuid(3), "v1", "purchase", kBase + 1, R"({"total": 20})");
  });
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  const std::string variant = VariantOf("v1");
  EXPECT_EQ(Row(e.id, variant, "", "view_rate"), "1 0.0000 0.0000 0.0000 0.0000");
  database_.Run([&](pqxx::work& tx) {
    InsertEvent(tx, e.id, Uuid(2), "v1", "product_view", kBase + 5);  // its copy after the exposure
    InsertEvent(tx, e.id, Uuid(3), "v1", "purchase", kBase + 9, R"({"total": 20})");  // a purchase's copy
  });
  const auto report = experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(report.folded, 1) << "a copy must not need a recomputation";
  EXPECT_EQ(Row(e.id, variant, "", "view_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  EXPECT_EQ(Row(e.id, variant, "", "average_order_value"), "1 20.0000 400.0000 1.0000 20.0000");
  const auto incremental = Aggregates(e.id);
  experiments::RecomputeAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(Aggregates(e.id), incremental);
}

// A visitor assigned without any event (a server-side assignment) has no segment: the stored row holds no segments,
// and a later attributed order updates that row (the upsert path) without turning "no segments" into NULL.
TEST_F(AggregationTest, AVisitorWithoutEventsKeepsNoSegmentsWhenItsRowIsUpdated) {
  const auto e = CreateRunning();
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at) "
        "VALUES ($1, $2::uuid, 'v1', 's1', $3, to_timestamp($4))",
        shop_id_, e.id, VariantOf("v1"), kBase);
  });
  EXPECT_EQ(experiments::RunAggregation(database_, shop_id_, e.id, NoLateness()).visitors, 1);
  const std::string variant = VariantOf("v1");
  EXPECT_EQ(Row(e.id, variant, "", "purchase_rate"), "1 0.0000 0.0000 0.0000 0.0000");
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) "
        "VALUES ($1, 'A', 40.00, to_timestamp($2), '{\"visitor_id\": \"v1\"}')",
        shop_id_, kBase + 30);
  });
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(Row(e.id, variant, "", "purchase_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  database_.Run([&](pqxx::work& tx) {
    EXPECT_EQ(tx.exec_params1("SELECT segments::text FROM experiment_visitors WHERE shop_id = $1 AND anon_id = 'v1'",
                              shop_id_)[0]
                  .as<std::string>(),
              "{}");
  });
  const auto incremental = Aggregates(e.id);
  experiments::RecomputeAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(Aggregates(e.id), incremental);
}

// A refresh finds the visitors to fold by their stored rows (migration 0018), not by their assignments: an assigned
// visitor without a row (their assignment names no variant of the experiment, e.g. from a stale script) must stay out
// when their new events arrive, while a counted visitor's new events are folded in.
TEST_F(AggregationTest, AVisitorOfNoVariantStaysOutWhenTheirNewEventsArrive) {
  const auto e = CreateRunning();
  const std::string counted = VariantOf("v1");
  database_.Run([&](pqxx::work& tx) {
    InsertEvent(tx, e.id, Uuid(1), "v1", "exposure", kBase);
    tx.exec_params(
        "INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at) "
        "VALUES ($1, $2::uuid, 'ghost', 's1', 'retired', to_timestamp($3))",
        shop_id_, e.id, kBase);
    InsertEvent(tx, e.id, Uuid(2), "ghost", "product_view", kBase + 1);
  });
  EXPECT_EQ(experiments::RunAggregation(database_, shop_id_, e.id, NoLateness()).visitors, 2);
  database_.Run([&](pqxx::work& tx) {
    InsertEvent(tx, e.id, Uuid(3), "ghost", "add_to_cart", kBase + 10);
    InsertEvent(tx, e.id, Uuid(4), "v1", "add_to_cart", kBase + 10);
  });
  const auto report = experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(report.folded, 1);
  EXPECT_EQ(Row(e.id, counted, "", "add_to_cart_rate"), "1 1.0000 1.0000 0.0000 0.0000");
  database_.Run([&](pqxx::work& tx) {
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM experiment_visitors WHERE shop_id = $1 AND anon_id = 'ghost'",
                              shop_id_)[0]
                  .as<int>(),
              0);
  });
  const auto incremental = Aggregates(e.id);
  experiments::RecomputeAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(Aggregates(e.id), incremental);
}

// customers/redact deletes a visitor's events and assignments: their experiment_visitors rows go too, and the
// aggregates lose their contribution at once (the same as a recomputation without them), not at the next recompute.
TEST_F(AggregationTest, ARedactedCustomersVisitorLeavesTheResults) {
  const auto e = CreateRunning();
  database_.Run([&](pqxx::work& tx) {
    InsertEvent(tx, e.id, Uuid(1), "v1", "exposure", kBase, R"({"device": "mobile"})");
    InsertEvent(tx, e.id, Uuid(2), "v2", "exposure", kBase, R"({"device": "mobile"})");
    InsertEvent(tx, e.id, Uuid(3), "v3", "exposure", kBase, R"({"device": "mobile"})");
    InsertEvent(tx, e.id, Uuid(4), "v1", "purchase", kBase + 5, R"({"order_id": "7", "total": 25})");
    tx.exec_params(
        "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) "
        "VALUES ($1, '7', 25.00, to_timestamp($2), '{\"visitor_id\": \"v1\", \"customer_id\": \"555\"}')",
        shop_id_, kBase + 5);
    // An older order of the same customer names v2 in the old spelling.
    tx.exec_params(
        "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) "
        "VALUES ($1, '8', 10.00, to_timestamp($2), '{\"_pagelift_vid\": \"v2\", \"customer_id\": \"555\"}')",
        shop_id_, kBase + 6);
  });
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  const std::string variant = VariantOf("v1");
  ASSERT_NE(Row(e.id, variant, "", "purchase_rate").find(" 1.0000 "), std::string::npos);

  shopify::WebhookDelivery redact;
  redact.webhook_id = "redact-1";
  redact.topic = "customers/redact";
  redact.shop = shopify::WebhookShop{shop_id_, "", true};
  redact.payload = boost::json::object{{"customer", boost::json::object{{"id", 555}}},
                                       {"orders_to_redact", boost::json::array{7, 8}}};
  ASSERT_TRUE(shopify::HandleCustomersRedact(database_, redact).ok());
  database_.Run([&](pqxx::work& tx) {
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM experiment_visitors WHERE shop_id = $1 AND anon_id IN ('v1', 'v2')",
                              shop_id_)[0]
                  .as<int>(),
              0);
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM events WHERE shop_id = $1 AND anon_id IN ('v1', 'v2')", shop_id_)[0]
                  .as<int>(),
              0);
  });
  EXPECT_EQ(Row(e.id, variant, "", "purchase_rate").find(" 1.0000 "), std::string::npos);
  const auto after_redact = Aggregates(e.id);
  experiments::RecomputeAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(Aggregates(e.id), after_redact);
  EXPECT_EQ(experiments::RunAggregation(database_, shop_id_, e.id, NoLateness()).visitors, 0);
}

// The scan of new events reads idx_events_id_brin; without autosummarize it would read every row inserted since the
// last vacuum (migration 0017), on the parent's index and every partition's.
TEST_F(AggregationTest, NewEventsIndexSummarizesFullRanges) {
  database_.Run([&](pqxx::work& tx) {
    const auto rows = tx.exec(
        "SELECT c.relname, coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c "
        "WHERE c.relname = 'idx_events_id_brin' OR c.oid IN (SELECT inhrelid FROM pg_inherits i "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'idx_events_id_brin')");
    ASSERT_GE(rows.size(), 2u);  // the parent's index and at least the default partition's
    for (const auto& row : rows) {
      EXPECT_EQ(row[1].as<std::string>(), "pages_per_range=256,autosummarize=on") << row[0].c_str();
    }
  });
}

TEST_F(AggregationTest, RandomChunkingsEqualOneRecomputation) {
  std::int64_t folded = 0;
  std::int64_t dirty = 0;
  for (unsigned seed : {1u, 2u, 3u, 4u, 5u}) {
    SCOPED_TRACE(seed);
    // Seeds 4 and 5 keep a lateness window after their first run: every later run re-reads all rows since then.
    const bool reread = seed > 3;
    const auto e = CreateRunning("[0.5, 0.5]", R"(, "guardrails": {"revenue_cap": 150})");
    std::mt19937 random(seed);
    auto uniform = [&random](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };
    // Operations: events (some duplicated with another timestamp), orders and order updates, in random order.
    std::vector<std::function<void(pqxx::work&)>> operations;
    const char* types[] = {"page_view", "product_view", "add_to_cart", "begin_checkout", "purchase",
                           "checkout_completed"};
    const char* devices[] = {"mobile", "desktop", "tablet", ""};
    const char* referrers[] = {"", "https://www.bing.com/", "https://t.co/x", "https://blog.example.org/post"};
    std::uint64_t next_id = seed * 1'000'000;
    for (int v = 0; v < 40; ++v) {
      const std::string anon = fmt::format("s{}-v{}", seed, v);
      const long long exposed = kBase + uniform(0, 1000);
      const std::string props = fmt::format(R"({{"device": "{}", "referrer": "{}", "utm_medium": "{}"}})",
                                            devices[uniform(0, 3)], referrers[uniform(0, 3)],
                                            uniform(0, 5) == 0 ? "email" : "");
      const std::string exposure_id = Uuid(++next_id);
      if (uniform(0, 9) > 0) {  // a few visitors are never exposed
        operations.push_back([=, this](pqxx::work& tx) {
          InsertEvent(tx, e.id, exposure_id, anon, "exposure", exposed, props, "s" + std::to_string(v));
        });
        if (uniform(0, 3) == 0) {  // another exposure beacon, from before or after (out of order, other segments)
          const std::string again = Uuid(++next_id);
          const long long when = exposed + uniform(-300, 300);
          operations.push_back([=, this](pqxx::work& tx) {
            InsertEvent(tx, e.id, again, anon, "exposure", when, R"({"device": "desktop", "utm_medium": "cpc"})",
                        "s" + std::to_string(v));
          });
        }
      }
      for (int k = uniform(0, 6); k > 0; --k) {
        const std::string id = Uuid(++next_id);
        const std::string type = types[uniform(0, 5)];
        const long long ts = exposed + uniform(-100, 2000);
        // Purchases name no order, their own, or the visitor's order in orders_cache (reported both ways).
        const int order_kind = uniform(0, 2);
        const std::string order_id = order_kind == 0   ? ""
                                     : order_kind == 1 ? "o" + id.substr(30)
                                                       : fmt::format("ord-{}-{}", seed, v);
        const std::string event_props = fmt::format(R"({{"order_id": "{}", "total": {}.{:02d}}})", order_id,
                                                    uniform(0, 120), uniform(0, 99));
        const std::string session = uniform(0, 1) ? "s" + std::to_string(v) : "old";
        operations.push_back(
            [=, this](pqxx::work& tx) { InsertEvent(tx, e.id, id, anon, type, ts, event_props, session); });
        if (uniform(0, 4) == 0) {  // the same event again, later
          operations.push_back(
              [=, this](pqxx::work& tx) { InsertEvent(tx, e.id, id, anon, type, ts + 3, event_props, session); });
        }
      }
      if (uniform(0, 3) == 0) {
        const std::string order = fmt::format("ord-{}-{}", seed, v);
        const long long created = exposed + uniform(-50, 500);
        const int cents = uniform(100, 30000);
        operations.push_back([=, this](pqxx::work& tx) {
          tx.exec_params(
              "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) VALUES "
              "($1, $2, $3::numeric / 100, to_timestamp($4), jsonb_build_object('visitor', $5::text)) "
              "ON CONFLICT (shop_id, order_id) DO UPDATE SET total = EXCLUDED.total + 1, updated_at = now()",
              shop_id_, order, cents, created, anon);
        });
        if (uniform(0, 1) == 0) {  // a refund-like update later (the second insert updates)
          operations.push_back([=, this](pqxx::work& tx) {
            tx.exec_params(
                "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) VALUES "
                "($1, $2, $3::numeric / 100, to_timestamp($4), jsonb_build_object('visitor', $5::text)) "
                "ON CONFLICT (shop_id, order_id) DO UPDATE SET total = EXCLUDED.total + 1, updated_at = now()",
                shop_id_, order, cents, created, anon);
          });
        }
      }
    }
    std::shuffle(operations.begin(), operations.end(), random);
    std::size_t done = 0;
    int runs = 0;
    while (done < operations.size()) {
      const std::size_t chunk = static_cast<std::size_t>(uniform(1, 40));
      database_.Run([&](pqxx::work& tx) {
        for (std::size_t i = done; i < std::min(operations.size(), done + chunk); ++i) operations[i](tx);
      });
      done = std::min(operations.size(), done + chunk);
      AggregationOptions options = NoLateness();
      if (reread && runs > 0) options.lateness = std::chrono::hours(1);
      if (seed % 2 == 0) options.streamed_from_visitors = 0;  // recomputed visitors read as sorted streams
      const auto report = experiments::RunAggregation(database_, shop_id_, e.id, options);
      folded += report.folded;
      dirty += report.visitors;
      ++runs;
    }
    EXPECT_GT(runs, 3);
    const auto incremental = Aggregates(e.id);
    EXPECT_FALSE(incremental.empty());
    // From scratch both ways: batches of index lookups, and one sorted stream.
    experiments::RecomputeAggregation(database_, shop_id_, e.id, NoLateness());
    EXPECT_EQ(incremental, Aggregates(e.id));
    AggregationOptions streamed = NoLateness();
    streamed.streamed_from_visitors = 0;
    experiments::RecomputeAggregation(database_, shop_id_, e.id, streamed);
    const auto from_scratch = Aggregates(e.id);
    EXPECT_EQ(incremental, from_scratch);
    // And the overall n is the number of assigned visitors per arm.
    database_.Run([&](pqxx::work& tx) {
      const auto counts = tx.exec_params(
          "SELECT a.variant, count(*), (SELECT n FROM results_aggregates r WHERE r.shop_id = $1 AND "
          "r.experiment_id = $2::uuid AND r.variant = a.variant AND r.segment = '' AND r.metric = 'view_rate') "
          "FROM assignments a WHERE a.shop_id = $1 AND a.experiment_id = $2::uuid GROUP BY a.variant",
          shop_id_, e.id);
      for (const auto& row : counts) EXPECT_EQ(row[1].as<long long>(), row[2].as<long long>()) << row[0].c_str();
    });
  }
  // Most changed visitors went through the fold (the equality would hold trivially if all were recomputed).
  EXPECT_GT(folded, dirty / 8) << folded << " of " << dirty;
}

TEST_F(AggregationTest, LateOrderWebhookWithOldUpdatedAtIsCounted) {
  const auto e = CreateRunning();
  database_.Run([&](pqxx::work& tx) {
    InsertEvent(tx, e.id, Uuid(1), "w1", "exposure", kBase);
    InsertEvent(tx, e.id, Uuid(2), "w1", "product_view", kBase + 1);
  });
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  const std::string arm = VariantOf("w1");
  EXPECT_EQ(Row(e.id, arm, "", "revenue_per_visitor"), "1 0.0000 0.0000 0.0000 0.0000");

  // orders/paid delivered hours after Shopify's updated_at (webhook retries), after the run above: the order's
  // Shopify times are both long before that run's watermark.
  const shopify::OrdersRepository orders(database_);
  auto order = [](const std::string& total, long long updated) {
    shopify::OrderRecord r;
    r.order_id = "gid://shopify/Order/77";
    r.total = total;
    r.line_count = 1;
    r.created_at = FormatRfc3339Millis(Clock::time_point(std::chrono::seconds(kBase + 60)));
    r.updated_at = FormatRfc3339Millis(Clock::time_point(std::chrono::seconds(updated)));
    r.attribution["visitor_id"] = "w1";
    return r;
  };
  database_.Run([&](pqxx::work& tx) { orders.Upsert(tx, shop_id_, {order("40.00", kBase + 60)}); });
  const auto first = experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(first.changed, 1);
  EXPECT_EQ(Row(e.id, arm, "", "revenue_per_visitor"), "1 40.0000 1600.0000 0.0000 0.0000");
  // A refund, also delivered late: the update sets the ingestion time again (migration 0011's trigger).
  database_.Run([&](pqxx::work& tx) { orders.Upsert(tx, shop_id_, {order("25.00", kBase + 120)}); });
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(Row(e.id, arm, "", "revenue_per_visitor"), "1 25.0000 625.0000 0.0000 0.0000");
  const auto incremental = Aggregates(e.id);
  experiments::RecomputeAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(incremental, Aggregates(e.id));
}

TEST_F(AggregationTest, DailySeriesIsCumulativeByFirstExposureDay) {
  const auto e = CreateRunning();
  constexpr long long kDay = 86'400;
  const long long day0 = kBase - kBase % kDay + 3600;  // 01:00 UTC of a fixed day
  database_.Run([&](pqxx::work& tx) {
    // Day 0: 4 visitors, 2 of them buy; day 1: nobody new; day 2: 2 visitors, 1 buys (a day-0 visitor's late
    // purchase on day 2 counts on day 0, their first-exposure day).
    std::uint64_t id = 1;
    for (int v = 0; v < 6; ++v) {
      const std::string anon = "d" + std::to_string(v);
      const long long exposed = v < 4 ? day0 : day0 + 2 * kDay;
      InsertEvent(tx, e.id, Uuid(id++), anon, "exposure", exposed);
      if (v == 0 || v == 1 || v == 4) InsertEvent(tx, e.id, Uuid(id++), anon, "purchase", exposed + 60);
    }
    InsertEvent(tx, e.id, Uuid(id++), "d2", "purchase", day0 + 2 * kDay + 60);
  });
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  database_.Run([&](pqxx::work& tx) {
    auto results = experiments::ComputeResults(tx, repository_, shop_id_, e.id);
    ASSERT_TRUE(results.ok()) << results.error().message;
    ASSERT_EQ(results->daily.size(), 3u) << "day 1 is filled in";
    auto totals = [&](std::size_t day) {
      std::int64_t n = 0;
      double conversions = 0;
      for (const auto& s : results->daily[day].stats) {
        n += s.n;
        conversions += s.sum;
      }
      return std::make_pair(n, conversions);
    };
    EXPECT_EQ(totals(0), std::make_pair(std::int64_t{4}, 3.0));
    EXPECT_EQ(totals(1), totals(0));
    EXPECT_EQ(totals(2), std::make_pair(std::int64_t{6}, 4.0));
    // The last day is the whole experiment: the same visitors as the overall results.
    for (std::size_t i = 0; i < results->visitors.size(); ++i) {
      EXPECT_EQ(results->daily.back().stats[i].n, results->visitors[i]);
    }
    const auto json = experiments::ResultsToJson(*results);
    const auto& days = json.at("daily").at("days").as_array();
    ASSERT_EQ(days.size(), 3u);
    EXPECT_EQ(json.at("daily").at("metric").as_string(), "purchase_rate");
    EXPECT_EQ(days[0].at("variants").as_array().size(), 2u);
    EXPECT_TRUE(days[2].at("variants").at(0).as_object().contains("rate"));
  });
}

TEST_F(AggregationTest, ConcurrentWorkersNeverDoubleCount) {
  const auto e = CreateRunning();
  database_.Run([&](pqxx::work& tx) {
    for (int v = 0; v < 50; ++v) {
      InsertEvent(tx, e.id, Uuid(100 + v), "c" + std::to_string(v), "exposure", kBase);
      InsertEvent(tx, e.id, Uuid(500 + v), "c" + std::to_string(v), "product_view", kBase + 1);
    }
  });
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] { experiments::RunAggregation(database_, shop_id_, e.id, NoLateness()); });
  }
  for (auto& w : workers) w.join();
  experiments::RunAggregation(database_, shop_id_, e.id, NoLateness());
  const auto concurrent = Aggregates(e.id);
  experiments::RecomputeAggregation(database_, shop_id_, e.id, NoLateness());
  EXPECT_EQ(concurrent, Aggregates(e.id));
}

}  // namespace
}  // namespace pagelift::testing
