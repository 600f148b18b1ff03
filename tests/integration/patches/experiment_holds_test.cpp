// The storefront's experiment holds on the simulator (src/shopify/experiment_holds.h): starting an experiment queues
// an experiment_holds job in the same transaction, and the job writes the shop's running targets and blocks to the
// app-owned shop metafield $app.experiment_holds that the app embed reads; stopping the last one empties it. Only the
// shop's own metafield is written (shop B's stay as they were), and a move that does not change what runs (a draft
// archived) queues nothing.
#include "experiments/lifecycle.h"
#include "integration/patches/patches_harness.h"
#include "shopify/experiment_holds.h"

namespace pagelift::testing {
namespace {

class ExperimentHoldsTest : public PatchesHarness {
 protected:
  ExperimentHoldsTest() { shopify::RegisterExperimentHoldsJob(registry_, database_, experiments_, client_); }

  std::string Create(const std::string& shop_id, const std::string& body) {
    return database_.Run([&](pqxx::work& tx) {
      auto created = experiments::CreateExperiment(tx, experiments_, shop_id, json::parse(body));
      EXPECT_TRUE(created.ok()) << created.error().message;
      return created->id;
    });
  }
  void Move(const std::string& shop_id, const std::string& id, experiments::Status to) {
    database_.Run([&](pqxx::work& tx) {
      auto moved = experiments::TransitionExperiment(tx, experiments_, shop_id, id, to);
      EXPECT_TRUE(moved.ok()) << moved.error().message;
    });
  }
  long long QueuedHoldJobs(const std::string& shop_id) {
    return Count("SELECT count(*) FROM jobs WHERE kind = 'experiment_holds' AND status = 'queued' AND shop_id = '" +
                 shop_id + "'");
  }
  // Runs the shop's queued experiment_holds jobs through the registered handler, oldest first, as a worker would.
  void RunHoldJobs(const std::string& shop_id) {
    const auto ids = database_.Run([&](pqxx::work& tx) {
      std::vector<std::int64_t> out;
      for (const auto& row : tx.exec_params("UPDATE jobs SET status = 'done' WHERE kind = 'experiment_holds' AND "
                                            "status = 'queued' AND shop_id = $1::uuid RETURNING id",
                                            shop_id)) {
        out.push_back(row[0].as<std::int64_t>());
      }
      return out;
    });
    ASSERT_FALSE(ids.empty());
    for (const auto id : ids) {
      jobs::Job job;
      job.id = id;
      job.kind = experiments::kExperimentHoldsJobKind;
      job.shop_id = shop_id;
      jobs::JobContext context{job, database_, [] { return false; }};
      const auto* handler = registry_.Find(job.kind);
      ASSERT_NE(handler, nullptr);
      const auto done = (*handler)(context);
      ASSERT_TRUE(done.ok()) << done.error().message;
    }
  }
  // The value of the shop-owned $app.experiment_holds metafield in the simulator ("" when there is none).
  static std::string Holds(const std::string& shop) {
    const json::object state = SimState(shop);
    std::string found;
    for (const auto& m : state.at("metafields").as_array()) {
      const auto& metafield = m.as_object();
      if (metafield.at("key").as_string() != "experiment_holds") continue;
      EXPECT_NE(metafield.at("ownerId").as_string().find("gid://shopify/Shop/"), json::string::npos) << metafield;
      EXPECT_EQ(metafield.at("type").as_string(), "json") << metafield;
      EXPECT_TRUE(found.empty()) << "two experiment_holds metafields";
      found = metafield.at("value").as_string();
    }
    return found;
  }

  jobs::JobRegistry registry_;
};

TEST_F(ExperimentHoldsTest, RunningExperimentsTargetsAndBlocksReachTheShopMetafield) {
  const std::string shop_id = Install(kShopA);
  Install(kShopB);
  const std::string b_metafields = MetafieldBytes(kShopB);
  const std::string badge = Create(shop_id, R"({"name": "Badge", "target": "product_page:badge",
      "variants": [{"key": "control"}, {"key": "urgent", "config": {"text": "Today only"}}]})");
  const std::string trust = Create(shop_id, R"({"name": "Trust", "target": "block:trust",
      "variants": [{"key": "control", "config": {"block": "trust_badges", "show": false}},
                   {"key": "shown", "config": {"block": "trust_badges", "show": true}}]})");
  EXPECT_EQ(QueuedHoldJobs(shop_id), 0);  // drafts hold nothing

  Move(shop_id, badge, experiments::Status::kRunning);
  Move(shop_id, trust, experiments::Status::kRunning);
  EXPECT_EQ(QueuedHoldJobs(shop_id), 2);  // one per move, in the moves' transactions
  RunHoldJobs(shop_id);
  EXPECT_EQ(Holds(kShopA), R"({"targets":["block:trust","product_page:badge"],"blocks":["trust_badges"]})");

  // Paused: no longer running, so no longer held.
  Move(shop_id, badge, experiments::Status::kPaused);
  RunHoldJobs(shop_id);
  EXPECT_EQ(Holds(kShopA), R"({"targets":["block:trust"],"blocks":["trust_badges"]})");

  Move(shop_id, trust, experiments::Status::kStopped);
  RunHoldJobs(shop_id);
  EXPECT_EQ(Holds(kShopA), R"({"targets":[],"blocks":[]})");

  // A move between two not-running states changes nothing on the storefront: no job.
  Move(shop_id, badge, experiments::Status::kStopped);
  EXPECT_EQ(QueuedHoldJobs(shop_id), 0);

  EXPECT_EQ(MetafieldBytes(kShopB), b_metafields);  // shop B's metafields untouched
}

// At start, every installed shop with a running experiment gets one job (not twice while one is queued), so a
// metafield lost without a lifecycle move (here: the simulator's, deleted behind the app's back) is written again.
TEST_F(ExperimentHoldsTest, AtStartEachShopWithARunningExperimentIsQueuedOnce) {
  const std::string a = Install(kShopA);
  const std::string b = Install(kShopB);
  const std::string id = Create(a, R"({"name": "Badge", "target": "product_page:badge.start",
      "variants": [{"key": "control"}, {"key": "urgent", "config": {"text": "Today only"}}]})");
  Create(b, R"({"name": "Draft", "target": "product_page:cta", "variants": [{"key": "a"}, {"key": "b"}]})");
  Move(a, id, experiments::Status::kRunning);
  database_.Run([&](pqxx::work& tx) { tx.exec("UPDATE jobs SET status = 'done' WHERE kind = 'experiment_holds'"); });

  EXPECT_EQ(shopify::QueueExperimentHoldsOfRunningShops(database_), 1);  // A only: B has no running experiment
  EXPECT_EQ(shopify::QueueExperimentHoldsOfRunningShops(database_), 0);  // A's is still queued
  EXPECT_EQ(QueuedHoldJobs(a), 1);
  EXPECT_EQ(QueuedHoldJobs(b), 0);
  RunHoldJobs(a);
  EXPECT_NE(Holds(kShopA).find("product_page:badge.start"), std::string::npos) << Holds(kShopA);
}

TEST_F(ExperimentHoldsTest, AnUninstalledShopsJobDoesNothing) {
  const std::string shop_id = Install(kShopA);
  const std::string id = Create(shop_id, R"({"name": "Badge", "target": "product_page:uninstalled",
      "variants": [{"key": "control"}, {"key": "urgent", "config": {"text": "Today only"}}]})");
  Move(shop_id, id, experiments::Status::kRunning);
  // (The simulator outlives each test: compare with what it held before, which never lists this experiment.)
  const std::string before = MetafieldBytes(kShopA);
  ASSERT_EQ(before.find("product_page:uninstalled"), std::string::npos);
  database_.Run([&](pqxx::work& tx) { tx.exec_params("UPDATE shops SET uninstalled_at = now() WHERE id = $1", shop_id); });
  RunHoldJobs(shop_id);
  EXPECT_EQ(MetafieldBytes(kShopA), before);
}

}  // namespace
}  // namespace pagelift::testing
