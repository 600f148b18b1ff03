// Autopilot on the simulator: off by default; within its limits it applies a block patch and starts the experiment
// that tests it (control = today's page), skips what its categories or require_experiment exclude, respects the daily
// budget, and when the experiment ends without a win it rolls the patch back (the simulator's metafields are as before)
// and completes the experiment — every step in the audit trail as "autopilot".
#include "experiments/lifecycle.h"
#include "integration/patches/patches_harness.h"

namespace pagelift::testing {
namespace {

class AutopilotTest : public PatchesHarness {};

TEST_F(AutopilotTest, IsOffByDefault) {
  const std::string shop_id = Install(kShopA);
  const json::object product = ProductWithMedia(kShopA, 4);
  Seed(shop_id, MetafieldsSet(std::string(product.at("id").as_string()), "trust_badges", {{"badges", json::array{}}}),
       "trust");
  const auto report = autopilot_.RunShop(shop_id);
  EXPECT_EQ(report.shops, 0);
  EXPECT_EQ(autopilot_.RunPass().shops, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM patches"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM experiments"), 0);
}

TEST_F(AutopilotTest, TestsBlockPatchesInExperimentsWithinItsLimitsAndRollsBackWhatDoesNotWin) {
  const std::string shop_id = Install(kShopA);
  SetSettings(shop_id, R"({"allow_write_products": true, "autopilot_limits": {"enabled": true,
      "max_patches_per_day": 3, "max_running_experiments": 1, "allowed_categories": ["trust"]}})");
  const json::object product = ProductWithMedia(kShopA, 5);
  const std::string gid(product.at("id").as_string());
  const std::string metafields_before = MetafieldBytes(kShopA);
  const std::string product_before = ProductBytes(kShopA, gid);
  const std::string block =
      Seed(shop_id, MetafieldsSet(gid, "low_stock", {{"threshold", 5}}), "trust", "trust.low_stock_message");
  const std::string second_block = Seed(shop_id, MetafieldsSet(gid, "size_guide", {{"rows", json::array{}}}), "trust");
  const std::string copy = Seed(shop_id, ProductUpdate(product, {}, {{"title", "Autopilot title"}}), "copy");
  const std::string trust_product =
      Seed(shop_id, ProductUpdate(product, {}, {{"title", "Needs an experiment"}}), "trust");

  const auto report = autopilot_.RunPass();
  EXPECT_EQ(report.shops, 1);
  EXPECT_EQ(report.experiments_started, 1);
  EXPECT_EQ(report.patches_applied, 0);
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + block + "'"), "applied");
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + second_block + "'"), "pending") << "one running experiment at a time";
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + copy + "'"), "pending") << "category not allowed";
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + trust_product + "'"), "pending")
      << "product fields cannot be split on the storefront, and an experiment is required";
  EXPECT_EQ(Scalar("SELECT applied_by FROM patches"), "autopilot");
  EXPECT_EQ(ProductBytes(kShopA, gid), product_before);
  EXPECT_NE(MetafieldBytes(kShopA), metafields_before);
  const std::string experiment_id = Scalar("SELECT id::text FROM experiments WHERE status = 'running'");
  ASSERT_FALSE(experiment_id.empty());
  EXPECT_EQ(Scalar("SELECT target FROM experiments"), "block:low_stock");
  EXPECT_EQ(Count("SELECT count(*) FROM audit_trail WHERE actor = 'autopilot' AND action = 'experiment_started' "
                  "AND experiment_id = '" + experiment_id + "'"),
            1);

  // Nothing decided yet: the next pass leaves it running and starts nothing else.
  const auto waiting = autopilot_.RunShop(shop_id);
  EXPECT_EQ(waiting.rolled_back, 0);
  EXPECT_EQ(waiting.experiments_started, 0);
  EXPECT_EQ(Scalar("SELECT status FROM experiments"), "running");

  // The experiment reaches its maximum duration without a winner: autopilot rolls the patch back.
  database_.Run([&](pqxx::work& tx) {
    auto updated = experiments::UpdateExperiment(tx, experiments_, shop_id, experiment_id,
                                                 json::parse(R"({"guardrails": {"max_duration_days": 1}})"));
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    tx.exec_params("UPDATE experiments SET started_at = now() - interval '3 days' WHERE id = $1::uuid", experiment_id);
  });
  const auto decided = autopilot_.RunShop(shop_id);
  EXPECT_EQ(decided.rolled_back, 1);
  EXPECT_EQ(decided.experiments_started, 1) << "the slot is free again: the next block patch gets its experiment";
  EXPECT_EQ(Scalar("SELECT status FROM experiments WHERE id = '" + experiment_id + "'"), "completed");
  EXPECT_EQ(Scalar("SELECT status FROM patches WHERE recommendation_id = '" + block + "'"), "rolled_back");
  EXPECT_EQ(Scalar("SELECT rolled_back_by FROM patches WHERE recommendation_id = '" + block + "'"), "autopilot");
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + block + "'"), "pending");
  const json::object state = SimState(kShopA);
  for (const auto& metafield : state.at("metafields").as_array()) {
    EXPECT_NE(metafield.at("key"), "low_stock") << "the rolled-back block's metafield is gone";
  }
  EXPECT_EQ(Count("SELECT count(*) FROM audit_trail WHERE actor = 'autopilot' AND action = 'roll_back' "
                  "AND reason LIKE '%proven winners%'"),
            1);
}

TEST_F(AutopilotTest, ShipsAWinningBlockPatch) {
  const std::string shop_id = Install(kShopA);
  SetSettings(shop_id, R"({"autopilot_limits": {"enabled": true, "max_running_experiments": 1,
      "allowed_categories": ["trust"]}})");
  const json::object product = ProductWithMedia(kShopA, 5);
  const std::string gid(product.at("id").as_string());
  const std::string block =
      Seed(shop_id, MetafieldsSet(gid, "low_stock", {{"threshold", 5}}), "trust", "trust.low_stock_message");
  ASSERT_EQ(autopilot_.RunPass().experiments_started, 1);
  const std::string experiment_id = Scalar("SELECT id::text FROM experiments WHERE status = 'running'");
  const std::string metafields_with_patch = MetafieldBytes(kShopA);

  // Results as the aggregation stores them: the patch's arm converts 9% against the control's 5%, on an even split.
  database_.Run([&](pqxx::work& tx) {
    for (const auto& [variant, conversions] : {std::pair{"control", 100}, std::pair{"patch", 180}}) {
      tx.exec_params(
          "INSERT INTO results_aggregates (shop_id, experiment_id, variant, segment, metric, n, sum, sum_squares) "
          "VALUES ($1::uuid, $2::uuid, $3, '', 'purchase_rate', 2000, $4, $4)",
          shop_id, experiment_id, variant, conversions);
    }
  });
  const auto decided = autopilot_.RunShop(shop_id);
  EXPECT_EQ(decided.shipped, 1);
  EXPECT_EQ(decided.rolled_back, 0);
  EXPECT_EQ(Scalar("SELECT status FROM experiments WHERE id = '" + experiment_id + "'"), "completed");
  EXPECT_EQ(Scalar("SELECT status FROM patches WHERE recommendation_id = '" + block + "'"), "applied");
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + block + "'"), "applied");
  EXPECT_EQ(MetafieldBytes(kShopA), metafields_with_patch) << "the winning block stays on the storefront";
  EXPECT_EQ(Count("SELECT count(*) FROM audit_trail WHERE actor = 'autopilot' AND action = 'ship' "
                  "AND experiment_id = '" + experiment_id + "' AND reason LIKE '%better than today%'"),
            1);
}

TEST_F(AutopilotTest, WithoutRequireExperimentItAppliesProductPatchesOnlyWhenWritesAreAllowed) {
  const std::string shop_id = Install(kShopA);
  SetSettings(shop_id, R"({"autopilot_limits": {"enabled": true, "require_experiment": false}})");
  const json::object product = ProductWithMedia(kShopA, 6);
  const std::string copy = Seed(shop_id, ProductUpdate(product, {}, {{"title", "Autopilot copy"}}));
  EXPECT_EQ(autopilot_.RunShop(shop_id).patches_applied, 0) << "allow_write_products is off";
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + copy + "'"), "pending");

  SetSettings(shop_id, R"({"allow_write_products": true, "autopilot_limits": {"enabled": true, "require_experiment": false}})");
  EXPECT_EQ(autopilot_.RunShop(shop_id).patches_applied, 1);
  EXPECT_EQ(Product(kShopA, std::string(product.at("id").as_string())).at("title"), "Autopilot copy");
  EXPECT_EQ(Count("SELECT count(*) FROM audit_trail WHERE actor = 'autopilot' AND action = 'apply'"), 1);
}

}  // namespace
}  // namespace pagelift::testing
