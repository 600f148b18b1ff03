// The storefront's experiment holds computed from the running experiments (src/shopify/experiment_holds.h).
#include "shopify/experiment_holds.h"

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

}  // namespace
}  // namespace pagelift::shopify
