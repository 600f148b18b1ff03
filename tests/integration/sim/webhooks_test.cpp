// Webhook delivery: real signatures and headers, retries with the same webhook id after a failure, dropped and
// duplicated deliveries, order and uninstall events, compliance requests.
#include "integration/sim/sim_harness.h"
#include "shopify/signatures.h"

namespace pagelift::shopify_sim::testing {
namespace {

namespace json = boost::json;

class WebhooksTest : public SimTest {
 protected:
  void SetUp() override {
    SimTest::SetUp();
    token_ = AccessToken();
  }
  void Subscribe(const std::string& topic) {
    const auto response = Graphql(
        token_, "WebhookSubscriptionCreate",
        "mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: "
        "WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) "
        "{ webhookSubscription { id topic uri } userErrors { field message } } }",
        {{"topic", topic}, {"webhookSubscription", {{"uri", receiver_.url()}, {"format", "JSON"}}}});
    ASSERT_EQ(response.status, 200);
    ASSERT_TRUE(Parse(response.body).at("data").at("webhookSubscriptionCreate").at("userErrors").as_array().empty());
  }
  std::string FirstProductId() {
    return std::string(GetJson("/_sim/shops/" + std::string(kShop) + "/state").at("products").as_array()[0].at("id").as_string());
  }
  json::array Deliveries() { return GetJson("/_sim/shops/" + std::string(kShop) + "/deliveries").at("deliveries").as_array(); }
  std::string token_;
};

TEST_F(WebhooksTest, SignedDeliveryRetriedAfterAFailureWithTheSameWebhookId) {
  Subscribe("PRODUCTS_UPDATE");
  receiver_.FailNext({500});
  const auto id = FirstProductId();
  const auto numeric = id.substr(id.rfind('/') + 1);
  ASSERT_EQ(Control("/products/" + numeric, {{"title", "Edited In Admin"}}).status, 200);
  ASSERT_TRUE(receiver_.WaitFor(2));
  const auto received = receiver_.Received();
  ASSERT_EQ(received.size(), 2u);
  for (const auto& hook : received) {
    EXPECT_TRUE(shopify::VerifyWebhookHmac(hook.body, hook.headers.at("x-shopify-hmac-sha256"), {kSecret}));
    EXPECT_EQ(hook.headers.at("x-shopify-topic"), "products/update");
    EXPECT_EQ(hook.headers.at("x-shopify-shop-domain"), kShop);
    EXPECT_EQ(hook.headers.at("x-shopify-api-version"), "2026-10");
    EXPECT_FALSE(hook.headers.at("x-shopify-event-id").empty());
    EXPECT_FALSE(hook.headers.at("x-shopify-triggered-at").empty());
  }
  EXPECT_EQ(received[0].headers.at("x-shopify-webhook-id"), received[1].headers.at("x-shopify-webhook-id"));
  EXPECT_EQ(received[0].body, received[1].body);
  const auto payload = Parse(received[1].body);
  EXPECT_EQ(payload.at("title").as_string(), "Edited In Admin");
  EXPECT_EQ(std::to_string(payload.at("id").as_int64()), numeric);
  EXPECT_TRUE(payload.at("variants").is_array());
  ASSERT_TRUE(sim_->WaitForDeliveries(std::chrono::seconds(5)));
  const auto log = Deliveries();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].at("outcome").as_string(), "failed");
  EXPECT_EQ(log[0].at("status").as_int64(), 500);
  EXPECT_EQ(log[1].at("outcome").as_string(), "delivered");
  EXPECT_EQ(log[1].at("attempt").as_int64(), 1);
}

TEST_F(WebhooksTest, GivesUpAfterEightRetries) {
  Subscribe("PRODUCTS_UPDATE");
  receiver_.FailNext({500, 500, 500, 500, 500, 500, 500, 500, 500, 500});
  const auto id = FirstProductId();
  ASSERT_EQ(Control("/products/" + id.substr(id.rfind('/') + 1), {{"vendor", "Someone"}}).status, 200);
  ASSERT_TRUE(receiver_.WaitFor(9));
  ASSERT_TRUE(sim_->WaitForDeliveries(std::chrono::seconds(5)));
  EXPECT_EQ(receiver_.Received().size(), 9u);  // the first attempt and 8 retries
}

TEST_F(WebhooksTest, DroppedAndDuplicatedDeliveries) {
  Subscribe("PRODUCTS_UPDATE");
  const auto id = FirstProductId();
  const auto path = "/products/" + id.substr(id.rfind('/') + 1);
  ASSERT_EQ(Control("/faults", {{"drop_webhooks", {{"count", 1}}}}).status, 200);
  ASSERT_EQ(Control(path, {{"title", "One"}}).status, 200);
  ASSERT_TRUE(sim_->WaitForDeliveries(std::chrono::seconds(5)));
  EXPECT_TRUE(receiver_.Received().empty());
  EXPECT_EQ(Deliveries()[0].at("outcome").as_string(), "dropped");

  ASSERT_EQ(Control("/faults", {{"duplicate_webhooks", {{"count", 1}}}}).status, 200);
  ASSERT_EQ(Control(path, {{"title", "Two"}}).status, 200);
  ASSERT_TRUE(receiver_.WaitFor(2));
  const auto received = receiver_.Received();
  EXPECT_EQ(received[0].headers.at("x-shopify-webhook-id"), received[1].headers.at("x-shopify-webhook-id"));
}

TEST_F(WebhooksTest, OrdersCreateAndPaid) {
  Subscribe("ORDERS_CREATE");
  Subscribe("ORDERS_PAID");
  const auto state = GetJson("/_sim/shops/" + std::string(kShop) + "/state");
  const auto variant = state.at("products").as_array()[0].at("variants").at("nodes").as_array()[0].at("id");
  const auto response = Control("/orders", {{"line_items", json::array{{{"variant_id", variant}, {"quantity", 2}}}},
                                            {"note_attributes", json::array{{{"name", "_pagelift_vid"}, {"value", "v-123"}}}},
                                            {"landing_site", "/products/x?utm_source=test"}});
  ASSERT_EQ(response.status, 201) << response.body;
  ASSERT_TRUE(receiver_.WaitFor(2));
  std::set<std::string> topics;
  for (const auto& hook : receiver_.Received()) {
    topics.insert(hook.headers.at("x-shopify-topic"));
    const auto order = Parse(hook.body);
    EXPECT_EQ(order.at("line_items").as_array()[0].at("quantity").as_int64(), 2);
    EXPECT_EQ(order.at("note_attributes").as_array()[0].at("value").as_string(), "v-123");
    EXPECT_EQ(order.at("landing_site").as_string(), "/products/x?utm_source=test");
    EXPECT_TRUE(order.at("total_price").is_string());
  }
  EXPECT_EQ(topics, (std::set<std::string>{"orders/create", "orders/paid"}));
}

TEST_F(WebhooksTest, UninstallNotifiesAndRevokesTokens) {
  Subscribe("APP_UNINSTALLED");
  ASSERT_EQ(Control("/uninstall", json::object{}).status, 200);
  ASSERT_TRUE(receiver_.WaitFor(1));
  EXPECT_EQ(receiver_.Received()[0].headers.at("x-shopify-topic"), "app/uninstalled");
  EXPECT_EQ(Graphql(token_, "ShopInfo", "query ShopInfo { shop { id } }").status, 401);
  EXPECT_TRUE(GetJson("/_sim/shops/" + std::string(kShop) + "/state").at("webhookSubscriptions").as_array().empty());
}

TEST_F(WebhooksTest, ComplianceRequestsGoToTheConfiguredUrl) {
  ASSERT_EQ(Control("/compliance/customers-redact", json::object{}).status, 202);
  ASSERT_EQ(Control("/compliance/shop-redact", json::object{}).status, 202);
  ASSERT_EQ(Control("/compliance/customers-data_request", json::object{}).status, 202);
  EXPECT_EQ(Control("/compliance/other", json::object{}).status, 404);
  ASSERT_TRUE(receiver_.WaitFor(3));
  std::map<std::string, json::object> by_topic;
  for (const auto& hook : receiver_.Received()) {
    EXPECT_TRUE(shopify::VerifyWebhookHmac(hook.body, hook.headers.at("x-shopify-hmac-sha256"), {kSecret}));
    by_topic[hook.headers.at("x-shopify-topic")] = Parse(hook.body);
  }
  EXPECT_EQ(by_topic.at("shop/redact").at("shop_domain").as_string(), kShop);
  EXPECT_TRUE(by_topic.at("customers/redact").at("orders_to_redact").is_array());
  EXPECT_TRUE(by_topic.at("customers/data_request").contains("data_request"));
}

}  // namespace
}  // namespace pagelift::shopify_sim::testing
