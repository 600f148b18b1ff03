// The base schema (db/migrations/0001_initial.sql): every seed table exists, the Citus-readiness rules hold
// (every key of a shop-owned table includes shop_id, foreign keys stay within a shop), events are partitioned with a
// default partition, duplicate deliveries are refused, and results_aggregates holds one row per metric.
#include <gtest/gtest.h>

#include "db/database.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using db::Database;

class SchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { tdb_ = std::make_unique<TestDatabase>(); }
  static void TearDownTestSuite() { tdb_.reset(); }
  void SetUp() override { database_ = std::make_unique<Database>(tdb_->conninfo(), 1); }

  template <class T>
  T Scalar(const std::string& sql) {
    return database_->Run([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<T>(); });
  }
  std::string NewShop(const std::string& domain) {
    return database_->Run([&](pqxx::work& tx) {
      return tx.exec_params("INSERT INTO shops (domain, access_token_enc) VALUES ($1, 'x') RETURNING id", domain)[0][0]
          .as<std::string>();
    });
  }

  static std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Database> database_;
};

std::unique_ptr<TestDatabase> SchemaTest::tdb_;

TEST_F(SchemaTest, EverySeedAndFoundationTableExists) {
  for (const char* table : {"shops", "products_cache", "orders_cache", "events", "events_default", "recommendations",
                            "patches", "experiments", "assignments", "results_aggregates", "jobs",
                            "webhook_deliveries", "oauth_states", "schema_migrations"}) {
    EXPECT_TRUE(Scalar<bool>(std::string("SELECT to_regclass('") + table + "') IS NOT NULL")) << table;
  }
  for (const char* index : {"idx_shops_installed", "idx_products_cache_shop_updated", "idx_orders_cache_shop_created",
                            "events_event_id_key", "idx_events_shop_anon_ts", "idx_events_id_brin",
                            "idx_recommendations_shop_status", "idx_recommendations_shop_entity",
                            "idx_recommendations_shop_created", "idx_patches_applied_to",
                            "idx_experiments_shop_status", "idx_experiments_shop_started",
                            "idx_assignments_experiment", "idx_jobs_claim"}) {
    EXPECT_TRUE(Scalar<bool>(std::string("SELECT to_regclass('") + index + "') IS NOT NULL")) << index;
  }
  // Seed indexes nothing reads, dropped by 0010 because every collected event pays for them (docs/schema.md).
  for (const char* index : {"idx_events_shop_type_ts", "idx_events_experiment"}) {
    EXPECT_FALSE(Scalar<bool>(std::string("SELECT to_regclass('") + index + "') IS NOT NULL")) << index;
  }
}

// Citus can only enforce uniqueness and foreign keys that include the distribution column.
TEST_F(SchemaTest, EveryKeyOfAShopOwnedTableIncludesShopId) {
  const int offending = Scalar<int>(R"sql(
    SELECT count(*)
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
    WHERE i.indisunique
      AND t.relname <> 'shops' AND t.relname <> 'jobs'
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'shop_id')
      AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = t.oid AND a.attname = 'shop_id' AND a.attnum = ANY (i.indkey)))sql");
  EXPECT_EQ(offending, 0);
  const int cross_shop_fks = Scalar<int>(R"sql(
    SELECT count(*)
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_class r ON r.oid = c.confrelid
    WHERE c.contype = 'f' AND r.relname <> 'shops'
      AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = t.oid AND a.attname = 'shop_id' AND a.attnum = ANY (c.conkey)))sql");
  EXPECT_EQ(cross_shop_fks, 0);
  // The events key carries the partition key too.
  EXPECT_EQ(Scalar<std::string>("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'events_pkey'"),
            "PRIMARY KEY (shop_id, ts, id)");
}

TEST_F(SchemaTest, EventsArePartitionedByTimeWithADefaultPartition) {
  EXPECT_EQ(Scalar<std::string>("SELECT pg_get_partkeydef('events'::regclass)"), "RANGE (ts)");
  EXPECT_EQ(Scalar<std::string>("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'events_default'"),
            "DEFAULT");
  const std::string shop = NewShop("events.myshopify.com");
  // Any timestamp is accepted (it lands in the default partition until maintenance moves it).
  database_->Run([&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts) "
                   "VALUES ($1, gen_random_uuid(), 'a', 's', 'page_view', '1999-01-01T00:00:00Z'), "
                   "($1, gen_random_uuid(), 'a', 's', 'page_view', '2099-01-01T00:00:00Z')",
                   shop);
  });
  EXPECT_EQ(Scalar<int>("SELECT count(*) FROM events_default"), 2);
}

TEST_F(SchemaTest, ADuplicateDeliveryOfAnEventIsDetected) {
  const std::string shop = NewShop("dupes.myshopify.com");
  const std::string insert =
      "INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts) "
      "VALUES ($1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a', 's', 'page_view', '2026-01-05T10:00:00Z') "
      "ON CONFLICT (shop_id, event_id, ts) DO NOTHING";
  const int first = database_->Run([&](pqxx::work& tx) { return tx.exec_params(insert, shop).affected_rows(); });
  const int again = database_->Run([&](pqxx::work& tx) { return tx.exec_params(insert, shop).affected_rows(); });
  EXPECT_EQ(first, 1);
  EXPECT_EQ(again, 0);
}

TEST_F(SchemaTest, ResultsAggregatesHoldOneRowPerMetricAndMergeByAddition) {
  const std::string shop = NewShop("stats.myshopify.com");
  const std::string experiment = database_->Run([&](pqxx::work& tx) {
    return tx.exec_params("INSERT INTO experiments (shop_id, name, target, allocation, variants, started_at) "
                          "VALUES ($1, 'e', 'block:trust', '{}', '[]', now()) RETURNING id",
                          shop)[0][0]
        .as<std::string>();
  });
  const std::string upsert =
      "INSERT INTO results_aggregates (shop_id, experiment_id, variant, metric, n, sum, sum_squares) "
      "VALUES ($1, $2, 'control', 'revenue_per_visitor', $3, $4, $5) "
      "ON CONFLICT (shop_id, experiment_id, variant, segment, metric) DO UPDATE SET n = results_aggregates.n + "
      "EXCLUDED.n, sum = results_aggregates.sum + EXCLUDED.sum, "
      "sum_squares = results_aggregates.sum_squares + EXCLUDED.sum_squares";
  database_->Run([&](pqxx::work& tx) {
    tx.exec_params(upsert, shop, experiment, 2, "10.10", "51.005");
    tx.exec_params(upsert, shop, experiment, 3, "0.20", "0.02");
  });
  EXPECT_EQ(Scalar<std::string>("SELECT n || ' ' || sum || ' ' || sum_squares || ' [' || segment || ']' "
                                "FROM results_aggregates"),
            "5 10.30 51.025 []");
  // Deleting the experiment removes its aggregates (composite FK within the shop).
  database_->Run([&](pqxx::work& tx) { tx.exec_params("DELETE FROM experiments WHERE id = $1", experiment); });
  EXPECT_EQ(Scalar<int>("SELECT count(*) FROM results_aggregates"), 0);
}

TEST_F(SchemaTest, ForeignKeysStayWithinTheShop) {
  const std::string a = NewShop("a.myshopify.com");
  const std::string b = NewShop("b.myshopify.com");
  const std::string experiment = database_->Run([&](pqxx::work& tx) {
    return tx.exec_params("INSERT INTO experiments (shop_id, name, target, allocation, variants, started_at) "
                          "VALUES ($1, 'e', 't', '{}', '[]', now()) RETURNING id",
                          a)[0][0]
        .as<std::string>();
  });
  // An assignment of shop b cannot point at shop a's experiment.
  EXPECT_THROW(database_->Run([&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant) "
                   "VALUES ($1, $2, 'v', 's', 'control')",
                   b, experiment);
  }),
               pqxx::foreign_key_violation);
  // Deleting a recommendation keeps its patches (the rollback record) with recommendation_id set to NULL.
  database_->Run([&](pqxx::work& tx) {
    const std::string rec = tx.exec_params("INSERT INTO recommendations (shop_id, entity_type, entity_id, category, "
                                           "rule_id, severity, rationale) VALUES ($1, 'product', '1', 'trust', 'r', "
                                           "'high', 'why') RETURNING id",
                                           a)[0][0]
                                .as<std::string>();
    tx.exec_params("INSERT INTO patches (shop_id, recommendation_id, applied_to, payload, rollback_payload) "
                   "VALUES ($1, $2, 'product:1', '{}', '{}')",
                   a, rec);
    tx.exec_params("DELETE FROM recommendations WHERE shop_id = $1 AND id = $2", a, rec);
  });
  EXPECT_EQ(Scalar<std::string>("SELECT (shop_id IS NOT NULL)::text || ' ' || coalesce(recommendation_id::text, "
                                "'null') FROM patches"),
            "true null");
}

TEST_F(SchemaTest, ShopsGetAnUnguessablePublicId) {
  NewShop("pub.myshopify.com");
  EXPECT_TRUE(Scalar<bool>("SELECT public_id ~ '^[0-9a-f]{16}$' FROM shops WHERE domain = 'pub.myshopify.com'"));
  EXPECT_THROW(NewShop("Upper.myshopify.com"), pqxx::check_violation);
}

}  // namespace
}  // namespace pagelift::testing
