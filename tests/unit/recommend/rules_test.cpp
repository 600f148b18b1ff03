// One test per audit rule: a product (or shop) the rule flags, and the nearest case it must not flag. Every test starts
// from GoodProduct(), which no rule flags (checked by its own test), and changes only what the rule is about.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <string>

#include "recommend/audit.h"
#include "recommend/copy.h"

namespace pagelift::recommend {
namespace {

namespace json = boost::json;

json::object Media(int n, std::string alt, int width = 2048, int height = 2048) {
  return {{"id", "gid://shopify/MediaImage/" + std::to_string(n)},
          {"alt", alt},
          {"mediaContentType", "IMAGE"},
          {"image", {{"url", "https://cdn.example/p" + std::to_string(n) + ".jpg"}, {"altText", alt}, {"width", width},
                     {"height", height}}}};
}

json::object Variant(int n, std::string title, std::string price, int inventory, json::value compare_at = "40.00") {
  return {{"id", "gid://shopify/ProductVariant/" + std::to_string(n)},
          {"title", title},
          {"price", price},
          {"compareAtPrice", compare_at},
          {"inventoryQuantity", inventory},
          {"availableForSale", inventory > 0}};
}

// A product page that does everything right.
json::object GoodProduct() {
  return json::parse(R"({
    "id": "gid://shopify/Product/100", "handle": "organic-crew-tee", "title": "Organic Crew Tee",
    "status": "ACTIVE", "vendor": "Northwind Apparel", "productType": "T-Shirts", "tags": ["apparel"],
    "descriptionHtml": "<p>Meet the Organic Crew Tee, cut from organic cotton jersey that softens with every wash. It has a relaxed fit through the body and a slightly dropped shoulder for an easy everyday shape.</p><ul><li>100% organic cotton, 180 gsm</li><li>Pre-shrunk so the fit you buy is the fit you keep</li><li>Reinforced shoulder seams</li></ul><h3>Care</h3><p>Machine wash cold and tumble dry low. Free shipping on orders over $75 and free returns within 30 days.</p>",
    "seo": {"title": "Organic Crew Tee | Northwind Apparel", "description": "An organic cotton crew tee with a relaxed fit that softens with every wash."},
    "options": [{"name": "Size", "values": ["S", "M"]}],
    "metafields": [{"namespace": "$app", "key": "size_guide", "type": "json", "value": "{}"},
                   {"namespace": "$app", "key": "trust_badges", "type": "json", "value": "{}"},
                   {"namespace": "reviews", "key": "rating", "type": "rating", "value": "{}"}]
  })").as_object();
}

json::object Good() {
  auto p = GoodProduct();
  p["media"] = json::array{Media(1, "Organic Crew Tee, front"), Media(2, "Organic Crew Tee, back"),
                           Media(3, "Organic Crew Tee, detail of the collar")};
  p["variants"] = json::array{Variant(11, "S", "30.00", 20), Variant(12, "M", "30.00", 25)};
  return p;
}

ShopFacts Seen() { return ShopFacts{true}; }

AuditReport Audit(const std::vector<json::object>& products, const AuditConfig& config = {},
                  const ShopFacts& facts = Seen()) {
  return Auditor(config).AuditCatalog(products, facts);
}

std::set<std::string> RuleIds(const AuditReport& report) {
  std::set<std::string> ids;
  for (const auto& p : report.products) {
    for (const auto& f : p.findings) ids.emplace(f.rule->id);
  }
  for (const auto& f : report.shop_findings) ids.emplace(f.rule->id);
  return ids;
}

bool Flags(const json::object& product, std::string_view rule, const AuditConfig& config = {}) {
  return RuleIds(Audit({product}, config)).contains(std::string(rule));
}

const Finding* FindingOf(const AuditReport& report, std::string_view rule) {
  for (const auto& p : report.products) {
    for (const auto& f : p.findings) {
      if (f.rule->id == rule) return &f;
    }
  }
  for (const auto& f : report.shop_findings) {
    if (f.rule->id == rule) return &f;
  }
  return nullptr;
}

TEST(AuditRules, GoodProductIsNotFlaggedByAnyRule) {
  const auto ids = RuleIds(Audit({Good()}));
  EXPECT_TRUE(ids.empty()) << *ids.begin();
}

TEST(AuditRules, EveryRuleHasIdCategorySeverityAndSource) {
  std::set<std::string_view> ids;
  for (const auto& rule : Rules()) {
    EXPECT_TRUE(ids.insert(rule.id).second) << "duplicate " << rule.id;
    EXPECT_TRUE(rule.id.starts_with(CategoryName(rule.category))) << rule.id;
    EXPECT_FALSE(rule.impact.source.empty()) << rule.id;
    EXPECT_LE(rule.impact.low, rule.impact.high) << rule.id;
  }
  EXPECT_GE(Rules().size(), 30u);
}

TEST(AuditRules, DraftsAreNotAudited) {
  auto p = Good();
  p["status"] = "DRAFT";
  p["media"] = json::array{};
  const auto report = Audit({p});
  EXPECT_FALSE(report.products[0].audited);
  EXPECT_TRUE(report.products[0].findings.empty());
}

TEST(AuditRules, DisabledRulesAndThresholdsComeFromSettings) {
  auto p = Good();
  p["media"].as_array().pop_back();  // 2 images
  auto settings = json::parse(R"({"audit": {"disabled_rules": ["media.min_images"]}})").as_object();
  EXPECT_FALSE(Flags(p, "media.min_images", AuditConfig::FromSettings(settings)));
  settings = json::parse(R"({"audit": {"thresholds": {"min_images": 2}}})").as_object();
  EXPECT_FALSE(Flags(p, "media.min_images", AuditConfig::FromSettings(settings)));
  EXPECT_TRUE(Flags(p, "media.min_images"));
}

// ---- media -----------------------------------------------------------------------------------------------------

TEST(AuditRules, MediaNoImages) {
  auto p = Good();
  p["media"] = json::array{};
  EXPECT_TRUE(Flags(p, "media.no_images"));
  EXPECT_FALSE(Flags(p, "media.min_images"));  // one finding for one problem
  EXPECT_FALSE(Flags(Good(), "media.no_images"));
}

TEST(AuditRules, MediaMinImages) {
  auto p = Good();
  p["media"].as_array().pop_back();
  EXPECT_TRUE(Flags(p, "media.min_images"));
  EXPECT_FALSE(Flags(Good(), "media.min_images"));  // exactly 3
}

TEST(AuditRules, MediaLowResolution) {
  auto p = Good();
  p["media"] = json::array{Media(1, "a", 800, 800), Media(2, "b", 1000, 1200), Media(3, "c", 480, 600)};
  EXPECT_TRUE(Flags(p, "media.low_resolution"));
  p["media"].as_array()[1] = Media(2, "b", 1024, 1200);  // one zoomable image is enough
  EXPECT_FALSE(Flags(p, "media.low_resolution"));
}

TEST(AuditRules, MediaMixedAspectRatios) {
  auto p = Good();
  p["media"].as_array()[2] = Media(3, "c", 1600, 2000);
  EXPECT_TRUE(Flags(p, "media.mixed_aspect_ratios"));
  p["media"].as_array()[2] = Media(3, "c", 1200, 1200);  // same shape, other size
  EXPECT_FALSE(Flags(p, "media.mixed_aspect_ratios"));
}

// ---- accessibility ---------------------------------------------------------------------------------------------

TEST(AuditRules, AccessibilityImageAltMissingWithPatch) {
  auto p = Good();
  p["media"].as_array()[1] = Media(2, "");
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "accessibility.image_alt_missing");
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->patch_payload);
  const auto& patch = *f->patch_payload;
  EXPECT_EQ(patch.at("kind"), "media_alt");
  EXPECT_EQ(patch.at("target"), "product:gid://shopify/Product/100");
  EXPECT_EQ(patch.at("expected").at("gid://shopify/MediaImage/2"), "");
  EXPECT_EQ(patch.at("set").at("gid://shopify/MediaImage/2"), "Organic Crew Tee – image 2 of 3");
  EXPECT_EQ(patch.at("set").as_object().size(), 1u);  // images that have alt text are left alone
  EXPECT_FALSE(Flags(Good(), "accessibility.image_alt_missing"));
}

TEST(AuditRules, AccessibilityImageAltFilename) {
  auto p = Good();
  p["media"].as_array()[0] = Media(1, "IMG_4032.JPG");
  EXPECT_TRUE(Flags(p, "accessibility.image_alt_filename"));
  p["media"].as_array()[0] = Media(1, "Image of the tee on a hanger");  // a sentence, not a file name
  EXPECT_FALSE(Flags(p, "accessibility.image_alt_filename"));
}

TEST(AuditRules, AccessibilityImageAltDuplicate) {
  auto p = Good();
  p["media"].as_array()[2] = Media(3, "Organic Crew Tee, front");
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "accessibility.image_alt_duplicate");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->patch_payload->at("set").as_object().contains("gid://shopify/MediaImage/3"));
  EXPECT_FALSE(f->patch_payload->at("set").as_object().contains("gid://shopify/MediaImage/1"));  // the first keeps it
  EXPECT_FALSE(Flags(Good(), "accessibility.image_alt_duplicate"));
}

TEST(AuditRules, AccessibilityDescriptionH1) {
  auto p = Good();
  p["descriptionHtml"] = std::string("<h1>Organic Crew Tee</h1>") + p["descriptionHtml"].as_string().c_str();
  EXPECT_TRUE(Flags(p, "accessibility.description_h1"));
  EXPECT_FALSE(Flags(Good(), "accessibility.description_h1"));  // h3 is fine
}

TEST(AuditRules, AccessibilityDescriptionImageAlt) {
  auto p = Good();
  p["descriptionHtml"] = std::string(p["descriptionHtml"].as_string()) + "<img src=\"x.jpg\" width=\"10\" height=\"10\">";
  EXPECT_TRUE(Flags(p, "accessibility.description_image_alt"));
  p["descriptionHtml"] = std::string(Good()["descriptionHtml"].as_string()) +
                         "<img src=\"x.jpg\" alt=\"\" width=\"10\" height=\"10\">";  // decorative: alt=""
  EXPECT_FALSE(Flags(p, "accessibility.description_image_alt"));
}

// ---- copy ------------------------------------------------------------------------------------------------------

TEST(AuditRules, CopyDescriptionMissing) {
  auto p = Good();
  p["descriptionHtml"] = "<p> </p>";
  EXPECT_TRUE(Flags(p, "copy.description_missing"));
  EXPECT_FALSE(Flags(p, "copy.description_thin"));
  EXPECT_FALSE(Flags(Good(), "copy.description_missing"));
}

TEST(AuditRules, CopyDescriptionThin) {
  auto p = Good();
  p["descriptionHtml"] = "<p>Soft organic cotton tee. Free shipping and returns.</p>";
  EXPECT_TRUE(Flags(p, "copy.description_thin"));
  const auto settings = json::parse(R"({"audit": {"thresholds": {"min_description_words": 5}}})").as_object();
  EXPECT_FALSE(Flags(p, "copy.description_thin", AuditConfig::FromSettings(settings)));
}

TEST(AuditRules, CopyDescriptionRepeatsTitle) {
  auto p = Good();
  p["descriptionHtml"] = "<p>Organic  Crew <b>Tee</b></p>";
  EXPECT_TRUE(Flags(p, "copy.description_repeats_title"));
  p["descriptionHtml"] = "<p>Organic Crew Tee in soft cotton.</p>";
  EXPECT_FALSE(Flags(p, "copy.description_repeats_title"));
}

TEST(AuditRules, CopyDescriptionDuplicate) {
  auto a = Good();
  auto b = Good();
  b["id"] = "gid://shopify/Product/101";
  b["title"] = "Organic Crew Tee Long";
  const auto report = Audit({a, b});
  EXPECT_NE(FindingOf(report, "copy.description_duplicate"), nullptr);
  b["descriptionHtml"] = std::string(b["descriptionHtml"].as_string()) + "<p>Long sleeves.</p>";
  EXPECT_EQ(FindingOf(Audit({a, b}), "copy.description_duplicate"), nullptr);
}

TEST(AuditRules, CopyDescriptionNoStructureWithPatch) {
  auto p = Good();
  p["descriptionHtml"] =
      "<p>Meet the Organic Crew Tee, cut from organic cotton jersey that softens with every wash. It has a relaxed "
      "fit through the body and a slightly dropped shoulder for an easy everyday shape. The fabric is pre-shrunk so "
      "the fit you buy is the fit you keep. Reinforced shoulder seams hold their shape wash after wash. Machine wash "
      "cold and tumble dry low. Free shipping on orders over $75 & free returns within 30 days.</p>";
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "copy.description_no_structure");
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->patch_payload);
  EXPECT_EQ(f->patch_payload->at("expected").at("descriptionHtml"), p["descriptionHtml"]);
  const std::string html(f->patch_payload->at("set").at("descriptionHtml").as_string());
  EXPECT_TRUE(html.starts_with("<p>Meet the Organic Crew Tee, cut from organic cotton jersey"));
  EXPECT_NE(html.find("<li>Machine wash cold and tumble dry low.</li>"), std::string::npos);
  EXPECT_NE(html.find("$75 &amp; free returns"), std::string::npos);  // escaped, words unchanged
  EXPECT_FALSE(Flags(Good(), "copy.description_no_structure"));
}

TEST(AuditRules, CopyTitleTooLongWithPatch) {
  auto p = Good();
  p["title"] = "Organic Crew Tee - Premium Quality Gift For Men And Women, Perfect For Every Occasion";
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "copy.title_too_long");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->patch_payload->at("set").at("title"), "Organic Crew Tee");
  p["title"] = std::string(70, 'a');
  EXPECT_FALSE(Flags(p, "copy.title_too_long"));
}

TEST(AuditRules, CopyTitleAllCapsWithPatch) {
  auto p = Good();
  p["title"] = "ORGANIC CREW TEE 2";
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "copy.title_all_caps");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->patch_payload->at("set").at("title"), "Organic Crew Tee 2");
  EXPECT_EQ(f->patch_payload->at("expected").at("title"), "ORGANIC CREW TEE 2");
  p["title"] = "USB-C Organic Cable";  // an acronym is not shouting
  EXPECT_FALSE(Flags(p, "copy.title_all_caps"));
}

TEST(AuditRules, CopyTitlePromotional) {
  auto p = Good();
  p["title"] = "Organic Crew Tee Free Shipping";
  EXPECT_TRUE(Flags(p, "copy.title_promotional"));
  p["title"] = "Organic Crew Tee Salem Blue";  // "sale" only as a whole word
  EXPECT_FALSE(Flags(p, "copy.title_promotional"));
}

// ---- seo -------------------------------------------------------------------------------------------------------

TEST(AuditRules, SeoTitleMissingWithPatch) {
  auto p = Good();
  p["seo"].as_object()["title"] = nullptr;
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "seo.title_missing");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->patch_payload->at("kind"), "product_update");
  EXPECT_EQ(f->patch_payload->at("set").at("seo").at("title"), "Organic Crew Tee | Northwind Apparel");
  EXPECT_TRUE(f->patch_payload->at("expected").at("seo").at("title").is_null());
  // The other SEO field is written back unchanged.
  EXPECT_EQ(f->patch_payload->at("set").at("seo").at("description"), p["seo"].at("description"));
  EXPECT_FALSE(Flags(Good(), "seo.title_missing"));
}

TEST(AuditRules, SeoDescriptionMissingWithPatchFromOwnWords) {
  auto p = Good();
  p["seo"].as_object()["description"] = "";
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "seo.description_missing");
  ASSERT_NE(f, nullptr);
  const std::string generated(f->patch_payload->at("set").at("seo").at("description").as_string());
  EXPECT_TRUE(generated.starts_with("Meet the Organic Crew Tee, cut from organic cotton jersey")) << generated;
  EXPECT_LE(generated.size(), 160u);
  EXPECT_FALSE(Flags(Good(), "seo.description_missing"));
}

TEST(AuditRules, SeoTitleTooLong) {
  auto p = Good();
  p["seo"].as_object()["title"] = std::string(61, 'x');
  EXPECT_TRUE(Flags(p, "seo.title_too_long"));
  p["seo"].as_object()["title"] = std::string(60, 'x');
  EXPECT_FALSE(Flags(p, "seo.title_too_long"));
}

TEST(AuditRules, SeoDescriptionLength) {
  auto p = Good();
  p["seo"].as_object()["description"] = "Shop the tee.";
  EXPECT_TRUE(Flags(p, "seo.description_length"));
  p["seo"].as_object()["description"] = std::string(161, 'x');
  EXPECT_TRUE(Flags(p, "seo.description_length"));
  p["seo"].as_object()["description"] = std::string(160, 'x');
  EXPECT_FALSE(Flags(p, "seo.description_length"));
}

TEST(AuditRules, SeoDuplicateTitle) {
  auto a = Good();
  auto b = Good();
  b["id"] = "gid://shopify/Product/101";
  b["title"] = "organic crew  tee";
  b["descriptionHtml"] = std::string(b["descriptionHtml"].as_string()) + "<p>Another.</p>";
  EXPECT_NE(FindingOf(Audit({a, b}), "seo.duplicate_title"), nullptr);
  b["status"] = "ARCHIVED";  // not on the storefront: no clash
  EXPECT_EQ(FindingOf(Audit({a, b}), "seo.duplicate_title"), nullptr);
}

TEST(AuditRules, SeoProductTypeMissing) {
  auto p = Good();
  p["productType"] = "";
  EXPECT_TRUE(Flags(p, "seo.product_type_missing"));
  EXPECT_FALSE(Flags(Good(), "seo.product_type_missing"));
}

// ---- trust -----------------------------------------------------------------------------------------------------

TEST(AuditRules, TrustVendorMissing) {
  auto p = Good();
  p["vendor"] = "";
  EXPECT_TRUE(Flags(p, "trust.vendor_missing"));
  EXPECT_FALSE(Flags(Good(), "trust.vendor_missing"));
}

TEST(AuditRules, TrustShippingReturnsMissingWithMetafieldPatch) {
  auto p = Good();
  p["descriptionHtml"] = "<p>Meet the Organic Crew Tee.</p>";
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "trust.shipping_returns_missing");
  ASSERT_NE(f, nullptr);
  const auto& patch = *f->patch_payload;
  EXPECT_EQ(patch.at("kind"), "metafields_set");
  EXPECT_EQ(patch.at("target"), "metafield:gid://shopify/Product/100:$app.shipping_returns");
  EXPECT_EQ(patch.at("owner_id"), "gid://shopify/Product/100");
  EXPECT_EQ(patch.at("namespace"), "$app");
  EXPECT_EQ(patch.at("key"), "shipping_returns");
  EXPECT_EQ(patch.at("type"), "json");
  // Configured block: no longer flagged.
  p["metafields"].as_array().push_back({{"namespace", "app--123"}, {"key", "shipping_returns"}});
  EXPECT_FALSE(Flags(p, "trust.shipping_returns_missing"));
}

TEST(AuditRules, TrustReviewsMissingIsShopWide) {
  auto a = Good();
  a["metafields"] = json::array{{{"namespace", "$app"}, {"key", "size_guide"}}, {{"namespace", "$app"}, {"key", "trust_badges"}}};
  const auto report = Audit({a});
  const Finding* f = FindingOf(report, "trust.reviews_missing");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->entity_type, "shop");
  EXPECT_EQ(f->patch_payload->at("kind"), "guided");
  auto b = Good();  // one product with review metafields is enough
  b["id"] = "gid://shopify/Product/101";
  b["title"] = "Other";
  EXPECT_EQ(FindingOf(Audit({a, b}), "trust.reviews_missing"), nullptr);
}

TEST(AuditRules, TrustBadgesMissingIsShopWide) {
  auto a = Good();
  a["metafields"] = json::array{{{"namespace", "$app"}, {"key", "size_guide"}}, {{"namespace", "reviews"}, {"key", "rating"}}};
  AuditConfig config;
  config.shop_domain = "a.myshopify.com";
  config.api_key = "k";
  const auto report = Audit({a}, config);
  const Finding* f = FindingOf(report, "trust.trust_badges_missing");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->patch_payload->at("deep_link"),
            "https://a.myshopify.com/admin/themes/current/editor?template=product&addAppBlockId=k/trust_badges&target=mainSection");
  EXPECT_EQ(FindingOf(Audit({Good()}), "trust.trust_badges_missing"), nullptr);
}

TEST(AuditRules, TrustAppEmbedDisabledWithDeepLink) {
  AuditConfig config;
  config.shop_domain = "a.myshopify.com";
  config.api_key = "key123";
  const auto report = Audit({Good()}, config, ShopFacts{false});
  const Finding* f = FindingOf(report, "trust.app_embed_disabled");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->patch_payload->at("target"), "theme:app_embed");
  EXPECT_EQ(f->patch_payload->at("deep_link"),
            "https://a.myshopify.com/admin/themes/current/editor?context=apps&activateAppId=key123/app-embed");
  EXPECT_EQ(FindingOf(Audit({Good()}, config, ShopFacts{true}), "trust.app_embed_disabled"), nullptr);
  EXPECT_EQ(FindingOf(Audit({Good()}, config, ShopFacts{}), "trust.app_embed_disabled"), nullptr);  // unknown
}

// ---- pricing ---------------------------------------------------------------------------------------------------

TEST(AuditRules, PricingCompareAtNotHigher) {
  auto p = Good();
  p["variants"].as_array()[0] = Variant(11, "S", "30.00", 20, "23.99");
  EXPECT_TRUE(Flags(p, "pricing.compare_at_not_higher"));
  p["variants"].as_array()[0] = Variant(11, "S", "30.00", 20, nullptr);  // no compare-at: no sale, no problem
  EXPECT_FALSE(Flags(p, "pricing.compare_at_not_higher"));
}

TEST(AuditRules, PricingInconsistentEndings) {
  auto p = Good();
  p["variants"].as_array()[1] = Variant(12, "M", "34.99", 25);
  EXPECT_TRUE(Flags(p, "pricing.inconsistent_endings"));
  p["variants"].as_array()[1] = Variant(12, "M", "34.00", 25);  // different price, same ending
  EXPECT_FALSE(Flags(p, "pricing.inconsistent_endings"));
}

TEST(AuditRules, PricingZeroPrice) {
  auto p = Good();
  p["variants"].as_array()[1] = Variant(12, "M", "0.00", 25);
  EXPECT_TRUE(Flags(p, "pricing.zero_price"));
  p["variants"].as_array()[1] = Variant(12, "M", "0.01", 25);
  EXPECT_FALSE(Flags(p, "pricing.zero_price"));
}

// ---- variant_ux ------------------------------------------------------------------------------------------------

TEST(AuditRules, VariantUxAllSoldOut) {
  auto p = Good();
  p["variants"] = json::array{Variant(11, "S", "30.00", 0), Variant(12, "M", "30.00", 0)};
  EXPECT_TRUE(Flags(p, "variant_ux.all_sold_out"));
  EXPECT_FALSE(Flags(p, "variant_ux.default_variant_sold_out"));
  // Untracked inventory that Shopify still sells is not sold out.
  auto untracked = Variant(12, "M", "30.00", 0);
  untracked["availableForSale"] = true;
  p["variants"].as_array()[1] = untracked;
  EXPECT_FALSE(Flags(p, "variant_ux.all_sold_out"));
}

TEST(AuditRules, VariantUxDefaultVariantSoldOut) {
  auto p = Good();
  p["variants"].as_array()[0] = Variant(11, "S", "30.00", 0);
  EXPECT_TRUE(Flags(p, "variant_ux.default_variant_sold_out"));
  p["variants"] = json::array{Variant(11, "S", "30.00", 5), Variant(12, "M", "30.00", 0)};  // a later one: fine
  EXPECT_FALSE(Flags(p, "variant_ux.default_variant_sold_out"));
}

TEST(AuditRules, VariantUxMostVariantsSoldOut) {
  auto p = Good();
  p["variants"] = json::array{Variant(11, "XS", "30.00", 9), Variant(12, "S", "30.00", 0), Variant(13, "M", "30.00", 0),
                              Variant(14, "L", "30.00", 0)};
  EXPECT_TRUE(Flags(p, "variant_ux.most_variants_sold_out"));
  p["variants"].as_array()[1] = Variant(12, "S", "30.00", 7);  // half sold out: not most
  EXPECT_FALSE(Flags(p, "variant_ux.most_variants_sold_out"));
}

TEST(AuditRules, VariantUxOptionNamesMissing) {
  auto p = Good();
  p["options"] = json::parse(R"([{"name": "Option1", "values": ["S", "M"]}])");
  EXPECT_TRUE(Flags(p, "variant_ux.option_names_missing"));
  p["options"] = json::parse(R"([{"name": "Title", "values": ["Default Title"]}])");  // Shopify's single variant
  EXPECT_FALSE(Flags(p, "variant_ux.option_names_missing"));
}

TEST(AuditRules, VariantUxDefaultTitleShown) {
  auto p = Good();
  p["variants"].as_array()[0] = Variant(11, "Default Title", "30.00", 20);
  EXPECT_TRUE(Flags(p, "variant_ux.default_title_shown"));
  p["variants"] = json::array{Variant(11, "Default Title", "30.00", 20)};  // the only variant: no selector shown
  EXPECT_FALSE(Flags(p, "variant_ux.default_title_shown"));
}

TEST(AuditRules, VariantUxTooManyVariants) {
  auto p = Good();
  json::array variants;
  for (int i = 0; i < 31; ++i) variants.push_back(Variant(100 + i, "V" + std::to_string(i), "30.00", 9));
  p["variants"] = variants;
  EXPECT_TRUE(Flags(p, "variant_ux.too_many_variants"));
  variants.pop_back();
  p["variants"] = variants;
  EXPECT_FALSE(Flags(p, "variant_ux.too_many_variants"));
}

TEST(AuditRules, VariantUxSizeGuideMissingForApparel) {
  auto p = Good();
  p["metafields"] = json::array{{{"namespace", "$app"}, {"key", "trust_badges"}}, {{"namespace", "reviews"}, {"key", "rating"}}};
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "variant_ux.size_guide_missing");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->patch_payload->at("key"), "size_guide");
  EXPECT_EQ(f->patch_payload->at("value").at("sizes"), json::parse(R"(["S", "M"])"));
  p["productType"] = "Skincare";  // sizes of a cream are not a fit question
  p["tags"] = json::array{};
  EXPECT_FALSE(Flags(p, "variant_ux.size_guide_missing"));
}

TEST(AuditRules, VariantUxLowStockNoUrgency) {
  auto p = Good();
  p["variants"] = json::array{Variant(11, "S", "30.00", 2), Variant(12, "M", "30.00", 3)};
  const auto report = Audit({p});
  const Finding* f = FindingOf(report, "variant_ux.low_stock_no_urgency");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->patch_payload->at("value").at("threshold"), 5);
  p["variants"] = json::array{Variant(11, "S", "30.00", 3), Variant(12, "M", "30.00", 3)};  // 6 units
  EXPECT_FALSE(Flags(p, "variant_ux.low_stock_no_urgency"));
}

// ---- performance -----------------------------------------------------------------------------------------------

TEST(AuditRules, PerformanceHeavyImages) {
  auto p = Good();
  auto heavy = Media(1, "Front");
  heavy["originalSource"] = json::object{{"fileSize", 2 * 1024 * 1024}};
  p["media"].as_array()[0] = heavy;
  EXPECT_TRUE(Flags(p, "performance.heavy_images"));
  heavy["originalSource"] = json::object{{"fileSize", 400 * 1024}};
  p["media"].as_array()[0] = heavy;
  EXPECT_FALSE(Flags(p, "performance.heavy_images"));
  p["media"].as_array()[0] = Media(1, "Front", 6000, 4000);  // size unknown: 24 megapixels
  EXPECT_TRUE(Flags(p, "performance.heavy_images"));
}

TEST(AuditRules, PerformanceTooManyImages) {
  auto p = Good();
  json::array media;
  for (int i = 1; i <= 16; ++i) media.push_back(Media(i, "Organic Crew Tee view " + std::to_string(i)));
  p["media"] = media;
  EXPECT_TRUE(Flags(p, "performance.too_many_images"));
  media.pop_back();
  p["media"] = media;
  EXPECT_FALSE(Flags(p, "performance.too_many_images"));
}

TEST(AuditRules, PerformanceDescriptionImagesUnsized) {
  auto p = Good();
  const std::string base(Good()["descriptionHtml"].as_string());
  p["descriptionHtml"] = base + "<img src=\"a.jpg\" alt=\"Tee\">";
  EXPECT_TRUE(Flags(p, "performance.description_images_unsized"));
  p["descriptionHtml"] = base + "<img src=\"a.jpg\" alt=\"Tee\" width=\"600\" height=\"400\">";
  EXPECT_FALSE(Flags(p, "performance.description_images_unsized"));
}

TEST(AuditRules, PerformanceDescriptionIframeEager) {
  auto p = Good();
  const std::string base(Good()["descriptionHtml"].as_string());
  p["descriptionHtml"] = base + "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>";
  EXPECT_TRUE(Flags(p, "performance.description_iframe_eager"));
  p["descriptionHtml"] = base + "<iframe loading=\"lazy\" src=\"https://www.youtube.com/embed/x\"></iframe>";
  EXPECT_FALSE(Flags(p, "performance.description_iframe_eager"));
}

// ---- parsing and copy ------------------------------------------------------------------------------------------

TEST(AuditParsing, DescriptionTextIgnoresScriptsAndCountsWords) {
  const auto d = ParseDescription("<p>One two</p><script>var x = 'three four';</script><ul><li>five</li></ul>");
  EXPECT_EQ(d.text, "One two five");
  EXPECT_EQ(d.words, 3);
  EXPECT_TRUE(d.has_list);
  EXPECT_EQ(d.sentences.size(), 2u);  // block boundaries end statements
}

TEST(AuditParsing, MalformedHtmlStillParses) {
  const auto d = ParseDescription("<p>Unclosed <b>bold <i>and <h1>heading");
  EXPECT_EQ(d.h1_count, 1);
  EXPECT_EQ(d.words, 4);
}

TEST(AuditCopy, BrandVoiceChangesTemplatesNotFacts) {
  auto view = ParseProduct(Good());
  EXPECT_EQ(GenerateAltText(view, 1, 3, Voice::kNeutral), "Organic Crew Tee – image 2 of 3");
  EXPECT_EQ(GenerateAltText(view, 1, 3, Voice::kFriendly), "A look at the Organic Crew Tee, photo 2 of 3");
  EXPECT_EQ(GenerateAltText(view, 0, 1, Voice::kFormal), "Organic Crew Tee by Northwind Apparel");
  EXPECT_EQ(VoiceFromBrandVoice("Warm, playful and direct"), Voice::kFriendly);
  EXPECT_EQ(VoiceFromBrandVoice("Refined luxury"), Voice::kFormal);
  view.description = ParseDescription("");
  EXPECT_EQ(GenerateSeoDescription(view, Voice::kNeutral, 50, 160),
            "Shop the Organic Crew Tee by Northwind Apparel. Available in 2 size options: S and M.");
}

TEST(AuditCopy, TruncateAtWordNeverSplitsUtf8) {
  const std::string text = "Ein schöner Übergangsmantel aus Wolle";
  for (std::size_t n = 1; n < text.size(); ++n) {
    const auto cut = TruncateAtWord(text, n);
    EXPECT_LE(cut.size(), n);
    ASSERT_TRUE(text.starts_with(cut));
    // The cut never lands inside a multi-byte character.
    if (cut.size() < text.size()) {
      EXPECT_NE(static_cast<unsigned char>(text[cut.size()]) & 0xC0, 0x80) << n;
    }
  }
}

}  // namespace
}  // namespace pagelift::recommend
