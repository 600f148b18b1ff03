// Cross-shop access on every /api/* route this area owns (/api/shop, /api/settings, GET and POST /api/sync): a session
// token of shop A reads only A's rows (its tracking counts only A's events) and queues syncs only for A, and naming
// shop B (in the `shop` parameter, or by a token B's secret never signed) is refused with 403/401 while B's rows and
// jobs stay exactly as they were.
#include "auth_harness.h"
#include "shopify/sync_runs.h"

namespace pagelift::testing {
namespace {

constexpr const char* kShopA = "a.myshopify.com";
constexpr const char* kShopB = "b.myshopify.com";

class CrossShopTest : public AuthHarness {
 protected:
  CrossShopTest() {
    a_ = Install(kShopA);
    b_ = Install(kShopB);
    // Each shop has one finished products sync with a count that identifies it.
    database_.Run([&](pqxx::work& tx) {
      for (const auto& [id, done] : {std::pair{a_.id, 11LL}, std::pair{b_.id, 22LL}}) {
        const auto run = shopify::StartOrResumeSyncRun(tx, id, "products");
        shopify::RecordSyncRunProgress(tx, id, run.id, done, 0);
        shopify::FinishSyncRun(tx, id, run.id, "done", std::nullopt);
      }
    });
    database_.Run([&](pqxx::work& tx) {
      tx.exec_params("UPDATE shops SET settings = '{\"brand_voice\": \"bee\"}' WHERE id = $1::uuid", b_.id);
      // Storefront events: 3 recent ones for A, 5 for B, and one of A's older than a day.
      for (const auto& [id, n, age] : {std::tuple{a_.id, 3, "1 hour"}, std::tuple{b_.id, 5, "2 hours"},
                                       std::tuple{a_.id, 1, "3 days"}}) {
        tx.exec_params("INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts) "
                       "SELECT $1::uuid, gen_random_uuid(), 'anon', 'session', 'page_view', now() - $3::interval "
                       "FROM generate_series(1, $2)",
                       id, n, age);
      }
    });
    b_snapshot_ = SnapshotOfB();
  }

  std::map<std::string, std::string> Bearer(const std::string& shop) {
    return {{"Authorization", "Bearer " + SessionToken(shop)}, {"Content-Type", "application/json"}};
  }

  // Every column of B's shop row and sync runs, as text: compared before and after the attempts.
  std::string SnapshotOfB() {
    return Scalar("SELECT (SELECT row_to_json(s)::text FROM shops s WHERE s.domain = 'b.myshopify.com') || "
                  "       (SELECT coalesce(json_agg(r ORDER BY r.id)::text, '') FROM sync_runs r "
                  "         WHERE r.shop_id = (SELECT id FROM shops WHERE domain = 'b.myshopify.com')) || "
                  "       (SELECT coalesce(json_agg(j ORDER BY j.id)::text, '') FROM jobs j "
                  "         WHERE j.shop_id = (SELECT id FROM shops WHERE domain = 'b.myshopify.com'))");
  }

  shopify::ShopRow a_;
  shopify::ShopRow b_;
  std::string b_snapshot_;
};

TEST_F(CrossShopTest, EachTokenSeesOnlyItsOwnShop) {
  auto shop = Get("/api/shop", Bearer(kShopA));
  ASSERT_EQ(shop.status, 200) << shop.body;
  EXPECT_EQ(json::parse(shop.body).at("shop").at("domain"), kShopA);
  const auto tracking = json::parse(shop.body).at("shop").at("tracking").as_object();
  EXPECT_EQ(tracking.at("events_last_24h"), 3) << shop.body;  // A's recent events, not B's 5 nor A's old one
  EXPECT_FALSE(tracking.at("last_event_at").is_null()) << shop.body;
  // This harness's stand-in Shopify answers no GraphQL: the embed is unknown, with a reason, never a 500.
  EXPECT_TRUE(tracking.at("app_embed_enabled").is_null()) << shop.body;
  EXPECT_TRUE(tracking.at("app_embed_reason").is_string()) << shop.body;
  EXPECT_NE(tracking.at("app_embed_url").as_string().find("https://a.myshopify.com/admin/themes/current/editor"),
            json::string::npos)
      << shop.body;
  EXPECT_EQ(json::parse(Get("/api/shop", Bearer(kShopB)).body).at("shop").at("tracking").at("events_last_24h"), 5);

  auto settings = Get("/api/settings", Bearer(kShopA));
  ASSERT_EQ(settings.status, 200) << settings.body;
  EXPECT_EQ(json::parse(settings.body).at("settings").at("brand_voice"), "") << settings.body;  // not B's "bee"

  auto sync_a = Get("/api/sync", Bearer(kShopA));
  ASSERT_EQ(sync_a.status, 200) << sync_a.body;
  EXPECT_EQ(json::parse(sync_a.body).at("sync").at("products").at("objects_done"), 11) << sync_a.body;
  auto sync_b = Get("/api/sync", Bearer(kShopB));
  ASSERT_EQ(sync_b.status, 200) << sync_b.body;
  EXPECT_EQ(json::parse(sync_b.body).at("sync").at("products").at("objects_done"), 22) << sync_b.body;
}

TEST_F(CrossShopTest, NamingAnotherShopIsForbiddenOnEveryRoute) {
  for (const char* named : {"b.myshopify.com", "B.MyShopify.com", "admin.shopify.com/store/b"}) {
    const std::string query = std::string("?shop=") + named;
    for (const char* path : {"/api/shop", "/api/settings", "/api/sync"}) {
      auto result = Get(path + query, Bearer(kShopA));
      EXPECT_EQ(result.status, 403) << path << query << ": " << result.body;
      EXPECT_EQ(result.body.find("b.myshopify.com"), std::string::npos) << path << ": " << result.body;
    }
    auto put = Send("PUT", "/api/settings" + query, R"({"brand_voice": "evil"})", Bearer(kShopA));
    EXPECT_EQ(put.status, 403) << put.body;
    auto sync = Send("POST", "/api/sync" + query, "", Bearer(kShopA));
    EXPECT_EQ(sync.status, 403) << sync.body;
  }
  EXPECT_EQ(SnapshotOfB(), b_snapshot_);
}

TEST_F(CrossShopTest, ATokenNotSignedByTheAppSecretReachesNoShop) {
  // A token claiming to be B, signed with a secret that is not the app's.
  std::map<std::string, std::string> forged = {{"Authorization", "Bearer " + SessionToken(kShopB, "not-the-secret")},
                                               {"Content-Type", "application/json"}};
  for (const char* path : {"/api/shop", "/api/settings", "/api/sync"}) {
    EXPECT_EQ(Get(path, forged).status, 401) << path;
  }
  EXPECT_EQ(Send("PUT", "/api/settings", R"({"brand_voice": "evil"})", forged).status, 401);
  EXPECT_EQ(Send("POST", "/api/sync", "", forged).status, 401);
  EXPECT_EQ(SnapshotOfB(), b_snapshot_);
  EXPECT_EQ(shopify_.calls("urn:ietf:params:oauth:grant-type:token-exchange"), 0);
}

TEST_F(CrossShopTest, AWriteOfShopATouchesNothingOfShopB) {
  auto put = Send("PUT", "/api/settings", R"({"brand_voice": "calm"})", Bearer(kShopA));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Scalar("SELECT settings->>'brand_voice' FROM shops WHERE domain = 'a.myshopify.com'"), "calm");
  EXPECT_EQ(SnapshotOfB(), b_snapshot_);
}

TEST_F(CrossShopTest, SyncNowQueuesOnlyTheTokensShopAndRefusesASecondWhileOneRuns) {
  const auto queued_for = [&](const std::string& shop_id) {
    return Count("SELECT count(*) FROM jobs WHERE kind = 'bulk_sync' AND status = 'queued' AND shop_id = '" + shop_id +
                 "'");
  };
  auto first = Send("POST", "/api/sync", "", Bearer(kShopA));
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(queued_for(a_.id), 2);  // products and orders
  EXPECT_EQ(queued_for(b_.id), 0);
  EXPECT_EQ(json::parse(Get("/api/sync", Bearer(kShopA)).body).at("active"), true);
  EXPECT_EQ(json::parse(Get("/api/sync", Bearer(kShopB)).body).at("active"), false);

  auto second = Send("POST", "/api/sync", "", Bearer(kShopA));
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_NE(second.body.find("already running"), std::string::npos) << second.body;
  EXPECT_EQ(queued_for(a_.id), 2);
  EXPECT_EQ(SnapshotOfB(), b_snapshot_);

  // Once A's jobs are done, a new sync can be queued again.
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params("UPDATE jobs SET status = 'done' WHERE shop_id = $1::uuid AND kind = 'bulk_sync'", a_.id);
  });
  EXPECT_EQ(Send("POST", "/api/sync", "", Bearer(kShopA)).status, 202);
}

}  // namespace
}  // namespace pagelift::testing
