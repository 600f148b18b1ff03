// The audit engine: configuration from shops.settings, the catalog audit, JSON of findings. See audit.h.
#include "recommend/audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "recommend/rules.h"

namespace pagelift::recommend {

namespace json = boost::json;

namespace {

constexpr std::string_view kCategoryNames[] = {"trust", "copy", "media", "pricing", "variant_ux", "performance", "seo",
                                               "accessibility"};
constexpr std::string_view kSeverityNames[] = {"low", "medium", "high"};

template <typename T>
void ReadThreshold(const json::object& thresholds, std::string_view name, T& field) {
  const auto* v = thresholds.if_contains(name);
  if (v == nullptr) return;
  if (v->is_int64() && v->get_int64() >= 0) field = static_cast<T>(v->get_int64());
  if (v->is_uint64()) field = static_cast<T>(v->get_uint64());
}

}  // namespace

std::string_view CategoryName(Category category) { return kCategoryNames[static_cast<int>(category)]; }
std::string_view SeverityName(Severity severity) { return kSeverityNames[static_cast<int>(severity)]; }

std::optional<Category> ParseCategory(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kCategoryNames); ++i) {
    if (kCategoryNames[i] == name) return static_cast<Category>(i);
  }
  return std::nullopt;
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kSeverityNames); ++i) {
    if (kSeverityNames[i] == name) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

std::span<const RuleInfo> Rules() {
  static const std::vector<RuleInfo> rules = [] {
    std::vector<RuleInfo> out;
    for (const auto& definition : RuleDefinitions()) out.push_back(definition.info);
    return out;
  }();
  return rules;
}

const RuleInfo* FindRule(std::string_view id) {
  for (const auto& rule : Rules()) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

Voice VoiceFromBrandVoice(std::string_view brand_voice) {
  const std::string text = NormalizedText(brand_voice);
  static constexpr std::string_view kFormal[] = {"formal", "luxury", "premium", "elegant", "professional", "refined"};
  static constexpr std::string_view kFriendly[] = {"friendly", "playful", "casual", "fun", "warm", "relaxed"};
  for (const auto word : kFormal) {
    if (text.find(word) != std::string::npos) return Voice::kFormal;
  }
  for (const auto word : kFriendly) {
    if (text.find(word) != std::string::npos) return Voice::kFriendly;
  }
  return Voice::kNeutral;
}

AuditConfig AuditConfig::FromSettings(const json::object& settings) {
  AuditConfig config;
  if (const auto* voice = settings.if_contains("brand_voice"); voice && voice->is_string()) {
    config.voice = VoiceFromBrandVoice(voice->get_string());
  }
  const auto* audit = settings.if_contains("audit");
  if (audit == nullptr || !audit->is_object()) return config;
  if (const auto* disabled = audit->get_object().if_contains("disabled_rules"); disabled && disabled->is_array()) {
    for (const auto& id : disabled->get_array()) {
      if (id.is_string()) config.disabled_rules.emplace(id.get_string());
    }
  }
  if (const auto* t = audit->get_object().if_contains("thresholds"); t && t->is_object()) {
    const auto& o = t->get_object();
    auto& th = config.thresholds;
    ReadThreshold(o, "min_images", th.min_images);
    ReadThreshold(o, "zoom_min_px", th.zoom_min_px);
    ReadThreshold(o, "min_description_words", th.min_description_words);
    ReadThreshold(o, "structure_min_words", th.structure_min_words);
    ReadThreshold(o, "title_max_chars", th.title_max_chars);
    ReadThreshold(o, "seo_title_max_chars", th.seo_title_max_chars);
    ReadThreshold(o, "seo_description_min_chars", th.seo_description_min_chars);
    ReadThreshold(o, "seo_description_max_chars", th.seo_description_max_chars);
    ReadThreshold(o, "max_variants", th.max_variants);
    ReadThreshold(o, "low_stock_units", th.low_stock_units);
    ReadThreshold(o, "max_images", th.max_images);
    ReadThreshold(o, "heavy_image_bytes", th.heavy_image_bytes);
    ReadThreshold(o, "heavy_image_pixels", th.heavy_image_pixels);
  }
  return config;
}

std::string Fingerprint(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

std::size_t AuditReport::FindingCount() const {
  std::size_t n = shop_findings.size();
  for (const auto& p : products) n += p.findings.size();
  return n;
}

AuditReport Auditor::AuditCatalog(const std::vector<json::object>& products, const ShopFacts& facts) const {
  AuditReport report;
  std::vector<ProductView> views;
  views.reserve(products.size());
  report.products.reserve(products.size());
  CatalogIndex catalog;
  std::string all_fingerprints;
  for (const auto& data : products) {
    ProductView view = ParseProduct(data);
    ProductAudit audit;
    audit.product_id = view.id;
    audit.title = view.title;
    audit.fingerprint = Fingerprint(json::serialize(data));
    audit.audited = view.Active() && !view.id.empty();
    all_fingerprints += audit.fingerprint;
    if (audit.audited) {
      ++catalog.active_products;
      if (view.has_review_metafields) ++catalog.with_reviews;
      if (view.HasAppMetafield("trust_badges")) ++catalog.with_trust_badges;
      if (view.description.words > 0) ++catalog.description_counts[NormalizedText(view.description.text)];
      ++catalog.title_counts[NormalizedText(view.title)];
    }
    views.push_back(std::move(view));
    report.products.push_back(std::move(audit));
  }
  const RuleContext context{config_, catalog, facts};
  for (std::size_t i = 0; i < views.size(); ++i) {
    if (!report.products[i].audited) continue;
    for (const auto& definition : RuleDefinitions()) {
      if (definition.product == nullptr || !config_.Enabled(definition.info.id)) continue;
      auto draft = definition.product(views[i], context);
      if (!draft) continue;
      report.products[i].findings.push_back(Finding{&definition.info, "product", views[i].id, std::move(draft->rationale),
                                                    std::move(draft->evidence), std::move(draft->patch)});
    }
  }
  for (const auto& definition : RuleDefinitions()) {
    if (definition.shop == nullptr || !config_.Enabled(definition.info.id)) continue;
    auto draft = definition.shop(context);
    if (!draft) continue;
    report.shop_findings.push_back(Finding{&definition.info, "shop", "shop", std::move(draft->rationale),
                                           std::move(draft->evidence), std::move(draft->patch)});
  }
  report.shop_fingerprint = Fingerprint(all_fingerprints);
  return report;
}

json::object ImpactToJson(const ExpectedImpact& impact) {
  // Whole numbers as JSON integers ("5", not "5E0").
  auto number = [](double v) {
    const auto whole = static_cast<std::int64_t>(v);
    return static_cast<double>(whole) == v ? json::value(whole) : json::value(v);
  };
  return {{"metric", impact.metric}, {"unit", "relative_pct"}, {"low", number(impact.low)},
          {"high", number(impact.high)}, {"source", impact.source}};
}

json::object FindingToJson(const Finding& finding) {
  json::object out{{"rule_id", finding.rule->id},
                   {"category", CategoryName(finding.rule->category)},
                   {"severity", SeverityName(finding.rule->severity)},
                   {"entity_type", finding.entity_type},
                   {"entity_id", finding.entity_id},
                   {"summary", finding.rule->summary},
                   {"rationale", finding.rationale},
                   {"expected_impact", ImpactToJson(finding.rule->impact)},
                   {"evidence", finding.evidence}};
  out["patch_payload"] = finding.patch_payload ? json::value(*finding.patch_payload) : json::value(nullptr);
  return out;
}

json::object ReportToJson(const AuditReport& report) {
  json::array products;
  std::size_t audited = 0;
  for (const auto& p : report.products) {
    if (p.audited) ++audited;
    if (p.findings.empty()) continue;
    json::array findings;
    for (const auto& f : p.findings) findings.push_back(FindingToJson(f));
    products.push_back({{"product_id", p.product_id}, {"title", p.title}, {"findings", std::move(findings)}});
  }
  json::array shop;
  for (const auto& f : report.shop_findings) shop.push_back(FindingToJson(f));
  return {{"products_total", report.products.size()},
          {"products_audited", audited},
          {"findings", report.FindingCount()},
          {"products", std::move(products)},
          {"shop", std::move(shop)}};
}

}  // namespace pagelift::recommend
