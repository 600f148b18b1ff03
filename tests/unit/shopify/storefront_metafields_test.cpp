// The storefront's metafields computed from the shop and its running experiments (src/shopify/storefront_metafields.h).
#include "shopify/storefront_metafields.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace pagelift::shopify {
namespace {

namespace json = boost::json;

experiments::Experiment Running(std::string target, std::vector<json::object> configs) {
  experiments::Experiment experiment;
  experiment.status = experiments::Status::kRunning;
  experiment.definition.target = std::move(target);
  int n = 0;
  for (auto& config : configs) experiment.definition.variants.push_back({"v" + std::to_string(n++), std::move(config)});
  return experiment;
}

TEST(ExperimentHoldsTest, NoRunningExperimentHoldsNothing) {
  EXPECT_EQ(json::serialize(ExperimentHolds({})), R"({"targets":[],"blocks":[]})");
}

TEST(ExperimentHoldsTest, TargetsAndBlocksSortedAndUnique) {
  const auto holds = ExperimentHolds({
      Running("product_page:cta", {{}, {{"text", "Buy now"}}}),
      Running("block:trust", {{{"block", "trust_badges"}, {"show", true}}, {{"block", "trust_badges"}, {"show", false}}}),
      Running("product_page:badge", {{}, {{"css", ".x{color:red}"}}}),
      Running("product_page:cta", {{}, {{"text", "Add"}}}),
  });
  EXPECT_EQ(json::serialize(holds),
            R"({"targets":["block:trust","product_page:badge","product_page:cta"],"blocks":["trust_badges"]})");
}

// The app embed writes block names into a CSS attribute selector as they are: a name that would need escaping (or
// is not a string) is not held rather than written.
TEST(ExperimentHoldsTest, BlockNamesThatAreNotPlainAreLeftOut) {
  const auto holds = ExperimentHolds({Running("block:odd", {{{"block", "a\"] body, [x=\"y"}},
                                                            {{"block", "size-guide"}},
                                                            {{"block", 7}},
                                                            {{"block", ""}},
                                                            {{"block", "low</style>"}}})});
  EXPECT_EQ(json::serialize(holds.at("blocks")), R"(["size-guide"])");
}

// Both metafields go to the Shop, in the app's reserved namespace, in one metafieldsSet: the public id as text (what
// snippets/pagelift-config.liquid reads), the holds as json (what blocks/app-embed.liquid reads).
TEST(StorefrontMetafieldsTest, PublicIdAndHoldsAreTheShopsAppOwnedMetafields) {
  const auto input = StorefrontMetafieldsInput("gid://shopify/Shop/42", "pub-42",
                                               ExperimentHolds({Running("product_page:cta", {{}, {}})}));
  EXPECT_EQ(json::serialize(input),
            R"([{"ownerId":"gid://shopify/Shop/42","namespace":"$app","key":"shop_public_id",)"
            R"("type":"single_line_text_field","value":"pub-42"},)"
            R"({"ownerId":"gid://shopify/Shop/42","namespace":"$app","key":"experiment_holds","type":"json",)"
            R"("value":"{\"targets\":[\"product_page:cta\"],\"blocks\":[]}"}])");
}

}  // namespace
}  // namespace pagelift::shopify
