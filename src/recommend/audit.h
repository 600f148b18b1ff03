// The audit engine: every rule (its stable id, category, severity, rationale, expected impact with the public research
// it rests on, and where the fix can be automatic a patch_payload), the per-shop configuration read from
// shops.settings, and the audit of a catalog — pure functions over products_cache.data, no I/O, so the same code serves
// the re-audit jobs, the API, `pagelift lint` and the benchmark. The rule list and its sources: docs/recommendations.md.
//
// patch_payload kinds (the contract with src/recommend/patch*.cpp, which applies them):
//   product_update  {"kind","target":"product:<gid>","product_id","expected":{<field>: <value at audit time>},
//                    "set":{<ProductUpdateInput fields: title, descriptionHtml, seo:{title,description}>}}
//   media_alt       {"kind","target":"product:<gid>","product_id","expected":{<media gid>: <old alt>},
//                    "set":{<media gid>: <new alt>}}
//   metafields_set  {"kind","target":"metafield:<owner gid>:$app.<key>","owner_id","namespace":"$app","key","type":"json",
//                    "value":{…block settings…}}
//   guided          {"kind","target":"theme:…","steps":[…],"deep_link":"https://{shop}/admin/themes/current/editor?…"}
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "recommend/product_view.h"

namespace pagelift::recommend {

enum class Category { kTrust, kCopy, kMedia, kPricing, kVariantUx, kPerformance, kSeo, kAccessibility };
enum class Severity { kLow, kMedium, kHigh };

std::string_view CategoryName(Category category);
std::optional<Category> ParseCategory(std::string_view name);
std::string_view SeverityName(Severity severity);
std::optional<Severity> ParseSeverity(std::string_view name);

// What fixing the problem is expected to move, as a range (relative change of `metric`, in percent), and the public
// research the estimate rests on. The ranges are pagelift's estimates, deliberately wide; `source` names where the
// effect was measured or documented, not a promise that it transfers to every store.
struct ExpectedImpact {
  std::string_view metric;  // conversion_rate, add_to_cart_rate, organic_clicks, bounce_rate …
  double low = 0;
  double high = 0;
  std::string_view source;
};

enum class Scope { kProduct, kShop };

struct RuleInfo {
  std::string_view id;  // stable: recommendations.rule_id, settings.audit.disabled_rules
  Category category;
  Severity severity;
  Scope scope;
  std::string_view summary;  // one line, for lists
  ExpectedImpact impact;
};

// Every rule, in a fixed order.
std::span<const RuleInfo> Rules();
const RuleInfo* FindRule(std::string_view id);

// Numbers a merchant may tune (settings.audit.thresholds.<name>).
struct Thresholds {
  int min_images = 3;
  int zoom_min_px = 1024;              // shortest side of at least one image, for zoom
  int min_description_words = 50;
  int structure_min_words = 60;        // descriptions this long without lists or headings are hard to scan
  int title_max_chars = 70;
  int seo_title_max_chars = 60;
  int seo_description_min_chars = 50;
  int seo_description_max_chars = 160;
  int max_variants = 30;               // beyond this a drop-down selector gets unwieldy
  int low_stock_units = 5;
  int max_images = 15;
  std::int64_t heavy_image_bytes = 500 * 1024;
  std::int64_t heavy_image_pixels = 16'000'000;  // when the byte size is unknown
};

// Brand voice for generated copy (settings.brand_voice): templates are picked by the tone the text names; the words
// always come from the product's own data.
enum class Voice { kNeutral, kFriendly, kFormal };

struct AuditConfig {
  Thresholds thresholds;
  std::set<std::string, std::less<>> disabled_rules;
  Voice voice = Voice::kNeutral;
  std::string shop_domain;  // for guided deep links ("{shop}" when unknown)
  std::string api_key;      // SHOPIFY_API_KEY, for the app-embed deep link ("{api_key}" when unknown)

  // From shops.settings: brand_voice, audit.disabled_rules (array of rule ids), audit.thresholds (object of the
  // Thresholds names). Unknown or ill-typed entries are ignored (the settings validator rejects them on write).
  static AuditConfig FromSettings(const boost::json::object& settings);
  bool Enabled(std::string_view rule_id) const { return !disabled_rules.contains(rule_id); }
};

Voice VoiceFromBrandVoice(std::string_view brand_voice);

// Shop-wide facts that are not in the catalog.
struct ShopFacts {
  std::optional<bool> storefront_events_seen;  // pagelift.js reported events lately (the app embed is on)
};

struct Finding {
  const RuleInfo* rule = nullptr;
  std::string entity_type;  // "product" | "shop"
  std::string entity_id;    // product gid, or "shop"
  std::string rationale;    // what is wrong on this page and why it matters, in the merchant's terms
  boost::json::object evidence;
  std::optional<boost::json::object> patch_payload;
};

struct ProductAudit {
  std::string product_id;
  std::string title;
  std::string fingerprint;  // hash of the data the rules saw: a change reopens dismissed recommendations
  bool audited = false;     // false: not on the storefront (draft/archived), no findings
  std::vector<Finding> findings;
};

struct AuditReport {
  std::vector<ProductAudit> products;
  std::vector<Finding> shop_findings;
  std::string shop_fingerprint;  // hash over every product fingerprint and the shop facts
  std::size_t FindingCount() const;
};

// 64-bit FNV-1a, hex: the fingerprint of a product's data.
std::string Fingerprint(std::string_view bytes);

class Auditor {
 public:
  explicit Auditor(AuditConfig config) : config_(std::move(config)) {}

  // Audits every product (each element: products_cache.data) and the shop as a whole. Rules that compare products
  // (duplicate titles and descriptions) see the whole list.
  AuditReport AuditCatalog(const std::vector<boost::json::object>& products, const ShopFacts& facts) const;

  const AuditConfig& config() const { return config_; }

 private:
  AuditConfig config_;
};

// JSON of a finding as the API and `lint --json` show it (rule, category, severity, rationale, expected_impact,
// evidence, patch_payload).
boost::json::object FindingToJson(const Finding& finding);
boost::json::object ImpactToJson(const ExpectedImpact& impact);
// The whole report (products with findings only, then shop findings), as the golden file stores it.
boost::json::object ReportToJson(const AuditReport& report);

}  // namespace pagelift::recommend
