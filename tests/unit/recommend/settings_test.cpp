// The audit's per-shop configuration as the merchant stores it: PUT /api/settings validates `audit` (shopify's
// settings validator) and the audit reads the effective settings (recommend::AuditConfig::FromSettings).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "recommend/audit.h"
#include "shopify/shop_settings.h"

namespace pagelift::recommend {
namespace {

namespace json = boost::json;

std::string FieldOf(const Result<json::object>& result) {
  const auto* field = result.error().details.if_contains("field");
  return field && field->is_string() ? std::string(field->as_string()) : "";
}

TEST(AuditSettings, ValidatorAcceptsAuditSettingsAndNamesBadFields) {
  EXPECT_TRUE(shopify::ValidateSettings(json::parse(
      R"({"audit": {"disabled_rules": ["media.min_images"], "thresholds": {"min_images": 4, "max_variants": 50}}})")));
  EXPECT_EQ(FieldOf(shopify::ValidateSettings(json::parse(R"({"audit": []})"))), "audit");
  EXPECT_EQ(FieldOf(shopify::ValidateSettings(json::parse(R"({"audit": {"disabled_rules": [3]}})"))),
            "audit.disabled_rules");
  EXPECT_EQ(FieldOf(shopify::ValidateSettings(json::parse(R"({"audit": {"thresholds": {"min_images": -1}}})"))),
            "audit.thresholds.min_images");
  EXPECT_EQ(FieldOf(shopify::ValidateSettings(json::parse(R"({"audit": {"thresholds": {"colour": 1}}})"))),
            "audit.thresholds.colour");
  EXPECT_EQ(FieldOf(shopify::ValidateSettings(json::parse(R"({"audit": {"rules": 1}})"))), "audit.rules");
}

TEST(AuditSettings, EveryThresholdTheValidatorKnowsIsReadByTheAudit) {
  // Setting each known threshold to 7 must change the audit's configuration (no name known to one side only).
  const Thresholds defaults;
  for (const char* name : {"min_images", "zoom_min_px", "min_description_words", "structure_min_words",
                           "title_max_chars", "seo_title_max_chars", "seo_description_min_chars",
                           "seo_description_max_chars", "max_variants", "low_stock_units", "max_images",
                           "heavy_image_bytes", "heavy_image_pixels"}) {
    json::object settings{{"audit", {{"thresholds", {{name, 7}}}}}};
    ASSERT_TRUE(shopify::ValidateSettings(settings)) << name;
    const auto config = AuditConfig::FromSettings(shopify::EffectiveSettings(settings));
    const auto& t = config.thresholds;
    const bool changed = t.min_images != defaults.min_images || t.zoom_min_px != defaults.zoom_min_px ||
                         t.min_description_words != defaults.min_description_words ||
                         t.structure_min_words != defaults.structure_min_words ||
                         t.title_max_chars != defaults.title_max_chars ||
                         t.seo_title_max_chars != defaults.seo_title_max_chars ||
                         t.seo_description_min_chars != defaults.seo_description_min_chars ||
                         t.seo_description_max_chars != defaults.seo_description_max_chars ||
                         t.max_variants != defaults.max_variants || t.low_stock_units != defaults.low_stock_units ||
                         t.max_images != defaults.max_images || t.heavy_image_bytes != defaults.heavy_image_bytes ||
                         t.heavy_image_pixels != defaults.heavy_image_pixels;
    EXPECT_TRUE(changed) << name;
  }
}

TEST(AuditSettings, StoredSettingsMergeAndReachTheAudit) {
  const auto stored = shopify::MergeSettings(
      shopify::DefaultSettings(),
      json::parse(R"({"brand_voice": "playful", "audit": {"disabled_rules": ["seo.title_missing"]}})").as_object());
  const auto effective = shopify::EffectiveSettings(stored);
  EXPECT_TRUE(effective.at("audit").at("thresholds").as_object().empty());  // defaults kept beside the update
  const auto config = AuditConfig::FromSettings(effective);
  EXPECT_EQ(config.voice, Voice::kFriendly);
  EXPECT_FALSE(config.Enabled("seo.title_missing"));
  EXPECT_TRUE(config.Enabled("seo.description_missing"));
}

}  // namespace
}  // namespace pagelift::recommend
