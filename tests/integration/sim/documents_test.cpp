// pagelift's own Admin GraphQL documents (src/shopify/graphql/*.graphql) against the simulator: every field each
// document selects must be in the answer, including the bulk queries' JSONL lines. This keeps the simulator and the
// app side in step: a field added to a document and not served here fails this test.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/sim/sim_harness.h"
#include "shopify-sim/cost.h"

namespace pagelift::shopify_sim::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string Document(const std::string& name) {
  const fs::path path = fs::path(PAGELIFT_SOURCE_DIR) / "src/shopify/graphql" / (name + ".graphql");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool HaveDocuments() { return fs::exists(fs::path(PAGELIFT_SOURCE_DIR) / "src/shopify/graphql/ShopInfo.graphql"); }

class DocumentsTest : public SimTest {
 protected:
  void SetUp() override {
    if (!HaveDocuments()) GTEST_SKIP() << "src/shopify/graphql is not there yet";
    SimTest::SetUp();
    token_ = AccessToken();
  }
  // Runs a document and checks its data has every selected field.
  json::object Run(const std::string& name, const json::object& variables) {
    const auto document = Document(name);
    const auto response = Graphql(token_, name, document, variables);
    EXPECT_EQ(response.status, 200) << response.body;
    auto body = Parse(response.body);
    EXPECT_FALSE(body.contains("errors")) << name << ": " << response.body;
    if (!body.contains("data")) return body;
    const auto missing = MissingFields(document, body.at("data"));
    EXPECT_TRUE(missing.ok());
    if (missing.ok()) {
      for (const auto& path : *missing) ADD_FAILURE() << name << " lacks " << path;
    }
    return body.at("data").as_object();
  }
  // Runs a bulk query to completion and checks its JSONL lines against the inner document: each parent line rebuilt
  // with its children as connections must have every selected field.
  void RunBulk(const std::string& inner, const std::string& root, const std::map<std::string, std::string>& child_keys) {
    const auto started = Run("BulkOperationRunQuery", {{"query", Document(inner)}});
    const auto id = started.at("bulkOperationRunQuery").at("bulkOperation").at("id");
    json::object state;
    for (int i = 0; i < 200; ++i) {
      state = Run("CurrentBulkOperation", {{"id", id}}).at("currentBulkOperation").as_object();
      if (state.at("status") == "COMPLETED") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(state.at("status").as_string(), "COMPLETED");
    const std::string url(state.at("url").as_string());
    const auto download = client_->Get(url.substr(url.find("/_sim/")));
    ASSERT_EQ(download.status, 200);
    json::array parents;
    std::istringstream lines(download.body);
    std::string line;
    while (std::getline(lines, line)) {
      auto object = json::parse(line).as_object();
      if (!object.contains("__parentId")) {
        for (const auto& [type, key] : child_keys) object[key] = {{"edges", json::array{}}};
        parents.push_back(json::object{{"node", std::move(object)}});
        continue;
      }
      const std::string child_id(object.at("id").as_string());
      auto& parent = parents.back().as_object().at("node").as_object();
      ASSERT_EQ(parent.at("id"), object.at("__parentId"));
      for (const auto& [type, key] : child_keys) {
        if (child_id.starts_with("gid://shopify/" + type + "/")) parent[key].at("edges").as_array().push_back(json::object{{"node", object}});
      }
    }
    ASSERT_FALSE(parents.empty());
    const auto missing = MissingFields(Document(inner), json::object{{root, {{"edges", parents}}}});
    ASSERT_TRUE(missing.ok());
    for (const auto& path : *missing) ADD_FAILURE() << inner << " lacks " << path;
  }
  std::string token_;
};

TEST_F(DocumentsTest, ReadsAnswerEverySelectedField) {
  Run("ShopInfo", {});
  const auto page = Run("ProductsPage", {{"first", 5}});
  EXPECT_EQ(page.at("products").at("nodes").as_array().size(), 5u);
}

TEST_F(DocumentsTest, MutationsAnswerEverySelectedField) {
  const auto page = Run("ProductsPage", {{"first", 1}});
  const auto id = page.at("products").at("nodes").as_array()[0].at("id");
  Run("ProductUpdate", {{"product", {{"id", id}, {"title", "Documents Test"}}}});
  Run("MetafieldsSet", {{"metafields", json::array{{{"ownerId", id}, {"namespace", "$app"}, {"key", "badge"},
                                                    {"type", "single_line_text_field"}, {"value", "New"}}}}});
  Run("WebPixelCreate", {{"webPixel", {{"settings", R"({"shopId":"abc"})"}}}});
  Run("WebhookSubscriptionCreate",
      {{"topic", "PRODUCTS_UPDATE"}, {"webhookSubscription", {{"uri", receiver_.url()}, {"format", "JSON"}}}});
}

TEST_F(DocumentsTest, BulkProductsLinesCarryEverySelectedField) {
  const auto page = Run("ProductsPage", {{"first", 1}});
  const auto id = page.at("products").at("nodes").as_array()[0].at("id");
  Run("MetafieldsSet", {{"metafields", json::array{{{"ownerId", id}, {"namespace", "$app"}, {"key", "badge"},
                                                    {"type", "single_line_text_field"}, {"value", "New"}}}}});
  RunBulk("BulkProducts", "products", {{"ProductVariant", "variants"}, {"MediaImage", "media"}, {"Metafield", "metafields"}});
}

TEST_F(DocumentsTest, BulkOrdersLinesCarryEverySelectedField) {
  RunBulk("BulkOrders", "orders", {{"LineItem", "lineItems"}});
}

}  // namespace
}  // namespace pagelift::shopify_sim::testing
