// The storefront's metafields on the simulator (src/shopify/storefront_metafields.h). Installing a shop (its
// shop_installed job) queues a storefront_metafields job that writes the shop's public id to the app-owned shop
// metafield $app.shop_public_id, which snippets/pagelift-config.liquid gives pagelift.js; each shop gets its own.
// Starting an experiment queues a storefront_metafields job in the same transaction, and the job writes the shop's
// running targets and blocks to $app.experiment_holds that the app embed reads; stopping the last one empties it.
// Only the shop's own metafields are written (shop B's stay as they were), and a move that does not change what runs
// (a draft archived) queues nothing.
#include "experiments/lifecycle.h"
#include "integration/patches/patches_harness.h"
#include "shopify/bulk_sync.h"
#include "shopify/storefront_metafields.h"

namespace pagelift::testing {
namespace {

class StorefrontMetafieldsTest : public PatchesHarness {
 protected:
  StorefrontMetafieldsTest() : bulk_sync_(database_, client_) {
    shopify::RegisterStorefrontMetafieldsJob(registry_, database_, experiments_, client_);
    shopify::RegisterSyncJobs(registry_, bulk_sync_, client_, {});  // shop_installed (no app URL: no webhooks)
  }

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
  long long Queued(std::string_view kind, const std::string& shop_id) {
    return Count("SELECT count(*) FROM jobs WHERE kind = '" + std::string(kind) +
                 "' AND status = 'queued' AND shop_id = '" + shop_id + "'");
  }
  long long QueuedHoldJobs(const std::string& shop_id) {
    return Queued(experiments::kStorefrontMetafieldsJobKind, shop_id);
  }
  // Runs the shop's queued jobs of `kind` through the registered handler, oldest first, as a worker would.
  void RunJobs(std::string_view kind, const std::string& shop_id) {
    const auto ids = database_.Run([&](pqxx::work& tx) {
      std::vector<std::int64_t> out;
      for (const auto& row : tx.exec_params("UPDATE jobs SET status = 'done' WHERE kind = $2 AND status = 'queued' "
                                            "AND shop_id = $1::uuid RETURNING id",
                                            shop_id, std::string(kind))) {
        out.push_back(row[0].as<std::int64_t>());
      }
      std::sort(out.begin(), out.end());
      return out;
    });
    ASSERT_FALSE(ids.empty()) << kind;
    for (const auto id : ids) {
      jobs::Job job;
      job.id = id;
      job.kind = std::string(kind);
      job.shop_id = shop_id;
      jobs::JobContext context{job, database_, [] { return false; }};
      const auto* handler = registry_.Find(job.kind);
      ASSERT_NE(handler, nullptr) << kind;
      const auto done = (*handler)(context);
      ASSERT_TRUE(done.ok()) << done.error().message;
    }
  }
  void RunHoldJobs(const std::string& shop_id) { RunJobs(experiments::kStorefrontMetafieldsJobKind, shop_id); }
  // What a shop's install runs: its shop_installed job, then the storefront_metafields job that one queued.
  void RunInstallJobs(const std::string& shop_id) {
    RunShopInstalled(shop_id);
    EXPECT_EQ(Queued(experiments::kStorefrontMetafieldsJobKind, shop_id), 1);
    RunJobs(experiments::kStorefrontMetafieldsJobKind, shop_id);
  }
  void RunShopInstalled(const std::string& shop_id) {
    database_.Run([&](pqxx::work& tx) {
      tx.exec_params("UPDATE jobs SET status = 'done' WHERE kind = $2 AND shop_id = $1::uuid", shop_id,
                     std::string(shopify::kShopInstalledJobKind));
    });
    jobs::Job job;
    job.kind = std::string(shopify::kShopInstalledJobKind);
    job.shop_id = shop_id;
    jobs::JobContext context{job, database_, [] { return false; }};
    const auto done = (*registry_.Find(job.kind))(context);
    ASSERT_TRUE(done.ok()) << done.error().message;
  }
  // The value of the shop-owned $app.<key> metafield in the simulator ("" when there is none).
  static std::string ShopMetafield(const std::string& shop, std::string_view key, std::string_view type) {
    const json::object state = SimState(shop);
    std::string found;
    for (const auto& m : state.at("metafields").as_array()) {
      const auto& metafield = m.as_object();
      if (metafield.at("key").as_string() != key) continue;
      EXPECT_NE(metafield.at("ownerId").as_string().find("gid://shopify/Shop/"), json::string::npos) << metafield;
      EXPECT_TRUE(metafield.at("namespace").as_string().starts_with("app--")) << metafield;  // $app, resolved
      EXPECT_EQ(metafield.at("type").as_string(), type) << metafield;
      EXPECT_TRUE(found.empty()) << "two " << key << " metafields";
      found = metafield.at("value").as_string();
    }
    return found;
  }
  static std::string Holds(const std::string& shop) {
    return ShopMetafield(shop, shopify::kExperimentHoldsKey, "json");
  }
  static std::string PublicIdMetafield(const std::string& shop) {
    return ShopMetafield(shop, shopify::kShopPublicIdKey, "single_line_text_field");
  }
  std::string PublicId(const std::string& shop_id) {
    return Scalar("SELECT public_id FROM shops WHERE id = '" + shop_id + "'");
  }

  jobs::JobRegistry registry_;
  shopify::BulkSync bulk_sync_;
};

TEST_F(StorefrontMetafieldsTest, RunningExperimentsTargetsAndBlocksReachTheShopMetafield) {
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

// Installing writes each shop's own public id to its own metafield (the value snippets/pagelift-config.liquid renders
// when the block setting is empty): A's job writes A's and leaves B's metafields as they were, then B's writes B's.
TEST_F(StorefrontMetafieldsTest, InstallingAShopWritesItsPublicIdToItsShopMetafield) {
  const std::string a = Install(kShopA);
  const std::string b = Install(kShopB);
  ASSERT_NE(PublicId(a), PublicId(b));
  // (The simulator outlives each test, but every test's database gives its shops new public ids.)
  ASSERT_NE(PublicIdMetafield(kShopA), PublicId(a));
  const std::string b_metafields = MetafieldBytes(kShopB);

  RunInstallJobs(a);
  EXPECT_EQ(PublicIdMetafield(kShopA), PublicId(a));
  EXPECT_EQ(Holds(kShopA), R"({"targets":[],"blocks":[]})");  // nothing runs yet: nothing is held
  EXPECT_EQ(MetafieldBytes(kShopB), b_metafields);             // B untouched

  RunInstallJobs(b);
  EXPECT_EQ(PublicIdMetafield(kShopB), PublicId(b));
  EXPECT_EQ(PublicIdMetafield(kShopA), PublicId(a));
}

// At start, every installed shop gets one job (not twice while one is queued), so a metafield lost without an
// install or a lifecycle move (here: the simulator holds another database's ids) is written again.
TEST_F(StorefrontMetafieldsTest, AtStartEachInstalledShopIsQueuedOnce) {
  const std::string a = Install(kShopA);
  const std::string b = Install(kShopB);
  const std::string id = Create(a, R"({"name": "Badge", "target": "product_page:badge.start",
      "variants": [{"key": "control"}, {"key": "urgent", "config": {"text": "Today only"}}]})");
  Move(a, id, experiments::Status::kRunning);
  database_.Run([&](pqxx::work& tx) { tx.exec("UPDATE jobs SET status = 'done'"); });
  // What the simulator holds is not this database's public id (another test's, or none): as good as lost.
  ASSERT_NE(PublicIdMetafield(kShopA), PublicId(a));

  EXPECT_EQ(shopify::QueueStorefrontMetafieldsOfInstalledShops(database_), 2);  // A and B
  EXPECT_EQ(shopify::QueueStorefrontMetafieldsOfInstalledShops(database_), 0);  // theirs are still queued
  EXPECT_EQ(Queued(experiments::kStorefrontMetafieldsJobKind, a), 1);
  EXPECT_EQ(Queued(experiments::kStorefrontMetafieldsJobKind, b), 1);
  RunJobs(experiments::kStorefrontMetafieldsJobKind, a);
  EXPECT_NE(Holds(kShopA).find("product_page:badge.start"), std::string::npos) << Holds(kShopA);
  EXPECT_EQ(PublicIdMetafield(kShopA), PublicId(a));
  RunJobs(experiments::kStorefrontMetafieldsJobKind, b);
  EXPECT_EQ(PublicIdMetafield(kShopB), PublicId(b));

  // An uninstalled shop is not queued.
  database_.Run([&](pqxx::work& tx) { tx.exec_params("UPDATE shops SET uninstalled_at = now() WHERE id = $1", b); });
  EXPECT_EQ(shopify::QueueStorefrontMetafieldsOfInstalledShops(database_), 1);
  EXPECT_EQ(Queued(experiments::kStorefrontMetafieldsJobKind, b), 0);
}

TEST_F(StorefrontMetafieldsTest, AnUninstalledShopsJobDoesNothing) {
  const std::string shop_id = Install(kShopA);
  const std::string id = Create(shop_id, R"({"name": "Badge", "target": "product_page:uninstalled",
      "variants": [{"key": "control"}, {"key": "urgent", "config": {"text": "Today only"}}]})");
  Move(shop_id, id, experiments::Status::kRunning);
  // (The simulator outlives each test: compare with what it held before, which never lists this experiment.)
  const std::string before = MetafieldBytes(kShopA);
  ASSERT_EQ(before.find("product_page:uninstalled"), std::string::npos);
  database_.Run(
      [&](pqxx::work& tx) { tx.exec_params("UPDATE shops SET uninstalled_at = now() WHERE id = $1", shop_id); });
  RunHoldJobs(shop_id);
  EXPECT_EQ(MetafieldBytes(kShopA), before);
}

}  // namespace
}  // namespace pagelift::testing
