// Order attribution: which visitor (and which experiment variants) an order came from, and how the shopper arrived.
// The storefront script writes the visitor id into the cart's attributes (`_pagelift_vid`) and, when the visitor is in
// experiments, `_pagelift_exp` — either a JSON object {"<experiment>": "<variant>"} or "exp1:varA,exp2:varB". Cart
// attributes reach the order as note_attributes (REST webhooks: [{name, value}]) or customAttributes (GraphQL:
// [{key, value}]). UTM parameters come from the landing page URL's query string.
//
// The result is the JSON stored in orders_cache.attribution:
//   {"visitor_id": "…", "experiments": {"exp": "variant"}, "landing_site": "…", "referring_site": "…",
//    "utm": {"source": "…", "medium": "…", "campaign": "…", "term": "…", "content": "…"}}
// with absent parts left out (an order with nothing to attribute gives {}).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pagelift::shopify {

inline constexpr std::string_view kVisitorAttribute = "_pagelift_vid";
inline constexpr std::string_view kExperimentsAttribute = "_pagelift_exp";

struct AttributionInput {
  std::vector<std::pair<std::string, std::string>> attributes;  // cart attributes, in order
  std::optional<std::string> landing_site;    // "/products/x?utm_source=…" or an absolute URL
  std::optional<std::string> referring_site;  // "https://www.google.com/"
};

boost::json::object ExtractAttribution(const AttributionInput& input);

// Reads [{name|key, value}] arrays (note_attributes or customAttributes) into pairs; other shapes are skipped.
std::vector<std::pair<std::string, std::string>> AttributePairs(const boost::json::value* list);

}  // namespace pagelift::shopify
