// The Admin GraphQL documents patches send (ProductForPatch, MediaForPatch, AppMetafield, and the writes FileUpdate,
// MetafieldsDelete), run through the production client against the simulator: every field a document selects is in
// the answer, so the simulator and the app cannot drift apart unnoticed.
#include "integration/patches/patches_harness.h"
#include "shopify-sim/cost.h"
#include "shopify/graphql_documents.h"

namespace pagelift::testing {
namespace {

class PatchDocumentsTest : public PatchesHarness {
 protected:
  json::object Run(const shopify::ShopRef& shop, const std::string& operation, const json::object& variables) {
    auto data = client_.Execute(shop, operation, variables);
    EXPECT_TRUE(data.ok()) << operation << ": " << (data.ok() ? "" : data.error().message);
    if (!data.ok()) return {};
    const auto document = shopify::GraphqlDocument(operation);
    EXPECT_TRUE(document.has_value()) << operation;
    const auto missing = shopify_sim::MissingFields(*document, *data);
    EXPECT_TRUE(missing.ok()) << operation;
    if (missing.ok()) {
      for (const auto& path : *missing) ADD_FAILURE() << operation << " lacks " << path;
    }
    return *data;
  }
};

TEST_F(PatchDocumentsTest, EveryPatchDocumentIsAnsweredInFull) {
  const shopify::ShopRef shop{Install(kShopA), kShopA};
  const json::object product = ProductWithMedia(kShopA, 7);
  const std::string gid(product.at("id").as_string());
  const json::value media = product.at("media").at("nodes").as_array()[0].at("id");
  const json::value alt = product.at("media").at("nodes").as_array()[0].at("alt");

  EXPECT_EQ(Run(shop, "ProductForPatch", {{"id", gid}}).at("product").at("title"), product.at("title"));
  EXPECT_EQ(Run(shop, "MediaForPatch", {{"ids", json::array{media}}}).at("nodes").as_array()[0].at("alt"), alt);
  Run(shop, "FileUpdate", {{"files", json::array{{{"id", media}, {"alt", alt}}}}});
  Run(shop, "MetafieldsSet", {{"metafields", json::array{{{"ownerId", gid}, {"namespace", "$app"}, {"key", "size_guide"},
                                                          {"type", "json"}, {"value", R"({"rows":[]})"}}}}});
  EXPECT_TRUE(Run(shop, "AppMetafield", {{"ownerId", gid}, {"key", "size_guide"}}).at("node").at("metafield").is_object());
  const auto deleted = Run(shop, "MetafieldsDelete",
                           {{"metafields", json::array{{{"ownerId", gid}, {"namespace", "$app"}, {"key", "size_guide"}}}}});
  EXPECT_FALSE(deleted.at("metafieldsDelete").at("deletedMetafields").as_array()[0].is_null());
  EXPECT_TRUE(Run(shop, "AppMetafield", {{"ownerId", gid}, {"key", "size_guide"}}).at("node").at("metafield").is_null());
}

}  // namespace
}  // namespace pagelift::testing
