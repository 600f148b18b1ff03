// Order attribution from cart attributes and landing/referring sites. See attribution.h.
#include "shopify/attribution.h"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace pagelift::shopify {
namespace json = boost::json;

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

json::object ParseExperiments(std::string_view text) {
  json::object out;
  text = Trim(text);
  if (text.starts_with("{")) {
    json::error_code ec;
    auto value = json::parse(text, ec);
    if (!ec && value.is_object()) {
      for (const auto& [k, v] : value.get_object()) {
        if (v.is_string() && !k.empty()) out[k] = v;
      }
    }
    return out;
  }
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) continue;
    const auto experiment = Trim(item.substr(0, colon));
    const auto variant = Trim(item.substr(colon + 1));
    if (!experiment.empty() && !variant.empty()) out[experiment] = variant;
  }
  return out;
}

json::object UtmParameters(std::string_view landing_site) {
  json::object utm;
  // A relative landing site ("/path?x") is resolved against a dummy origin so that one parser handles both forms.
  std::string absolute = landing_site.starts_with("/") ? "https://shop.invalid" + std::string(landing_site)
                                                       : std::string(landing_site);
  auto parsed = boost::urls::parse_uri_reference(absolute);
  if (!parsed) return utm;
  for (const auto& param : parsed->params()) {
    std::string_view key = param.key;
    if (!key.starts_with("utm_") || !param.has_value || param.value.empty()) continue;
    key.remove_prefix(4);
    if (key == "source" || key == "medium" || key == "campaign" || key == "term" || key == "content") {
      if (!utm.contains(key)) utm[key] = param.value;
    }
  }
  return utm;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> AttributePairs(const json::value* list) {
  std::vector<std::pair<std::string, std::string>> out;
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& item : list->get_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.get_object();
    const json::value* name = o.if_contains("name");
    if (name == nullptr) name = o.if_contains("key");
    const json::value* value = o.if_contains("value");
    if (name && name->is_string() && value && value->is_string()) {
      out.emplace_back(std::string(name->get_string()), std::string(value->get_string()));
    }
  }
  return out;
}

json::object ExtractAttribution(const AttributionInput& input) {
  json::object out;
  for (const auto& [name, value] : input.attributes) {
    if (name == kVisitorAttribute && !Trim(value).empty() && !out.contains("visitor_id")) {
      out["visitor_id"] = Trim(value);
    } else if (name == kExperimentsAttribute) {
      if (auto experiments = ParseExperiments(value); !experiments.empty()) out["experiments"] = std::move(experiments);
    }
  }
  if (input.landing_site && !input.landing_site->empty()) {
    out["landing_site"] = *input.landing_site;
    if (auto utm = UtmParameters(*input.landing_site); !utm.empty()) out["utm"] = std::move(utm);
  }
  if (input.referring_site && !input.referring_site->empty()) out["referring_site"] = *input.referring_site;
  return out;
}

}  // namespace pagelift::shopify
