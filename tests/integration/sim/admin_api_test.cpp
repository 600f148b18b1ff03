// The Admin GraphQL endpoint: cost accounting and throttling, bulk operations, paging, mutations with userErrors,
// and the fault-injection switches.
#include <sstream>

#include "integration/sim/sim_harness.h"
#include "shopify/signatures.h"

namespace pagelift::shopify_sim::testing {
namespace {

namespace json = boost::json;

const char* kProductsPage =
    "query ProductsPage($first: Int!, $after: String) { products(first: $first, after: $after) { nodes { id title "
    "handle variants(first: 3) { nodes { id price } } } pageInfo { hasNextPage endCursor } } }";

class AdminApiTest : public SimTest {
 protected:
  void SetUp() override {
    SimTest::SetUp();
    token_ = AccessToken();
  }
  json::object Call(const std::string& operation, const std::string& query, const json::object& variables = {}) {
    const auto response = Graphql(token_, operation, query, variables);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse(response.body);
  }
  std::string token_;
};

TEST_F(AdminApiTest, EveryResponseCarriesTheCost) {
  const auto body = Call("ShopInfo", "query ShopInfo { shop { id name myshopifyDomain email currencyCode plan { displayName } primaryDomain { url } } }");
  const auto& shop = body.at("data").at("shop").as_object();
  EXPECT_EQ(shop.at("myshopifyDomain").as_string(), kShop);
  EXPECT_TRUE(std::string(shop.at("id").as_string()).starts_with("gid://shopify/Shop/"));
  const auto& cost = body.at("extensions").at("cost").as_object();
  EXPECT_EQ(cost.at("requestedQueryCost").as_int64(), 3);
  EXPECT_EQ(cost.at("actualQueryCost").as_int64(), 3);
  EXPECT_EQ(cost.at("throttleStatus").at("maximumAvailable").as_double(), 2000.0);
  EXPECT_EQ(cost.at("throttleStatus").at("restoreRate").as_double(), 100.0);
  EXPECT_LE(cost.at("throttleStatus").at("currentlyAvailable").as_int64(), 1997);
}

TEST_F(AdminApiTest, ThrottledWhenTheBucketIsDrainedAndRestoresOverTime) {
  // Each page of 100 products with 3 variants costs 2 + 100 × (1 + 2 + 3) = 602; the fourth in a row exceeds 2000.
  int throttled_at = -1;
  for (int i = 0; i < 5 && throttled_at < 0; ++i) {
    const auto body = Call("ProductsPage", kProductsPage, {{"first", 100}});
    EXPECT_EQ(body.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 602);
    if (body.contains("errors")) {
      const auto& error = body.at("errors").as_array()[0].as_object();
      EXPECT_EQ(error.at("message").as_string(), "Throttled");
      EXPECT_EQ(error.at("extensions").at("code").as_string(), "THROTTLED");
      EXPECT_TRUE(body.at("extensions").at("cost").at("actualQueryCost").is_null());
      EXPECT_LT(body.at("extensions").at("cost").at("throttleStatus").at("currentlyAvailable").as_int64(), 602);
      EXPECT_FALSE(body.contains("data"));
      throttled_at = i;
    }
  }
  EXPECT_EQ(throttled_at, 3);
  // 100 points per second: after ~4 s the bucket holds enough again. Speed it up with the restore-rate switch.
  ASSERT_EQ(Control("/faults", {{"throttle", {{"available", 0}, {"restore_rate", 2000}}}}).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto body = Call("ProductsPage", kProductsPage, {{"first", 100}});
  EXPECT_TRUE(body.contains("data")) << json::serialize(body);
  const auto calls = GetJson("/_sim/shops/" + std::string(kShop) + "/calls");
  int throttled = 0;
  for (const auto& call : calls.at("calls").as_array()) throttled += call.at("outcome") == "throttled";
  EXPECT_EQ(throttled, 1);
}

TEST_F(AdminApiTest, SingleQueryOverTheMaximumCost) {
  const auto body = Call("ProductsPage",
                         "query ProductsPage($first: Int!) { products(first: $first) { nodes { variants(first: 100) { nodes { id } } } } }",
                         {{"first", 250}});
  ASSERT_TRUE(body.contains("errors"));
  EXPECT_EQ(body.at("errors").as_array()[0].at("extensions").at("code").as_string(), "MAX_COST_EXCEEDED");
}

TEST_F(AdminApiTest, ProductsPagePagesThroughEveryProduct) {
  std::set<std::string> ids;
  json::value after = nullptr;
  for (int page = 0; page < 10; ++page) {
    json::object variables{{"first", 25}};
    if (!after.is_null()) variables["after"] = after;
    const auto body = Call("ProductsPage", kProductsPage, variables);
    const auto& products = body.at("data").at("products").as_object();
    for (const auto& node : products.at("nodes").as_array()) ids.insert(std::string(node.at("id").as_string()));
    if (!products.at("pageInfo").at("hasNextPage").as_bool()) break;
    after = products.at("pageInfo").at("endCursor");
  }
  EXPECT_EQ(ids.size(), 60u);
  const auto too_many = Call("ProductsPage", kProductsPage, {{"first", 251}});
  EXPECT_TRUE(too_many.contains("errors"));
}

TEST_F(AdminApiTest, OperationNameIsRequiredAndUnknownOperationsAreErrors) {
  const auto response = PostJson("/" + std::string(kShop) + "/admin/api/2026-10/graphql.json",
                                 {{"query", "{ shop { id } }"}}, {{"X-Shopify-Access-Token", token_}});
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(Parse(response.body).contains("errors"));
  const auto unknown = Call("Nope", "query Nope { shop { id } }");
  EXPECT_TRUE(unknown.contains("errors"));
  EXPECT_FALSE(unknown.contains("data"));
}

TEST_F(AdminApiTest, BulkOperationLifecycleAndJsonlDownload) {
  const auto subscribe = Call("WebhookSubscriptionCreate",
                              "mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: "
                              "WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: "
                              "$webhookSubscription) { webhookSubscription { id topic uri } userErrors { field message } } }",
                              {{"topic", "BULK_OPERATIONS_FINISH"}, {"webhookSubscription", {{"uri", receiver_.url()}, {"format", "JSON"}}}});
  ASSERT_TRUE(subscribe.at("data").at("webhookSubscriptionCreate").at("userErrors").as_array().empty());

  const std::string run =
      "mutation BulkOperationRunQuery($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id "
      "status } userErrors { field message } } }";
  const std::string bulk_query =
      "{ products { edges { node { id title variants { edges { node { id price } } } } } } }";
  const auto started = Call("BulkOperationRunQuery", run, {{"query", bulk_query}});
  const auto& operation = started.at("data").at("bulkOperationRunQuery").at("bulkOperation").as_object();
  EXPECT_EQ(operation.at("status").as_string(), "CREATED");
  const auto again = Call("BulkOperationRunQuery", run, {{"query", bulk_query}});
  const auto& errors = again.at("data").at("bulkOperationRunQuery").at("userErrors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(std::string(errors[0].at("message").as_string()).starts_with("A bulk query operation for this app and shop is already in progress"));

  const std::string current =
      "query CurrentBulkOperation { currentBulkOperation { id status errorCode objectCount fileSize url partialDataUrl "
      "createdAt completedAt } }";
  json::object state;
  std::set<std::string> statuses;
  for (int i = 0; i < 100; ++i) {
    state = Call("CurrentBulkOperation", current).at("data").at("currentBulkOperation").as_object();
    statuses.insert(std::string(state.at("status").as_string()));
    if (state.at("status") == "COMPLETED") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(state.at("status").as_string(), "COMPLETED");
  EXPECT_TRUE(statuses.contains("RUNNING"));
  EXPECT_EQ(state.at("id"), operation.at("id"));
  const std::string url(state.at("url").as_string());
  const std::string prefix = "http://127.0.0.1:" + std::to_string(sim_->port());
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  const auto download = client_->Get(url.substr(prefix.size()));
  ASSERT_EQ(download.status, 200);
  EXPECT_EQ(std::to_string(download.body.size()), state.at("fileSize").as_string());
  std::istringstream lines(download.body);
  std::string line;
  int count = 0, parents = 0;
  while (std::getline(lines, line)) {
    const auto object = json::parse(line).as_object();
    ++count;
    if (!object.contains("__parentId")) ++parents;
  }
  EXPECT_EQ(std::to_string(count), state.at("objectCount").as_string());
  EXPECT_EQ(parents, 60);

  ASSERT_TRUE(receiver_.WaitFor(1));
  const auto hook = receiver_.Received().front();
  EXPECT_EQ(hook.headers.at("x-shopify-topic"), "bulk_operations/finish");
  EXPECT_TRUE(shopify::VerifyWebhookHmac(hook.body, hook.headers.at("x-shopify-hmac-sha256"), {kSecret}));
  const auto payload = Parse(hook.body);
  EXPECT_EQ(payload.at("admin_graphql_api_id"), operation.at("id"));
  EXPECT_EQ(payload.at("status").as_string(), "completed");
}

TEST_F(AdminApiTest, MutationsValidateAndUpdateTheStore) {
  const auto page = Call("ProductsPage", kProductsPage, {{"first", 1}});
  const std::string id(page.at("data").at("products").at("nodes").as_array()[0].at("id").as_string());

  const std::string update =
      "mutation ProductUpdate($product: ProductUpdateInput!) { productUpdate(product: $product) { product { id title "
      "seo { title description } } userErrors { field message } } }";
  const auto updated = Call("ProductUpdate", update, {{"product", {{"id", id}, {"title", "Better Title"}, {"seo", {{"title", "SEO"}, {"description", "Desc"}}}}}});
  EXPECT_EQ(updated.at("data").at("productUpdate").at("product").at("title").as_string(), "Better Title");
  EXPECT_EQ(updated.at("extensions").at("cost").at("requestedQueryCost").as_int64(), 10);
  const auto blank = Call("ProductUpdate", update, {{"product", {{"id", id}, {"title", ""}}}});
  EXPECT_EQ(blank.at("data").at("productUpdate").at("userErrors").as_array().size(), 1u);
  const auto missing = Call("ProductUpdate", update, {{"product", {{"id", "gid://shopify/Product/1"}, {"title", "x"}}}});
  EXPECT_TRUE(missing.at("data").at("productUpdate").at("product").is_null());

  const auto state = GetJson("/_sim/shops/" + std::string(kShop) + "/state");
  EXPECT_EQ(state.at("products").as_array()[0].at("title").as_string(), "Better Title");

  const std::string metafields =
      "mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $metafields) { "
      "metafields { id namespace key value } userErrors { field message code } } }";
  const auto set = Call("MetafieldsSet", metafields,
                        {{"metafields", json::array{{{"ownerId", id}, {"namespace", "$app"}, {"key", "badge"},
                                                     {"type", "json"}, {"value", R"({"text":"Bestseller"})"}}}}});
  const auto& set_result = set.at("data").at("metafieldsSet").as_object();
  ASSERT_TRUE(set_result.at("userErrors").as_array().empty()) << json::serialize(set);
  EXPECT_EQ(set_result.at("metafields").as_array()[0].at("namespace").as_string(), std::string("app--") + kApiKey);
  const auto bad = Call("MetafieldsSet", metafields,
                        {{"metafields", json::array{{{"ownerId", id}, {"namespace", "$app"}, {"key", "badge"},
                                                     {"type", "json"}, {"value", "{not json"}}}}});
  EXPECT_EQ(bad.at("data").at("metafieldsSet").at("userErrors").as_array().size(), 1u);

  const std::string pixel =
      "mutation WebPixelCreate($webPixel: WebPixelInput!) { webPixelCreate(webPixel: $webPixel) { webPixel { id "
      "settings } userErrors { field message code } } }";
  const auto created = Call("WebPixelCreate", pixel, {{"webPixel", {{"settings", R"({"accountID":"shop-1"})"}}}});
  EXPECT_TRUE(created.at("data").at("webPixelCreate").at("userErrors").as_array().empty());
  EXPECT_EQ(created.at("data").at("webPixelCreate").at("webPixel").at("settings").as_string(), R"({"accountID":"shop-1"})");
  const auto taken = Call("WebPixelCreate", pixel, {{"webPixel", {{"settings", R"({"accountID":"shop-1"})"}}}});
  EXPECT_EQ(taken.at("data").at("webPixelCreate").at("userErrors").as_array()[0].at("code").as_string(), "TAKEN");

  const std::string subscribe =
      "mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: "
      "WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) "
      "{ webhookSubscription { id topic uri } userErrors { field message } } }";
  const auto bad_url = Call("WebhookSubscriptionCreate", subscribe,
                            {{"topic", "PRODUCTS_UPDATE"}, {"webhookSubscription", {{"uri", "not a url"}}}});
  EXPECT_EQ(bad_url.at("data").at("webhookSubscriptionCreate").at("userErrors").as_array().size(), 1u);
  const auto bad_topic = Call("WebhookSubscriptionCreate", subscribe,
                              {{"topic", "NOT_A_TOPIC"}, {"webhookSubscription", {{"uri", receiver_.url()}}}});
  EXPECT_TRUE(bad_topic.contains("errors"));
}

TEST_F(AdminApiTest, FaultInjection) {
  const std::string query = "query ShopInfo { shop { id } }";
  ASSERT_EQ(Control("/faults", {{"fail_next", {{"count", 2}, {"status", 503}, {"retry_after", 2}}}}).status, 200);
  auto first = Graphql(token_, "ShopInfo", query);
  EXPECT_EQ(first.status, 503);
  EXPECT_EQ(first.headers["retry-after"], "2");
  EXPECT_EQ(Graphql(token_, "ShopInfo", query).status, 503);
  EXPECT_EQ(Graphql(token_, "ShopInfo", query).status, 200);

  ASSERT_EQ(Control("/faults", {{"fail_next", {{"count", 1}, {"status", 429}, {"retry_after", 3}}}}).status, 200);
  auto limited = Graphql(token_, "ShopInfo", query);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers["retry-after"], "3");

  ASSERT_EQ(Control("/faults", {{"delay_ms", 300}}).status, 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Graphql(token_, "ShopInfo", query).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));

  ASSERT_EQ(Control("/faults", {{"throttle", {{"available", 0}, {"restore_rate", 0}}}}).status, 200);
  EXPECT_TRUE(Call("ShopInfo", query).contains("errors"));

  ASSERT_EQ(Control("/faults", {{"reset", true}}).status, 200);
  const auto after_reset = std::chrono::steady_clock::now();
  const auto body = Call("ShopInfo", query);
  EXPECT_TRUE(body.contains("data"));
  EXPECT_LT(std::chrono::steady_clock::now() - after_reset, std::chrono::milliseconds(250));
  EXPECT_EQ(Control("/faults", {{"fail_next", {{"status", 200}}}}).status, 400);
}

}  // namespace
}  // namespace pagelift::shopify_sim::testing
