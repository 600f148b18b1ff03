// Settings validation (shopify/shop_settings.h): the rules PUT /api/settings enforces.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "shopify/shop_settings.h"

namespace pagelift::shopify {
namespace {

namespace json = boost::json;

Result<json::object> Validate(const char* text) { return ValidateSettings(json::parse(text)); }

std::string FieldOf(const Result<json::object>& result) {
  const auto* field = result.error().details.if_contains("field");
  return field && field->is_string() ? std::string(field->as_string()) : "";
}

TEST(SettingsTest, AcceptsEveryKnownKey) {
  auto result = Validate(R"({"brand_voice": "warm", "autopilot_limits": {"enabled": true, "max_patches_per_day": 5,
                             "max_running_experiments": 2, "require_experiment": false,
                             "allowed_categories": ["trust", "seo"]},
                             "data_retention_days": 730, "allow_write_products": true})");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->size(), 4u);
}

TEST(SettingsTest, AcceptsAnEmptyObject) { EXPECT_TRUE(Validate("{}").ok()); }

TEST(SettingsTest, RefusesNonObjects) {
  for (const char* text : {"[]", "1", "\"x\"", "null"}) {
    auto result = Validate(text);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.error().code, ErrorCode::kBadRequest);
  }
}

TEST(SettingsTest, UnknownKeysNameTheField) {
  auto result = Validate(R"({"brand_voice": "x", "colour": "red"})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(FieldOf(result), "colour");
  auto nested = Validate(R"({"autopilot_limits": {"enabled": true, "max_budget": 3}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(FieldOf(nested), "autopilot_limits.max_budget");
}

TEST(SettingsTest, RetentionDaysRange) {
  EXPECT_TRUE(Validate(R"({"data_retention_days": 1})").ok());
  EXPECT_TRUE(Validate(R"({"data_retention_days": 730})").ok());
  for (const char* bad : {R"({"data_retention_days": 0})", R"({"data_retention_days": 731})",
                          R"({"data_retention_days": -5})", R"({"data_retention_days": 30.5})",
                          R"({"data_retention_days": "30"})", R"({"data_retention_days": 18446744073709551615})"}) {
    auto result = Validate(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(FieldOf(result), "data_retention_days") << bad;
  }
}

TEST(SettingsTest, TypesAreChecked) {
  EXPECT_EQ(FieldOf(Validate(R"({"brand_voice": 3})")), "brand_voice");
  EXPECT_EQ(FieldOf(Validate(R"({"allow_write_products": "yes"})")), "allow_write_products");
  EXPECT_EQ(FieldOf(Validate(R"({"autopilot_limits": []})")), "autopilot_limits");
  EXPECT_EQ(FieldOf(Validate(R"({"autopilot_limits": {"enabled": 1}})")), "autopilot_limits.enabled");
  EXPECT_EQ(FieldOf(Validate(R"({"autopilot_limits": {"require_experiment": "yes"}})")),
            "autopilot_limits.require_experiment");
  EXPECT_EQ(FieldOf(Validate(R"({"autopilot_limits": {"allowed_categories": "trust"}})")),
            "autopilot_limits.allowed_categories");
  EXPECT_EQ(FieldOf(Validate(R"({"autopilot_limits": {"allowed_categories": ["trust", "magic"]}})")),
            "autopilot_limits.allowed_categories");
  EXPECT_EQ(FieldOf(Validate(R"({"autopilot_limits": {"max_patches_per_day": 101}})")),
            "autopilot_limits.max_patches_per_day");
  EXPECT_EQ(FieldOf(Validate(std::string("{\"brand_voice\": \"" + std::string(2001, 'a') + "\"}").c_str())),
            "brand_voice");
}

TEST(SettingsTest, MergeKeepsOtherKeysAndMergesLimitsKeyByKey) {
  auto merged = MergeSettings(DefaultSettings(), json::parse(R"({"autopilot_limits": {"enabled": true},
                                                                 "brand_voice": "bold"})")
                                                     .as_object());
  EXPECT_EQ(merged.at("brand_voice"), "bold");
  EXPECT_EQ(merged.at("autopilot_limits").at("enabled"), true);
  EXPECT_EQ(merged.at("autopilot_limits").at("max_patches_per_day"), 3);
  EXPECT_EQ(merged.at("data_retention_days"), 395);
}

TEST(SettingsTest, EffectiveSettingsDropUnknownAndMalformedStoredValues) {
  auto effective = EffectiveSettings(json::parse(R"({"legacy": 1, "data_retention_days": 9999,
                                                     "allow_write_products": true})")
                                         .as_object());
  EXPECT_FALSE(effective.contains("legacy"));
  EXPECT_EQ(effective.at("data_retention_days"), 395);
  EXPECT_EQ(effective.at("allow_write_products"), true);
}

}  // namespace
}  // namespace pagelift::shopify
