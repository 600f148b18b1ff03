#include "shopify/shop_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <iterator>
#include <optional>
#include <string>

namespace pagelift::shopify {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBrandVoice = 2000;

Error FieldError(std::string_view field, std::string message) {
  return MakeError(ErrorCode::kBadRequest, fmt::format("settings.{}: {}", field, message), {{"field", field}});
}

std::optional<long long> IntegerOf(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= 1u << 30) return static_cast<long long>(v.as_uint64());
  return std::nullopt;
}

Result<void> CheckInteger(const json::value& v, std::string_view field, long long min, long long max) {
  auto n = IntegerOf(v);
  if (!n) return FieldError(field, "must be an integer");
  if (*n < min || *n > max) return FieldError(field, fmt::format("must be between {} and {}", min, max));
  return {};
}

Result<void> CheckAutopilotLimits(const json::value& v) {
  if (!v.is_object()) return FieldError("autopilot_limits", "must be an object");
  for (const auto& [key, value] : v.as_object()) {
    const std::string field = "autopilot_limits." + std::string(key);
    if (key == "enabled") {
      if (!value.is_bool()) return FieldError(field, "must be true or false");
    } else if (key == "max_patches_per_day") {
      if (auto r = CheckInteger(value, field, 0, 100); !r) return r;
    } else if (key == "max_running_experiments") {
      if (auto r = CheckInteger(value, field, 0, 20); !r) return r;
    } else if (key == "require_experiment") {
      if (!value.is_bool()) return FieldError(field, "must be true or false");
    } else if (key == "allowed_categories") {
      // The audit's categories (docs/recommendations.md); an empty list allows every category.
      static constexpr std::string_view kCategories[] = {"trust", "copy",        "media", "pricing",
                                                         "variant_ux", "performance", "seo", "accessibility"};
      if (!value.is_array()) return FieldError(field, "must be an array of categories");
      for (const auto& category : value.as_array()) {
        if (!category.is_string() || std::find(std::begin(kCategories), std::end(kCategories),
                                                std::string_view(category.as_string())) == std::end(kCategories)) {
          return FieldError(field, "unknown category (trust, copy, media, pricing, variant_ux, performance, seo, "
                                   "accessibility)");
        }
      }
    } else {
      return FieldError(field, "unknown setting");
    }
  }
  return {};
}

// audit: the product-page audit's per-shop configuration (read by src/recommend/audit.h AuditConfig::FromSettings).
// The threshold names are those of recommend::Thresholds.
constexpr std::string_view kAuditThresholds[] = {
    "min_images",          "zoom_min_px",         "min_description_words",     "structure_min_words",
    "title_max_chars",     "seo_title_max_chars", "seo_description_min_chars", "seo_description_max_chars",
    "max_variants",        "low_stock_units",     "max_images",                "heavy_image_bytes",
    "heavy_image_pixels"};

Result<void> CheckAudit(const json::value& v) {
  if (!v.is_object()) return FieldError("audit", "must be an object");
  for (const auto& [key, value] : v.as_object()) {
    const std::string field = "audit." + std::string(key);
    if (key == "disabled_rules") {
      if (!value.is_array() || value.as_array().size() > 200) return FieldError(field, "must be an array of rule ids");
      for (const auto& id : value.as_array()) {
        if (!id.is_string() || id.as_string().empty() || id.as_string().size() > 100) {
          return FieldError(field, "must be an array of rule ids");
        }
      }
    } else if (key == "thresholds") {
      if (!value.is_object()) return FieldError(field, "must be an object");
      for (const auto& [name, number] : value.as_object()) {
        const std::string threshold = field + "." + std::string(name);
        if (std::find(std::begin(kAuditThresholds), std::end(kAuditThresholds), name) == std::end(kAuditThresholds)) {
          return FieldError(threshold, "unknown threshold");
        }
        if (auto r = CheckInteger(number, threshold, 0, 1'000'000'000); !r) return r;
      }
    } else {
      return FieldError(field, "unknown setting");
    }
  }
  return {};
}

}  // namespace

json::object DefaultSettings() {
  return {{"brand_voice", ""},
          {"autopilot_limits",
           {{"enabled", false},
            {"max_patches_per_day", 3},
            {"max_running_experiments", 2},
            {"require_experiment", true},
            {"allowed_categories", json::array()}}},
          {"data_retention_days", 395},
          {"allow_write_products", false},
          {"audit", {{"disabled_rules", json::array()}, {"thresholds", json::object()}}}};
}

Result<json::object> ValidateSettings(const json::value& input) {
  if (!input.is_object()) return MakeError(ErrorCode::kBadRequest, "settings must be a JSON object");
  for (const auto& [key, value] : input.as_object()) {
    if (key == "brand_voice") {
      if (!value.is_string()) return FieldError(key, "must be a string");
      if (value.as_string().size() > kMaxBrandVoice) {
        return FieldError(key, fmt::format("must be at most {} characters", kMaxBrandVoice));
      }
    } else if (key == "autopilot_limits") {
      if (auto r = CheckAutopilotLimits(value); !r) return r.error();
    } else if (key == "data_retention_days") {
      if (auto r = CheckInteger(value, key, 1, 730); !r) return r.error();
    } else if (key == "allow_write_products") {
      if (!value.is_bool()) return FieldError(key, "must be true or false");
    } else if (key == "audit") {
      if (auto r = CheckAudit(value); !r) return r.error();
    } else {
      return FieldError(key, "unknown setting");
    }
  }
  return input.as_object();
}

json::object MergeSettings(const json::object& base, const json::object& update) {
  json::object merged = base;
  for (const auto& [key, value] : update) {
    if ((key == "autopilot_limits" || key == "audit") && value.is_object() && merged.contains(key) && merged[key].is_object()) {
      for (const auto& [k, v] : value.as_object()) merged[key].as_object()[k] = v;
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

json::object EffectiveSettings(const json::object& stored) {
  json::object known;
  const json::object defaults = DefaultSettings();
  for (const auto& [key, value] : stored) {
    if (!defaults.contains(key)) continue;
    // Only well-formed stored values count; anything else falls back to the default.
    if (ValidateSettings(json::object{{key, value}})) known[key] = value;
  }
  return MergeSettings(defaults, known);
}

}  // namespace pagelift::shopify
