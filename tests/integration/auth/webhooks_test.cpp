// POST /webhooks/shopify over real HTTP, and the effects of the app/uninstalled and compliance handlers.
#include "auth_harness.h"

namespace pagelift::testing {
namespace {

class WebhookTest : public AuthHarness {
 protected:
  // An order of `shop_id` attributed to `visitor`, with one event and one assignment of that visitor.
  void SeedCustomerData(const std::string& shop_id, const std::string& order_id, const std::string& visitor) {
    database_.Run([&](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) "
          "VALUES ($1::uuid, $2, 10.00, now(), jsonb_build_object('visitor_id', $3::text))",
          shop_id, order_id, visitor);
      tx.exec_params(
          "INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type) "
          "VALUES ($1::uuid, gen_random_uuid(), $2, 's', 'page_view')",
          shop_id, visitor);
      auto experiment = tx.exec_params(
          "INSERT INTO experiments (shop_id, name, target, allocation, variants, started_at) "
          "VALUES ($1::uuid, 'e-' || $2, 'product', '{}'::jsonb, '[]'::jsonb, now()) RETURNING id::text",
          shop_id, visitor);
      tx.exec_params(
          "INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant) "
          "VALUES ($1::uuid, $2::uuid, $3, 's', 'control')",
          shop_id, experiment[0][0].as<std::string>(), visitor);
    });
  }
  long long CountFor(const std::string& table, const std::string& shop_id, const std::string& extra = "true") {
    return Count("SELECT count(*) FROM " + table + " WHERE shop_id = '" + shop_id + "' AND " + extra);
  }
};

TEST_F(WebhookTest, WrongHmacIs401AndNothingIsStored) {
  auto result = PostWebhook("products/update", "a.myshopify.com", R"({"id":1})", "w1",
                            {{"X-Shopify-Hmac-Sha256", shopify::ComputeWebhookHmac(R"({"id":2})", kSecret)}});
  EXPECT_EQ(result.status, 401);
  auto other_secret = PostWebhook("products/update", "a.myshopify.com", R"({"id":1})", "w1",
                                  {{"X-Shopify-Hmac-Sha256", shopify::ComputeWebhookHmac(R"({"id":1})", "nope")}});
  EXPECT_EQ(other_secret.status, 401);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 0);
}

TEST_F(WebhookTest, MissingHeadersOrEmptyBodyAre400) {
  for (const char* header : {"X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Shop-Domain",
                             "X-Shopify-API-Version", "X-Shopify-Webhook-Id"}) {
    auto result = PostWebhook("products/update", "a.myshopify.com", R"({"id":1})", "w1", {{header, ""}});
    EXPECT_EQ(result.status, 400) << header;
  }
  auto empty = PostWebhook("products/update", "a.myshopify.com", "", "w1");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries"), 0);
}

TEST_F(WebhookTest, AnySecretOfARotationVerifies) {
  secrets_ = {"new-secret", kSecret};
  auto result = PostWebhook("products/update", "a.myshopify.com", R"({"id":1})", "w-rot");
  EXPECT_EQ(result.status, 200);
}

TEST_F(WebhookTest, ValidDeliveryIsRecordedWithItsJobAndADuplicateHasNoSecondEffect) {
  const std::string body = R"({"id":1,"title":"x"})";
  auto first = PostWebhook("products/update", "A.myshopify.com", body, "w-dup");
  EXPECT_EQ(first.status, 200) << first.body;
  auto second = PostWebhook("products/update", "a.myshopify.com", body, "w-dup");
  EXPECT_EQ(second.status, 200);
  EXPECT_NE(second.body.find("\"duplicate\":true"), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'w-dup' "
                  "AND shop_domain = 'a.myshopify.com' AND topic = 'products/update' AND triggered_at IS NOT NULL"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE kind = 'webhook'"), 1);
  int handled = 0;
  dispatcher_.RegisterWebhookHandler("products/update", [&](const shopify::WebhookDelivery& delivery) -> Result<void> {
    ++handled;
    EXPECT_EQ(delivery.payload.at("title"), "x");
    EXPECT_FALSE(delivery.shop.has_value());  // no shops row for a.myshopify.com
    return {};
  });
  EXPECT_EQ(DrainJobs(), 1);
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NOT NULL"), 1);
  // A redelivery after processing is still acknowledged once, without running the handler again.
  EXPECT_EQ(PostWebhook("products/update", "a.myshopify.com", body, "w-dup").status, 200);
  EXPECT_EQ(DrainJobs(), 0);
  EXPECT_EQ(handled, 1);
}

TEST_F(WebhookTest, LowercaseEventHeadersAreAccepted) {
  const std::string body = R"({"id":7})";
  auto result = Send("POST", "/webhooks/shopify", body,
                     {{"content-type", "application/json"},
                      {"shopify-hmac-sha256", shopify::ComputeWebhookHmac(body, kSecret)},
                      {"shopify-topic", "orders/paid"},
                      {"shopify-shop-domain", "a.myshopify.com"},
                      {"shopify-api-version", "2026-10"},
                      {"shopify-webhook-id", "w-lower"}});
  EXPECT_EQ(result.status, 200) << result.body;
}

TEST_F(WebhookTest, InvalidShopDomain) {
  auto compliance = PostWebhook("shop/redact", "evil.com", R"({"shop_domain":"evil.com"})", "w-evil");
  EXPECT_EQ(compliance.status, 200);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'w-evil'"), 1);
  auto other = PostWebhook("products/update", "evil.com", R"({"id":1})", "w-evil-2");
  EXPECT_EQ(other.status, 400);
  DrainJobs();  // the compliance job finds no shop: nothing to erase, no failure
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'failed'"), 0);
}

TEST_F(WebhookTest, MalformedJsonWithAValidHmacIs400) {
  auto result = PostWebhook("products/update", "a.myshopify.com", "{not json", "w-bad");
  EXPECT_EQ(result.status, 400);
}

TEST_F(WebhookTest, AppUninstalledMarksTheShopAndCancelsItsJobs) {
  const auto shop = Install("u.myshopify.com");
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE kind = 'shop_installed' AND status = 'queued'"), 1);
  EXPECT_EQ(PostWebhook("app/uninstalled", "u.myshopify.com", R"({"id":1})", "w-un").status, 200);
  DrainJobs();
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE uninstalled_at IS NOT NULL AND access_token_enc = '\\x'"), 1);
  // The install job was either run before the uninstall or cancelled by it; none is left queued.
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'queued'"), 0);
  // Data is kept until shop/redact.
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE id = '" + shop.id + "'"), 1);
}

TEST_F(WebhookTest, AStaleUninstallDoesNotUninstallANewerInstallation) {
  Install("r.myshopify.com");
  const auto old = FormatRfc3339Millis(Clock::now() - std::chrono::hours(1));
  EXPECT_EQ(PostWebhook("app/uninstalled", "r.myshopify.com", R"({"id":1})", "w-stale",
                        {{"X-Shopify-Triggered-At", old}})
                .status,
            200);
  DrainJobs();
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE uninstalled_at IS NULL"), 1);
}

TEST_F(WebhookTest, CustomersDataRequestStoresAReport) {
  const auto shop = Install("d.myshopify.com");
  SeedCustomerData(shop.id, "1001", "visitor-a");
  SeedCustomerData(shop.id, "1002", "visitor-b");
  const std::string body = R"({"shop_id":1,"shop_domain":"d.myshopify.com","orders_requested":[1001],
    "customer":{"id":55,"email":"a@example.com","phone":""},"data_request":{"id":9}})";
  EXPECT_EQ(PostWebhook("customers/data_request", "d.myshopify.com", body, "w-dr").status, 200);
  DrainJobs();
  const auto report = json::parse(Scalar("SELECT report::text FROM compliance_reports WHERE webhook_id = 'w-dr'"));
  EXPECT_EQ(report.at("data_request_id"), "9");
  EXPECT_EQ(report.at("customer"), "55");
  ASSERT_EQ(report.at("orders").as_array().size(), 1u);
  EXPECT_EQ(report.at("orders").as_array()[0].at("order_id"), "1001");
  EXPECT_EQ(report.at("visitor_ids"), json::parse(R"(["visitor-a"])"));
  EXPECT_EQ(report.at("events").as_array().size(), 1u);
  EXPECT_EQ(report.at("assignments").as_array().size(), 1u);
  // Redelivered with a new webhook id, processed again: one more report, same content; same id: none.
  EXPECT_EQ(PostWebhook("customers/data_request", "d.myshopify.com", body, "w-dr").status, 200);
  DrainJobs();
  EXPECT_EQ(Count("SELECT count(*) FROM compliance_reports"), 1);
}

TEST_F(WebhookTest, CustomersRedactDeletesOnlyThatCustomersData) {
  const auto shop = Install("c.myshopify.com");
  SeedCustomerData(shop.id, "gid://shopify/Order/2001", "visitor-x");
  SeedCustomerData(shop.id, "2002", "visitor-y");
  const std::string body = R"({"shop_id":1,"shop_domain":"c.myshopify.com","customer":{"id":77,"email":"x@e.com"},
    "orders_to_redact":[2001]})";
  EXPECT_EQ(PostWebhook("customers/redact", "c.myshopify.com", body, "w-cr").status, 200);
  DrainJobs();
  EXPECT_EQ(CountFor("orders_cache", shop.id), 1);
  EXPECT_EQ(CountFor("orders_cache", shop.id, "order_id = '2002'"), 1);
  EXPECT_EQ(CountFor("events", shop.id, "anon_id = 'visitor-x'"), 0);
  EXPECT_EQ(CountFor("assignments", shop.id, "anon_id = 'visitor-x'"), 0);
  EXPECT_EQ(CountFor("events", shop.id, "anon_id = 'visitor-y'"), 1);
  EXPECT_EQ(CountFor("assignments", shop.id, "anon_id = 'visitor-y'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status <> 'done'"), 0);  // every job ran, none failed
}

TEST_F(WebhookTest, ShopRedactErasesEveryRowOfTheShopAndNothingElse) {
  const auto gone = Install("gone.myshopify.com");
  const auto kept = Install("kept.myshopify.com");
  SeedCustomerData(gone.id, "1", "v1");
  SeedCustomerData(kept.id, "1", "v1");
  // While installed, shop/redact is refused (Shopify only sends it ≥ 48 h after an uninstall).
  EXPECT_EQ(PostWebhook("shop/redact", "gone.myshopify.com", R"({"shop_domain":"gone.myshopify.com"})", "w-sr0")
                .status,
            200);
  DrainJobs();
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE domain = 'gone.myshopify.com'"), 1);

  EXPECT_EQ(PostWebhook("app/uninstalled", "gone.myshopify.com", R"({})", "w-un").status, 200);
  DrainJobs();
  EXPECT_EQ(PostWebhook("shop/redact", "gone.myshopify.com", R"({"shop_domain":"gone.myshopify.com"})", "w-sr")
                .status,
            200);
  DrainJobs();
  // Every table with a shop_id column, found in the catalog, has no row of the erased shop.
  auto tables = database_.Run([](pqxx::work& tx) {
    return tx.exec("SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                   "WHERE a.attname = 'shop_id' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
                   "AND c.relnamespace = 'public'::regnamespace");
  });
  ASSERT_GT(tables.size(), 5u);
  for (const auto& row : tables) {
    const auto table = row[0].as<std::string>();
    EXPECT_EQ(CountFor(table, gone.id), 0) << table;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE domain = 'gone.myshopify.com'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE shop_domain = 'gone.myshopify.com' "
                  "AND webhook_id <> 'w-sr'"),
            0);
  // The other shop is untouched.
  EXPECT_EQ(CountFor("orders_cache", kept.id), 1);
  EXPECT_EQ(CountFor("events", kept.id), 1);
  EXPECT_EQ(CountFor("assignments", kept.id), 1);
}

}  // namespace
}  // namespace pagelift::testing
