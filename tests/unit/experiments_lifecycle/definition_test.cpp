// Experiment definitions: the validation table (each bad input is a 400 naming its field) and partial updates.
#include "experiments/definition.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace pagelift::experiments {
namespace {

namespace json = boost::json;

json::object ValidBody() {
  return json::parse(R"({"name": "CTA text", "target": "product_page:cta",
    "variants": [{"key": "control", "config": {}}, {"key": "buy_now", "config": {"text": "Buy now"}}],
    "weights": [0.5, 0.5], "coverage": 1, "primary_metric": "purchase_rate",
    "secondary_metrics": ["add_to_cart_rate"], "guardrail_metrics": ["revenue_per_visitor"],
    "guardrails": {"min_sample": 1000, "max_duration_days": 28, "revenue_cap": 500,
                   "segment_guards": [{"segment": "device:mobile", "metric": "purchase_rate"}]}})")
      .as_object();
}

TEST(DefinitionTest, ParsesAValidDefinition) {
  auto d = ParseDefinition(ValidBody());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->name, "CTA text");
  EXPECT_EQ(d->variants.size(), 2u);
  EXPECT_EQ(d->variants[1].config.at("text").as_string(), "Buy now");
  EXPECT_EQ(d->primary_metric, Metric::kPurchaseRate);
  EXPECT_EQ(d->secondary_metrics, std::vector<Metric>{Metric::kAddToCartRate});
  EXPECT_EQ(d->guardrails.revenue_cap_cents, 50000);
  EXPECT_EQ(d->guardrails.min_sample, 1000);
  ASSERT_EQ(d->guardrails.segment_guards.size(), 1u);
  EXPECT_EQ(d->guardrails.segment_guards[0].segment, "device:mobile");
  EXPECT_FALSE(d->seed.has_value());
}

TEST(DefinitionTest, DefaultsToEqualWeightsAndFullCoverage) {
  json::object body = ValidBody();
  body.erase("weights");
  body.erase("coverage");
  body["variants"].as_array().push_back(json::object{{"key", "c"}});
  auto d = ParseDefinition(body);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->weights.size(), 3u);
  EXPECT_DOUBLE_EQ(d->weights[0], 1.0 / 3);
  EXPECT_EQ(d->coverage, 1.0);
}

TEST(DefinitionTest, RoundTripsThroughJson) {
  auto d = ParseDefinition(ValidBody());
  ASSERT_TRUE(d.ok());
  auto again = ParseDefinition(DefinitionToJson(*d));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *d);
}

struct BadCase {
  const char* name;
  const char* field;       // the field the 400 must name
  const char* json_patch;  // merged into the valid body (a key set to null is removed)
};

class DefinitionValidationTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(DefinitionValidationTest, RejectsWithTheField) {
  json::object body = ValidBody();
  const json::value patch = json::parse(GetParam().json_patch);
  for (const auto& entry : patch.as_object()) {
    if (entry.value().is_null()) {
      body.erase(entry.key());
    } else {
      body[entry.key()] = entry.value();
    }
  }
  auto d = ParseDefinition(body);
  ASSERT_FALSE(d.ok()) << json::serialize(body);
  EXPECT_EQ(d.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(d.error().details.at("field").as_string(), GetParam().field) << d.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DefinitionValidationTest,
    ::testing::Values(
        BadCase{"missing_name", "name", R"({"name": null})"},
        BadCase{"empty_name", "name", R"({"name": ""})"},
        BadCase{"name_not_string", "name", R"({"name": 3})"},
        BadCase{"missing_target", "target", R"({"target": null})"},
        BadCase{"target_without_kind", "target", R"({"target": "cta"})"},
        BadCase{"target_with_space", "target", R"({"target": "product_page:the cta"})"},
        BadCase{"one_variant", "variants", R"({"variants": [{"key": "control"}], "weights": [1]})"},
        BadCase{"variants_not_array", "variants", R"({"variants": {}})"},
        BadCase{"duplicate_keys", "variants[1].key",
                R"({"variants": [{"key": "a"}, {"key": "a"}]})"},
        BadCase{"bad_key", "variants[0].key", R"({"variants": [{"key": "a b"}, {"key": "b"}]})"},
        BadCase{"missing_key", "variants[1].key", R"({"variants": [{"key": "a"}, {"config": {}}]})"},
        BadCase{"config_not_object", "variants[1].config",
                R"({"variants": [{"key": "a"}, {"key": "b", "config": 3}]})"},
        BadCase{"unknown_variant_field", "variants[0].colour",
                R"({"variants": [{"key": "a", "colour": 1}, {"key": "b"}]})"},
        BadCase{"weights_sum_low", "weights", R"({"weights": [0.5, 0.4999999]})"},
        BadCase{"weights_sum_high", "weights", R"({"weights": [0.6, 0.5]})"},
        BadCase{"weights_count", "weights", R"({"weights": [1]})"},
        BadCase{"negative_weight", "weights[0]", R"({"weights": [-0.5, 1.5]})"},
        BadCase{"weight_not_number", "weights[1]", R"({"weights": [0.5, "0.5"]})"},
        BadCase{"coverage_zero", "coverage", R"({"coverage": 0})"},
        BadCase{"coverage_above_one", "coverage", R"({"coverage": 1.5})"},
        BadCase{"unknown_primary_metric", "primary_metric", R"({"primary_metric": "bounce_rate"})"},
        BadCase{"unknown_secondary_metric", "secondary_metrics[1]",
                R"({"secondary_metrics": ["view_rate", "x"]})"},
        BadCase{"duplicate_guardrail_metric", "guardrail_metrics[1]",
                R"({"guardrail_metrics": ["view_rate", "view_rate"]})"},
        BadCase{"unknown_segment", "guardrails.segment_guards[0].segment",
                R"({"guardrails": {"segment_guards": [{"segment": "device:watch", "metric": "view_rate"}]}})"},
        BadCase{"guard_without_metric", "guardrails.segment_guards[0].metric",
                R"({"guardrails": {"segment_guards": [{"segment": "device:mobile"}]}})"},
        BadCase{"negative_min_sample", "guardrails.min_sample", R"({"guardrails": {"min_sample": -1}})"},
        BadCase{"fractional_min_sample", "guardrails.min_sample", R"({"guardrails": {"min_sample": 1.5}})"},
        BadCase{"zero_duration", "guardrails.max_duration_days", R"({"guardrails": {"max_duration_days": 0}})"},
        BadCase{"zero_revenue_cap", "guardrails.revenue_cap", R"({"guardrails": {"revenue_cap": 0}})"},
        BadCase{"unknown_guardrail", "guardrails.max_days", R"({"guardrails": {"max_days": 3}})"},
        BadCase{"empty_seed", "seed", R"({"seed": ""})"},
        BadCase{"unknown_field", "colour", R"({"colour": "red"})"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(DefinitionTest, WeightsWithinTheToleranceAreAccepted) {
  json::object body = ValidBody();
  body["weights"] = json::array{0.1, 0.2, 0.7};
  body["variants"].as_array().push_back(json::object{{"key", "c"}});
  // 0.1 + 0.2 + 0.7 is not exactly 1 in binary floating point; the 1e-9 tolerance accepts it.
  EXPECT_TRUE(ParseDefinition(body).ok());
}

TEST(DefinitionTest, NotAnObjectIsRejected) {
  auto d = ParseDefinition(json::value(3));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().details.at("field").as_string(), "$");
}

TEST(UpdateTest, DraftMayChangeAnything) {
  auto d = ParseDefinition(ValidBody());
  ASSERT_TRUE(d.ok());
  auto updated = ApplyUpdate(*d, Status::kDraft,
                             json::parse(R"({"variants": [{"key": "a"}, {"key": "b"}, {"key": "c"}],
                                             "target": "block:trust"})"));
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->variants.size(), 3u);
  EXPECT_EQ(updated->weights.size(), 3u);  // variants without weights: equal weights
  EXPECT_EQ(updated->target, "block:trust");
  EXPECT_EQ(updated->name, d->name);
}

TEST(UpdateTest, RunningExperimentMayChangeWeightsButNotVariants) {
  auto d = ParseDefinition(ValidBody());
  ASSERT_TRUE(d.ok());
  auto weights = ApplyUpdate(*d, Status::kRunning, json::parse(R"({"weights": [0.2, 0.8], "coverage": 0.5})"));
  ASSERT_TRUE(weights.ok()) << weights.error().message;
  EXPECT_EQ(weights->weights, (std::vector<double>{0.2, 0.8}));
  EXPECT_EQ(weights->coverage, 0.5);

  auto variants = ApplyUpdate(*d, Status::kRunning,
                              json::parse(R"({"variants": [{"key": "control"}, {"key": "other"}]})"));
  ASSERT_FALSE(variants.ok());
  EXPECT_EQ(variants.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(variants.error().details.at("field").as_string(), "variants");

  auto config = ApplyUpdate(*d, Status::kPaused,
                            json::parse(R"({"variants": [{"key": "control"}, {"key": "buy_now", "config": {}}]})"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::kBadRequest);

  auto target = ApplyUpdate(*d, Status::kRunning, json::parse(R"({"target": "block:trust"})"));
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(target.error().details.at("field").as_string(), "target");

  auto seed = ApplyUpdate(*d, Status::kRunning, json::parse(R"({"seed": "other"})"));
  ASSERT_FALSE(seed.ok());
  EXPECT_EQ(seed.error().details.at("field").as_string(), "seed");
}

TEST(UpdateTest, InvalidWeightsInAnUpdateAre400) {
  auto d = ParseDefinition(ValidBody());
  ASSERT_TRUE(d.ok());
  auto bad = ApplyUpdate(*d, Status::kRunning, json::parse(R"({"weights": [0.2, 0.7]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(bad.error().details.at("field").as_string(), "weights");
}

TEST(UpdateTest, FinishedExperimentsAreFrozen) {
  auto d = ParseDefinition(ValidBody());
  ASSERT_TRUE(d.ok());
  for (Status status : {Status::kCompleted, Status::kArchived}) {
    auto updated = ApplyUpdate(*d, status, json::parse(R"({"name": "x"})"));
    ASSERT_FALSE(updated.ok());
    EXPECT_EQ(updated.error().code, ErrorCode::kConflict);
  }
}

TEST(AssignmentSpecTest, UsesSeedHashV2WeightsAndCoverage) {
  Experiment e;
  e.id = "11111111-1111-4111-8111-111111111111";
  auto d = ParseDefinition(ValidBody());
  ASSERT_TRUE(d.ok());
  e.definition = *d;
  e.definition.weights = {0.3, 0.7};
  e.definition.coverage = 0.8;
  AssignmentSpec spec = ToAssignmentSpec(e);
  EXPECT_EQ(spec.seed, e.id);  // no seed: the id
  EXPECT_EQ(spec.hash_version, 2);
  EXPECT_EQ(spec.num_variations, 2);
  EXPECT_EQ(spec.coverage, 0.8);
  e.definition.seed = "custom";
  EXPECT_EQ(ToAssignmentSpec(e).seed, "custom");
  EXPECT_EQ(e.VariantIndex("buy_now"), 1);
  EXPECT_EQ(e.VariantIndex("nope"), -1);
}

}  // namespace
}  // namespace pagelift::experiments
