// The audit against PostgreSQL: the recommendation lifecycle across re-audits (a fixed problem → resolved; unchanged →
// same id and status; dismissed stays dismissed until the product changes; a problem that comes back reopens the same
// row), the change watcher (new, updated and deleted products), and /api/recommendations + /api/shop/health over real
// HTTP behind session tokens, including the cross-shop rule: shop A's token never reads or dismisses shop B's rows.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "api/recommendations.h"
#include "db/database.h"
#include "recommend/audit_service.h"
#include "shopify/catalog_repository.h"
#include "support/admin_session.h"
#include "support/http_client.h"
#include "support/test_database.h"
#include "support/test_server.h"

namespace pagelift::testing {
namespace {

namespace json = boost::json;

constexpr const char* kApiSecret = "recommend-secret";
constexpr const char* kApiKeyName = "recommend-key";
constexpr const char* kShopA = "alpha.myshopify.com";
constexpr const char* kShopB = "beta.myshopify.com";

// A product with a few problems: no SEO title, missing alt text on one image, two images only.
json::object Product(const std::string& id, const std::string& title, const std::string& updated_at) {
  auto p = json::parse(R"({
    "handle": "tee", "status": "ACTIVE", "vendor": "Northwind", "productType": "Kitchen", "tags": [],
    "descriptionHtml": "<p>Meet the tee, cut from organic cotton jersey that softens with every wash. It has a relaxed fit through the body and a slightly dropped shoulder for an easy everyday shape.</p><ul><li>100% organic cotton, 180 gsm</li><li>Pre-shrunk so the fit you buy is the fit you keep</li><li>Reinforced seams</li></ul><p>Free shipping and free returns within 30 days. Machine wash cold and tumble dry low, and it keeps its shape.</p>",
    "seo": {"title": null, "description": "An organic cotton crew tee with a relaxed fit that softens with every wash."},
    "options": [{"name": "Title", "values": ["Default Title"]}],
    "variants": [{"id": "gid://shopify/ProductVariant/1", "title": "Default Title", "price": "30.00", "compareAtPrice": null, "inventoryQuantity": 50, "availableForSale": true}],
    "media": [{"id": "gid://shopify/MediaImage/1", "alt": "Front", "mediaContentType": "IMAGE", "image": {"url": "https://cdn/1.jpg", "width": 2048, "height": 2048}},
              {"id": "gid://shopify/MediaImage/2", "alt": "", "mediaContentType": "IMAGE", "image": {"url": "https://cdn/2.jpg", "width": 2048, "height": 2048}}],
    "metafields": []
  })").as_object();
  p["id"] = id;
  p["title"] = title;
  p["handle"] = "h-" + id.substr(id.rfind('/') + 1);
  p["updatedAt"] = updated_at;
  return p;
}

class RecommendTest : public ::testing::Test {
 protected:
  RecommendTest()
      : database_(test_database_.conninfo(), 4),
        admin_(database_, TestApp(kApiKeyName, kApiSecret)),
        catalog_(database_),
        audit_(database_, kApiKeyName),
        shop_a_(admin_.Install(kShopA).id),
        shop_b_(admin_.Install(kShopB).id) {}
  ~RecommendTest() override {
    server_.Shutdown();
    database_.Shutdown();
  }

  void Put(const std::string& shop_id, json::object data) {
    auto record = shopify::ProductFromGraphql(std::move(data));
    ASSERT_TRUE(record) << record.error().message;
    std::vector<shopify::ProductRecord> records;
    records.push_back(std::move(*record));
    database_.Run([&](pqxx::work& tx) { catalog_.Upsert(tx, shop_id, std::move(records)); });
  }

  recommend::AuditRunSummary Audit(const std::string& shop_id) {
    auto summary = database_.Run([&](pqxx::work& tx) { return audit_.AuditShop(tx, shop_id); });
    EXPECT_TRUE(summary) << summary.error().message;
    return *summary;
  }

  struct Row {
    std::string id;
    std::string status;
  };
  std::optional<Row> RowOf(const std::string& shop_id, const std::string& entity_id, const std::string& rule_id) {
    return database_.Run([&](pqxx::work& tx) -> std::optional<Row> {
      const auto rows = tx.exec_params(
          "SELECT id::text, status FROM recommendations WHERE shop_id = $1::uuid AND entity_id = $2 AND rule_id = $3",
          shop_id, entity_id, rule_id);
      if (rows.empty()) return std::nullopt;
      return Row{rows[0][0].c_str(), rows[0][1].c_str()};
    });
  }

  std::string Dismiss(const std::string& shop_id, const std::string& id) {
    auto dismissed = database_.Run([&](pqxx::work& tx) { return audit_.repository().Dismiss(tx, shop_id, id); });
    EXPECT_TRUE(dismissed) << dismissed.error().message;
    return dismissed->status;
  }

  std::vector<std::string> StaleShops() {
    return database_.Run([&](pqxx::work& tx) { return audit_.ShopsNeedingAudit(tx, 100); });
  }

  void StartServer() {
    api::RegisterRecommendationRoutes(server_.router(), admin_.deps(), audit_);
    server_.Start();
  }

  HttpResult Call(const std::string& shop, const std::string& method, const std::string& target) {
    return admin_.Call(server_.port(), shop, method, target);
  }

  std::string StoredRow(const std::string& id) {
    return database_.Run([&](pqxx::work& tx) {
      return tx.exec_params("SELECT row_to_json(r)::text FROM recommendations r WHERE id = $1::uuid", id)[0][0]
          .as<std::string>();
    });
  }

  TestDatabase test_database_;
  db::Database database_;
  AdminSession admin_;
  shopify::CatalogRepository catalog_;
  recommend::AuditService audit_;
  std::string shop_a_;
  std::string shop_b_;
  TestServer server_;
};

constexpr const char* kP1 = "gid://shopify/Product/1";
constexpr const char* kP2 = "gid://shopify/Product/2";

// kP1 after the merchant gave it an SEO title (a later updatedAt): the fix for seo.title_missing.
json::object CrewTeeWithSeoTitle() {
  auto fixed = Product(kP1, "Crew Tee", "2026-11-02T00:00:00Z");
  fixed["seo"].as_object()["title"] = "Crew Tee | Northwind";
  return fixed;
}

TEST_F(RecommendTest, AuditCreatesPendingRowsAndReauditKeepsThem) {
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-01T00:00:00Z"));
  const auto first = Audit(shop_a_);
  EXPECT_EQ(first.products, 1u);
  EXPECT_GT(first.changes.created, 0);
  const auto seo = RowOf(shop_a_, kP1, "seo.title_missing");
  const auto alt = RowOf(shop_a_, kP1, "accessibility.image_alt_missing");
  ASSERT_TRUE(seo && alt);
  EXPECT_EQ(seo->status, "pending");
  ASSERT_TRUE(RowOf(shop_a_, "shop", "trust.app_embed_disabled"));  // no storefront events yet

  const auto second = Audit(shop_a_);
  EXPECT_EQ(second.changes.created, 0);
  EXPECT_EQ(second.changes.resolved, 0);
  EXPECT_EQ(second.changes.unchanged, static_cast<int>(second.findings));
  EXPECT_EQ(RowOf(shop_a_, kP1, "seo.title_missing")->id, seo->id);
  EXPECT_EQ(RowOf(shop_a_, kP1, "seo.title_missing")->status, "pending");
}

TEST_F(RecommendTest, FixedProblemIsResolvedAndComesBackAsTheSameRow) {
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-01T00:00:00Z"));
  Audit(shop_a_);
  const auto before = RowOf(shop_a_, kP1, "seo.title_missing");
  Put(shop_a_, CrewTeeWithSeoTitle());
  const auto summary = Audit(shop_a_);
  EXPECT_EQ(summary.changes.resolved, 1);
  EXPECT_EQ(RowOf(shop_a_, kP1, "seo.title_missing")->status, "resolved");
  EXPECT_EQ(RowOf(shop_a_, kP1, "seo.title_missing")->id, before->id);
  EXPECT_EQ(RowOf(shop_a_, kP1, "accessibility.image_alt_missing")->status, "pending");  // still a problem

  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-03T00:00:00Z"));  // someone cleared the SEO title again
  EXPECT_EQ(Audit(shop_a_).changes.reopened, 1);
  EXPECT_EQ(RowOf(shop_a_, kP1, "seo.title_missing")->status, "pending");
  EXPECT_EQ(RowOf(shop_a_, kP1, "seo.title_missing")->id, before->id);
}

TEST_F(RecommendTest, DismissedStaysDismissedUntilTheProductChanges) {
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-01T00:00:00Z"));
  Audit(shop_a_);
  const auto row = RowOf(shop_a_, kP1, "accessibility.image_alt_missing");
  EXPECT_EQ(Dismiss(shop_a_, row->id), "dismissed");
  Audit(shop_a_);
  Audit(shop_a_);
  EXPECT_EQ(RowOf(shop_a_, kP1, "accessibility.image_alt_missing")->status, "dismissed");
  // The merchant edits the product (the alt text is still missing): the recommendation comes back, same id.
  Put(shop_a_, Product(kP1, "Crew Tee Classic", "2026-11-02T00:00:00Z"));
  Audit(shop_a_);
  const auto after = RowOf(shop_a_, kP1, "accessibility.image_alt_missing");
  EXPECT_EQ(after->status, "pending");
  EXPECT_EQ(after->id, row->id);
}

TEST_F(RecommendTest, WatcherFindsNewUpdatedAndDeletedProducts) {
  EXPECT_TRUE(StaleShops().empty());
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-01T00:00:00Z"));
  EXPECT_EQ(StaleShops(), std::vector<std::string>{shop_a_});
  const auto enqueued = database_.Run([&](pqxx::work& tx) { return audit_.EnqueueStaleAudits(tx); });
  EXPECT_EQ(enqueued, 1);
  EXPECT_EQ(database_.Run([&](pqxx::work& tx) { return audit_.EnqueueStaleAudits(tx); }), 0);  // deduplicated
  Audit(shop_a_);
  EXPECT_TRUE(StaleShops().empty());
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-02T00:00:00Z"));  // products/update
  EXPECT_EQ(StaleShops(), std::vector<std::string>{shop_a_});
  Audit(shop_a_);
  database_.Run([&](pqxx::work& tx) { catalog_.Delete(tx, shop_a_, kP1); });  // products/delete
  EXPECT_EQ(StaleShops(), std::vector<std::string>{shop_a_});
  Audit(shop_a_);
  EXPECT_TRUE(StaleShops().empty());
  EXPECT_EQ(RowOf(shop_a_, kP1, "seo.title_missing")->status, "resolved");  // the product is gone
  // A day without changes: the shop is re-audited anyway (storefront events may have started).
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params("UPDATE shop_audits SET audited_at = now() - interval '25 hours' WHERE shop_id = $1::uuid", shop_a_);
  });
  EXPECT_EQ(StaleShops(), std::vector<std::string>{shop_a_});
}

TEST_F(RecommendTest, DismissingAResolvedRecommendationIsAConflict) {
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-01T00:00:00Z"));
  Audit(shop_a_);
  const auto row = RowOf(shop_a_, kP1, "seo.title_missing");
  Put(shop_a_, CrewTeeWithSeoTitle());
  Audit(shop_a_);
  auto dismissed = database_.Run([&](pqxx::work& tx) { return audit_.repository().Dismiss(tx, shop_a_, row->id); });
  ASSERT_FALSE(dismissed);
  EXPECT_EQ(dismissed.error().code, ErrorCode::kConflict);
}

TEST_F(RecommendTest, ApiListsByImpactFiltersDismissesAndScoresHealth) {
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-01T00:00:00Z"));
  StartServer();
  const auto health_before = json::parse(Call(kShopA, "GET", "/api/shop/health").body);
  EXPECT_TRUE(health_before.at("health").at("score").is_null());  // never audited

  const auto audited = Call(kShopA, "POST", "/api/recommendations/audit");
  ASSERT_EQ(audited.status, 200) << audited.body;
  const auto audit_body = json::parse(audited.body);
  EXPECT_EQ(audit_body.at("audit").at("products"), 1);
  const auto score = audit_body.at("health").at("score").as_int64();
  EXPECT_GE(score, 0);
  EXPECT_LT(score, 100);

  const auto listed = Call(kShopA, "GET", "/api/recommendations?status=pending");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json::value list_body = json::parse(listed.body);
  const auto& items = list_body.at("recommendations").as_array();
  ASSERT_GE(items.size(), 3u);
  auto midpoint = [](const json::value& r) {
    const auto& impact = r.at("expected_impact");
    return (json::value_to<double>(impact.at("low")) + json::value_to<double>(impact.at("high"))) / 2;
  };
  for (std::size_t i = 1; i < items.size(); ++i) EXPECT_GE(midpoint(items[i - 1]), midpoint(items[i]));

  const auto seo_only = json::parse(Call(kShopA, "GET", "/api/recommendations?category=seo").body);
  for (const auto& r : seo_only.at("recommendations").as_array()) EXPECT_EQ(r.at("category"), "seo");
  const auto high = json::parse(Call(kShopA, "GET", "/api/recommendations?severity=high").body);
  for (const auto& r : high.at("recommendations").as_array()) EXPECT_EQ(r.at("severity"), "high");

  const std::string id(items[0].at("id").as_string());
  const auto dismissed = Call(kShopA, "POST", "/api/recommendations/" + id + "/dismiss");
  ASSERT_EQ(dismissed.status, 200) << dismissed.body;
  EXPECT_EQ(json::parse(dismissed.body).at("recommendation").at("status"), "dismissed");
  const auto one = Call(kShopA, "GET", "/api/recommendations/" + id);
  EXPECT_EQ(json::parse(one.body).at("recommendation").at("status"), "dismissed");
  const auto health = json::parse(Call(kShopA, "GET", "/api/shop/health").body);
  EXPECT_GE(health.at("health").at("score").as_int64(), score);  // one problem fewer counts
}

TEST_F(RecommendTest, ApiRejectsBadInputWithTheField) {
  StartServer();
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"category=colour", "category"}, {"severity=urgent", "severity"}, {"status=open", "status"},
           {"limit=0", "limit"}, {"limit=abc", "limit"}, {"offset=-1", "offset"}}) {
    const auto result = Call(kShopA, "GET", "/api/recommendations?" + query);
    EXPECT_EQ(result.status, 400) << query;
    EXPECT_EQ(json::parse(result.body).at("error").at("details").at("field"), json::value(field)) << query;
  }
  EXPECT_EQ(Call(kShopA, "GET", "/api/recommendations/not-a-uuid").status, 404);
  EXPECT_EQ(Call(kShopA, "POST", "/api/recommendations/not-a-uuid/dismiss").status, 404);
  EXPECT_EQ(server_.Request("GET", "/api/recommendations", "").status, 401);  // no session token
}

TEST_F(RecommendTest, CrossShopTokensNeverReachAnotherShopsRecommendations) {
  Put(shop_a_, Product(kP1, "Crew Tee", "2026-11-01T00:00:00Z"));
  Put(shop_b_, Product(kP2, "Mug", "2026-11-01T00:00:00Z"));
  StartServer();
  ASSERT_EQ(Call(kShopA, "POST", "/api/recommendations/audit").status, 200);
  const auto row_a = RowOf(shop_a_, kP1, "seo.title_missing");
  ASSERT_TRUE(row_a);
  const std::string before = StoredRow(row_a->id);

  // B has not audited: it sees nothing of A's.
  const auto list_b = json::parse(Call(kShopB, "GET", "/api/recommendations").body);
  EXPECT_TRUE(list_b.at("recommendations").as_array().empty());
  EXPECT_EQ(Call(kShopB, "GET", "/api/recommendations/" + row_a->id).status, 404);
  EXPECT_EQ(Call(kShopB, "POST", "/api/recommendations/" + row_a->id + "/dismiss").status, 404);
  EXPECT_EQ(StoredRow(row_a->id), before);  // nothing touched

  // B's audit covers B's products only and leaves A's rows alone.
  const auto audit_b = json::parse(Call(kShopB, "POST", "/api/recommendations/audit").body);
  EXPECT_EQ(audit_b.at("audit").at("products"), 1);
  EXPECT_EQ(StoredRow(row_a->id), before);
  const auto list_b_after = json::parse(Call(kShopB, "GET", "/api/recommendations").body);
  for (const auto& r : list_b_after.at("recommendations").as_array()) {
    EXPECT_NE(r.at("entity_id"), kP1);
    EXPECT_NE(r.at("id"), json::value(row_a->id));
  }
  // A token naming the other shop in ?shop= is refused.
  EXPECT_EQ(Call(kShopA, "GET", std::string("/api/recommendations?shop=") + kShopB).status, 403);
}

}  // namespace
}  // namespace pagelift::testing
