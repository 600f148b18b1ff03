// Deletions reach pagelift's caches and stay deleted: a products/delete leaves a tombstone so that a late
// products/update (or a bulk result older than the delete) cannot bring the product back; a completed full sync
// removes products deleted in Shopify whose webhook never came, and keeps rows written after its snapshot; orders of a
// redacted customer stay gone when a retried orders/paid arrives. Against the in-process simulator with a small store.
#include "shopify/compliance.h"
#include "shopify/webhook_handlers.h"
#include "sync_harness.h"

namespace pagelift::testing {
namespace {

constexpr const char* kShop = "sync-deletions.myshopify.com";
constexpr int kProducts = 40;

class DeletionsTest : public SyncHarness {
 protected:
  static void SetUpTestSuite() { StartSimulator(kShop, kProducts, 20); }
  static void TearDownTestSuite() { StopSimulator(); }

  bool Cached(const std::string& product_id) {
    return database_.Run([&](pqxx::work& tx) {
      return !tx.exec_params("SELECT 1 FROM products_cache WHERE shop_id = $1 AND product_id = $2", shop_id_,
                             product_id)
                  .empty();
    });
  }
  static json::object RestProduct(long long id, const char* title, const char* updated_at) {
    return json::object{{"id", id}, {"handle", "mug-" + std::to_string(id)}, {"title", title}, {"updated_at", updated_at}};
  }
};

TEST_F(DeletionsTest, AProductUpdateDeliveredAfterTheDeleteDoesNotBringTheProductBack) {
  const auto& catalog = sync_->catalog();
  const std::string gid = "gid://shopify/Product/42";
  ASSERT_TRUE(shopify::HandleProductUpsert(database_, catalog,
                                           Delivery("products/create", RestProduct(42, "Mug", "2026-11-01T10:00:00Z")))
                  .ok());
  ASSERT_TRUE(Cached(gid));
  ASSERT_TRUE(shopify::HandleProductDelete(database_, catalog, Delivery("products/delete", json::object{{"id", 42}})).ok());
  EXPECT_FALSE(Cached(gid));

  // The update Shopify sent before the delete arrives late (retries reorder deliveries), older or with a later clock.
  for (const char* updated_at : {"2026-11-01T11:00:00Z", "2030-01-01T00:00:00Z"}) {
    ASSERT_TRUE(shopify::HandleProductUpsert(database_, catalog,
                                             Delivery("products/update", RestProduct(42, "Mug 2", updated_at)))
                    .ok());
    EXPECT_FALSE(Cached(gid)) << updated_at;
  }
  // Nor does a bulk result that still contains it.
  auto record = shopify::ProductFromRest(RestProduct(42, "Mug 3", "2026-11-02T00:00:00Z"));
  ASSERT_TRUE(record.ok());
  std::vector<shopify::ProductRecord> records{std::move(record).value()};
  EXPECT_EQ(database_.Run([&](pqxx::work& tx) { return catalog.Upsert(tx, shop_id_, std::move(records)); }), 0u);
  EXPECT_FALSE(Cached(gid));
  // Another product is unaffected by the tombstone.
  ASSERT_TRUE(shopify::HandleProductUpsert(database_, catalog,
                                           Delivery("products/create", RestProduct(43, "Cup", "2026-11-01T10:00:00Z")))
                  .ok());
  EXPECT_TRUE(Cached("gid://shopify/Product/43"));
}

TEST_F(DeletionsTest, AFullSyncRemovesProductsDeletedInShopifyAndKeepsNewerRows) {
  auto first = sync_->Run(shop(), shopify::SyncKind::kProducts);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->objects, kProducts);
  EXPECT_EQ(first->removed, 0);

  // Deleted in Shopify; the app has no webhook subscription here, so products/delete never arrives.
  const auto state = Control("state");
  const std::string deleted = std::string(state.at("products").as_array().front().at("id").as_string());
  HttpClient control(sim_->port());
  const auto removed = control.Request("DELETE", "/_sim/shops/" + std::string(kShop) + "/products/" +
                                                      deleted.substr(deleted.rfind('/') + 1), "");
  ASSERT_EQ(removed.status, 200) << removed.body;
  // A product created in Shopify after the next sync's snapshot, known only from its webhook: the sync must keep it.
  ASSERT_TRUE(shopify::HandleProductUpsert(database_, sync_->catalog(),
                                           Delivery("products/create", RestProduct(987654321, "Brand new",
                                                                                   "2099-01-01T00:00:00Z")))
                  .ok());
  // A product deleted in Shopify before the snapshot, whose row an earlier webhook wrote: the sync removes it.
  ASSERT_TRUE(shopify::HandleProductUpsert(database_, sync_->catalog(),
                                           Delivery("products/create", RestProduct(987654322, "Long gone",
                                                                                   "2020-01-01T00:00:00Z")))
                  .ok());

  auto second = sync_->Run(shop(), shopify::SyncKind::kProducts);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->objects, kProducts - 1);
  EXPECT_EQ(second->removed, 2);
  EXPECT_FALSE(Cached(deleted));
  EXPECT_FALSE(Cached("gid://shopify/Product/987654322"));
  EXPECT_TRUE(Cached("gid://shopify/Product/987654321"));
  EXPECT_EQ(Count("SELECT count(*) FROM products_cache WHERE shop_id = $1"), kProducts);  // 39 synced + the new one

  // A failed sync removes nothing.
  Control("faults", json::object{{"fail_next", json::object{{"count", 50}, {"status", 500}}}});
  auto failed = sync_->Run(shop(), shopify::SyncKind::kProducts);
  EXPECT_FALSE(failed.ok());
  Control("faults", json::object{{"reset", true}});
  EXPECT_EQ(Count("SELECT count(*) FROM products_cache WHERE shop_id = $1"), kProducts);
}

TEST_F(DeletionsTest, OrdersOfARedactedCustomerStayGone) {
  const auto& orders = sync_->orders();
  auto order = [](long long id, const char* updated_at) {
    return json::object{{"id", id},
                        {"total_price", "20.00"},
                        {"created_at", "2026-11-01T09:00:00Z"},
                        {"updated_at", updated_at},
                        {"customer", json::object{{"id", 555}}},
                        {"line_items", json::array{json::object{}}}};
  };
  ASSERT_TRUE(shopify::HandleOrderUpsert(database_, orders, Delivery("orders/create", order(7, "2026-11-01T10:00:00Z"))).ok());
  ASSERT_TRUE(shopify::HandleOrderUpsert(database_, orders, Delivery("orders/create", order(8, "2026-11-01T10:00:00Z"))).ok());
  ASSERT_EQ(Count("SELECT count(*) FROM orders_cache WHERE shop_id = $1"), 2);

  auto redact = Delivery("customers/redact", json::object{{"shop_domain", kShop},
                                                          {"customer", json::object{{"id", 555}}},
                                                          {"orders_to_redact", json::array{7, 8}}});
  ASSERT_TRUE(shopify::HandleCustomersRedact(database_, redact).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM orders_cache WHERE shop_id = $1"), 0);
  // orders/paid of the redacted orders retried after the redact.
  ASSERT_TRUE(shopify::HandleOrderUpsert(database_, orders, Delivery("orders/paid", order(7, "2026-11-01T12:00:00Z"))).ok());
  ASSERT_TRUE(shopify::HandleOrderUpsert(database_, orders, Delivery("orders/paid", order(8, "2026-11-01T12:00:00Z"))).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM orders_cache WHERE shop_id = $1"), 0);
  // Another customer's order still lands.
  ASSERT_TRUE(shopify::HandleOrderUpsert(database_, orders, Delivery("orders/paid", order(9, "2026-11-01T12:00:00Z"))).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM orders_cache WHERE shop_id = $1"), 1);
}

}  // namespace
}  // namespace pagelift::testing
