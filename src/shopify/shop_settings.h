// A shop's settings (shops.settings JSONB): what the merchant configures in the embedded admin. One validator serves
// PUT /api/settings and anything else that writes settings, so stored settings always have this shape:
//   brand_voice            string, ≤ 2000 characters (tone for generated copy)
//   autopilot_limits       object: enabled bool, max_patches_per_day int 0..100, max_running_experiments int 0..20
//   data_retention_days    int 1..730
//   allow_write_products   bool (autopilot may write product fields, not only app-owned metafields)
//   audit                  object: disabled_rules [rule id…], thresholds {name: int ≥ 0} (src/recommend/audit.h)
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/error.h"

namespace pagelift::shopify {

// Every key with its default value.
boost::json::object DefaultSettings();

// Validates a (partial) settings object: every key known and well-typed, in range. kBadRequest names the first bad
// field in details.field (dotted for autopilot_limits.*). Returns the object as given.
Result<boost::json::object> ValidateSettings(const boost::json::value& input);

// defaults ⊕ stored ⊕ update (later wins; autopilot_limits and audit merged key by key).
boost::json::object MergeSettings(const boost::json::object& base, const boost::json::object& update);

// DefaultSettings() merged with what is stored (stored keys that are no longer known are dropped).
boost::json::object EffectiveSettings(const boost::json::object& stored);

}  // namespace pagelift::shopify
