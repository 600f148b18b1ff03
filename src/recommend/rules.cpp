// Every audit rule: what it looks at, what it says to the merchant, what fixing it is expected to move and on what
// published evidence, and the patch when the fix can be automatic. docs/recommendations.md lists them.
#include "recommend/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <cctype>
#include <set>

#include "recommend/copy.h"

namespace pagelift::recommend {

namespace json = boost::json;

// ---- sources (named so that rules resting on the same evidence cite it identically) --------------------------------
namespace source {
constexpr std::string_view kBaymardImages =
    "Baymard Institute, Product Page UX research: 56% of test users' first action on a product page was to explore "
    "the images; users need several images incl. in-scale and detail shots "
    "(baymard.com/blog/ensure-sufficient-image-resolution-and-zoom, baymard.com/research/product-page)";
constexpr std::string_view kShopifyImageSizes =
    "Shopify Help Center, Product media: 2048 x 2048 px recommended so zoom works "
    "(help.shopify.com/en/manual/products/product-media/product-media-types)";
constexpr std::string_view kAltText =
    "W3C WCAG 2.2 SC 1.1.1 Non-text Content (w3.org/TR/WCAG22/#non-text-content); WebAIM, Alternative Text "
    "(webaim.org/techniques/alttext/); Google Search Central, Image SEO best practices "
    "(developers.google.com/search/docs/appearance/google-images)";
constexpr std::string_view kBaymardDescription =
    "Baymard Institute, Product Page UX research: shoppers who cannot find the details they need in the description "
    "abandon or go to a competitor (baymard.com/research/product-page)";
constexpr std::string_view kNngScannable =
    "Nielsen Norman Group, Concise, SCANNABLE, and Objective: How to Write for the Web — a scannable layout measured "
    "+47% usability, combined with concise and objective text +124% "
    "(nngroup.com/articles/concise-scannable-and-objective-how-to-write-for-the-web/)";
constexpr std::string_view kDuplicateContent =
    "Google Search Central, Avoid creating duplicate content / title links "
    "(developers.google.com/search/docs/advanced/guidelines/duplicate-content, "
    "developers.google.com/search/docs/appearance/title-link)";
constexpr std::string_view kMerchantTitles =
    "Google Merchant Center, Title [title] attribute: front-load key details, no promotional text, no excessive "
    "capitalization (support.google.com/merchants/answer/6324415); Tinker, Legibility of Print (1963): all-capital text "
    "is read markedly slower";
constexpr std::string_view kSeoSnippets =
    "Google Search Central, Influencing title links and snippets (developers.google.com/search/docs/appearance/"
    "title-link, developers.google.com/search/docs/appearance/snippet); Shopify Help Center, Editing page titles and "
    "meta descriptions (help.shopify.com/en/manual/promoting-marketing/seo/adding-keywords)";
constexpr std::string_view kMerchantAttributes =
    "Google Merchant Center, brand [brand] and product_type [product_type] attributes "
    "(support.google.com/merchants/answer/6324351, support.google.com/merchants/answer/6324406); Shopify Help "
    "Center, product type and vendor drive collections and search filters (help.shopify.com/en/manual/products)";
constexpr std::string_view kBaymardCosts =
    "Baymard Institute, Cart Abandonment Rate statistics: extra costs (shipping, tax, fees) are the top abandonment "
    "reason (~48% of abandoners); slow delivery and returns policy also rank (baymard.com/lists/cart-abandonment-rate)";
constexpr std::string_view kSpiegelReviews =
    "Spiegel Research Center, Northwestern University (2017), How Online Reviews Influence Sales: purchase likelihood "
    "for a product with five reviews was 270% higher than with none (spiegel.medill.northwestern.edu/online-reviews/)";
constexpr std::string_view kAppEmbed =
    "Shopify Dev docs, Theme app extensions: app embed blocks are off until the merchant activates them; deep links "
    "(shopify.dev/docs/apps/build/online-store/theme-app-extensions/configuration)";
constexpr std::string_view kShopifySalePrice =
    "Shopify Help Center, Sale pricing: a sale shows only when compare-at price is higher than price "
    "(help.shopify.com/en/manual/products/details/product-pricing/sale-pricing)";
constexpr std::string_view kPriceEndings =
    "Schindler & Kibarian (1996), Increased consumer sales response through use of 99-ending prices, Journal of "
    "Retailing 72(2): 99-endings raised sales in a controlled catalog test; mixed endings read as inconsistent pricing";
constexpr std::string_view kBaymardStock =
    "Baymard Institute, Product Page UX research on out-of-stock products and variations "
    "(baymard.com/blog/out-of-stock-products); Shopify Help Center, inventory and sold-out variants "
    "(help.shopify.com/en/manual/products/inventory)";
constexpr std::string_view kBaymardVariations =
    "Baymard Institute, Product Page UX research: variation selection (unclear or unlabelled options, long drop-downs) "
    "is a frequent source of errors (baymard.com/blog/drop-down-usability, baymard.com/research/product-page)";
constexpr std::string_view kBaymardSizing =
    "Baymard Institute, Apparel & Accessories UX research: size guides and fit information are needed to choose a "
    "size; fit uncertainty drives abandonment and returns (baymard.com/research/apparel-and-accessories)";
constexpr std::string_view kScarcity =
    "Cialdini, Influence: The Psychology of Persuasion (scarcity principle); effects vary by category and backfire when "
    "untrue — pagelift only shows live inventory";
constexpr std::string_view kLcp =
    "web.dev, Vodafone case study: 31% better LCP led to 8% more sales (web.dev/case-studies/vodafone); Deloitte & "
    "Google, Milliseconds Make Millions (2020): 0.1 s faster mobile pages, +8.4% retail conversions";
constexpr std::string_view kCls =
    "web.dev, Optimize Cumulative Layout Shift: give images width and height (web.dev/articles/optimize-cls); Yahoo! "
    "JAPAN News case study: fixing CLS gave 15% more page views per session (web.dev/case-studies/yahoo-japan-news)";
constexpr std::string_view kIframeLazy =
    "web.dev, Browser-level lazy loading for iframes (web.dev/articles/iframe-lazy-loading)";
constexpr std::string_view kHeadings =
    "W3C WAI Tutorials, Page Structure: Headings — one h1 per page, nested heading levels "
    "(w3.org/WAI/tutorials/page-structure/headings/)";
}  // namespace source

namespace {

// ---- helpers ---------------------------------------------------------------------------------------------------

std::string ProductTarget(const ProductView& p) { return "product:" + p.id; }

json::object ProductUpdate(const ProductView& p, json::object expected, json::object set) {
  return {{"kind", "product_update"},
          {"target", ProductTarget(p)},
          {"product_id", p.id},
          {"expected", std::move(expected)},
          {"set", std::move(set)}};
}

json::object MetafieldsSet(const ProductView& p, std::string_view key, json::object value) {
  return {{"kind", "metafields_set"},
          {"target", fmt::format("metafield:{}:$app.{}", p.id, key)},
          {"owner_id", p.id},
          {"namespace", "$app"},
          {"key", key},
          {"type", "json"},
          {"value", std::move(value)}};
}

std::string ShopOrPlaceholder(const AuditConfig& c) { return c.shop_domain.empty() ? "{shop}" : c.shop_domain; }
std::string ApiKeyOrPlaceholder(const AuditConfig& c) { return c.api_key.empty() ? "{api_key}" : c.api_key; }

json::object Guided(std::string_view target, std::initializer_list<std::string_view> steps, std::string deep_link) {
  json::array list;
  for (const auto step : steps) list.emplace_back(step);
  return {{"kind", "guided"}, {"target", target}, {"steps", std::move(list)}, {"deep_link", std::move(deep_link)}};
}

// A media_alt patch giving the images at `indices` generated alt text.
json::object AltPatch(const ProductView& p, const std::vector<std::size_t>& indices, const AuditConfig& c) {
  json::object expected;
  json::object set;
  for (const auto i : indices) {
    const auto& image = p.images[i];
    expected[image.media_id] = image.alt;
    set[image.media_id] = GenerateAltText(p, i, p.images.size(), c.voice);
  }
  return {{"kind", "media_alt"},
          {"target", ProductTarget(p)},
          {"product_id", p.id},
          {"expected", std::move(expected)},
          {"set", std::move(set)}};
}

// Images that can be addressed by a media_alt patch (MediaImage ids).
bool Patchable(const ImageView& image) { return image.media_id.starts_with("gid://shopify/MediaImage/"); }

json::value OptionalJson(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::object SeoExpected(const ProductView& p) {
  return {{"seo", {{"title", OptionalJson(p.seo_title)}, {"description", OptionalJson(p.seo_description)}}}};
}

std::string Plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

bool IsApparel(const ProductView& p) {
  static constexpr std::string_view kWords[] = {"shirt", "tee", "hoodie", "sweat", "dress", "jacket", "coat", "pant",
                                                "jean", "short", "skirt", "shoe", "boot", "sneaker", "apparel",
                                                "clothing", "legging", "sock", "bra", "top"};
  const std::string type = NormalizedText(p.product_type);
  for (const auto word : kWords) {
    if (type.find(word) != std::string::npos) return true;
  }
  for (const auto& tag : p.tags) {
    const std::string t = NormalizedText(tag);
    if (t == "apparel" || t == "clothing" || t == "footwear") return true;
  }
  return false;
}

const OptionView* SizeOption(const ProductView& p) {
  for (const auto& option : p.options) {
    const std::string name = NormalizedText(option.name);
    if (name == "size" || name == "shoe size" || name.ends_with(" size")) return &option;
  }
  return nullptr;
}

bool Mentions(const std::string& normalized_text, std::initializer_list<std::string_view> words) {
  for (const auto word : words) {
    if (normalized_text.find(word) != std::string::npos) return true;
  }
  return false;
}

// A file name used as alt text: "IMG_1234.jpg", "DSC0042", "product-photo.png".
bool LooksLikeFileName(std::string_view alt) {
  const std::string lower = NormalizedText(alt);
  static constexpr std::string_view kExtensions[] = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".avif"};
  for (const auto ext : kExtensions) {
    if (lower.ends_with(ext)) return true;
  }
  if (lower.starts_with("img_") || lower.starts_with("img-") || lower.starts_with("dsc") || lower.starts_with("image")) {
    return std::any_of(lower.begin(), lower.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
           lower.find(' ') == std::string::npos;
  }
  return false;
}

std::size_t SoldOutCount(const ProductView& p) {
  return static_cast<std::size_t>(std::count_if(p.variants.begin(), p.variants.end(),
                                                [](const VariantView& v) { return v.SoldOut(); }));
}

// ---- media -----------------------------------------------------------------------------------------------------

std::optional<Draft> NoImages(const ProductView& p, const RuleContext&) {
  if (!p.images.empty()) return std::nullopt;
  return Draft{"This product has no images. Shoppers look at photos before anything else, and a page without one "
               "rarely converts; it also cannot appear in Google Images or Shopping.",
               {{"images", 0}}, std::nullopt};
}

std::optional<Draft> MinImages(const ProductView& p, const RuleContext& c) {
  const auto min = static_cast<std::size_t>(c.config.thresholds.min_images);
  if (p.images.empty() || p.images.size() >= min) return std::nullopt;
  return Draft{fmt::format("Only {} on this page (at least {} recommended). Add detail, in-use and scale shots so "
                           "shoppers can judge the product without holding it.",
                           Plural(p.images.size(), "image", "images"), min),
               {{"images", p.images.size()}, {"min_images", min}}, std::nullopt};
}

std::optional<Draft> LowResolution(const ProductView& p, const RuleContext& c) {
  if (p.images.empty()) return std::nullopt;
  const int min_px = c.config.thresholds.zoom_min_px;
  int best = 0;
  for (const auto& image : p.images) {
    if (image.width == 0 || image.height == 0) return std::nullopt;  // unknown dimensions: no verdict
    best = std::max(best, std::min(image.width, image.height));
  }
  if (best >= min_px) return std::nullopt;
  return Draft{fmt::format("No image is large enough to zoom: the largest is {} px on its short side ({} px or more "
                           "recommended). Shoppers zoom to inspect texture and detail.",
                           best, min_px),
               {{"largest_short_side_px", best}, {"zoom_min_px", min_px}}, std::nullopt};
}

std::optional<Draft> MixedAspectRatios(const ProductView& p, const RuleContext&) {
  std::set<long long> ratios;  // width/height in thousandths
  for (const auto& image : p.images) {
    if (image.width == 0 || image.height == 0) continue;
    ratios.insert(static_cast<long long>(image.width) * 1000 / image.height);
  }
  if (ratios.size() < 2) return std::nullopt;
  return Draft{fmt::format("The images use {} different shapes (aspect ratios), so the gallery jumps in size as "
                           "shoppers swipe. Crop them to one ratio.",
                           ratios.size()),
               {{"aspect_ratios", ratios.size()}}, std::nullopt};
}

// ---- accessibility ---------------------------------------------------------------------------------------------

std::optional<Draft> AltMissing(const ProductView& p, const RuleContext& c) {
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < p.images.size(); ++i) {
    if (p.images[i].alt.find_first_not_of(" \t\n") == std::string::npos) missing.push_back(i);
  }
  if (missing.empty()) return std::nullopt;
  std::vector<std::size_t> patchable;
  for (const auto i : missing) {
    if (Patchable(p.images[i])) patchable.push_back(i);
  }
  return Draft{fmt::format("{} of {} images have no alt text. Screen-reader users hear nothing for them, and search "
                           "engines cannot tell what they show. pagelift can add descriptive alt text built from the "
                           "product title.",
                           missing.size(), p.images.size()),
               {{"images_without_alt", missing.size()}, {"images", p.images.size()}},
               patchable.empty() ? std::nullopt : std::optional(AltPatch(p, patchable, c.config))};
}

std::optional<Draft> AltFileName(const ProductView& p, const RuleContext& c) {
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < p.images.size(); ++i) {
    if (!p.images[i].alt.empty() && LooksLikeFileName(p.images[i].alt) && Patchable(p.images[i])) found.push_back(i);
  }
  if (found.empty()) return std::nullopt;
  return Draft{fmt::format("{} use a file name as alt text (\"{}\"), which tells a screen-reader user nothing.",
                           Plural(found.size(), "image", "images"), p.images[found.front()].alt),
               {{"images", found.size()}}, AltPatch(p, found, c.config)};
}

std::optional<Draft> AltDuplicate(const ProductView& p, const RuleContext& c) {
  std::vector<std::size_t> repeats;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < p.images.size(); ++i) {
    const auto& alt = p.images[i].alt;
    if (alt.empty()) continue;
    if (!seen.insert(alt).second && Patchable(p.images[i])) repeats.push_back(i);
  }
  if (repeats.empty()) return std::nullopt;
  return Draft{fmt::format("{} repeat the alt text of another image, so a screen-reader user cannot tell the views "
                           "apart.",
                           Plural(repeats.size(), "image", "images")),
               {{"images", repeats.size()}}, AltPatch(p, repeats, c.config)};
}

std::optional<Draft> DescriptionH1(const ProductView& p, const RuleContext&) {
  if (p.description.h1_count == 0) return std::nullopt;
  return Draft{"The description contains an <h1> heading. The product title is already the page's h1; a second one "
               "confuses screen-reader navigation and search engines. Use <h2> or <h3> instead.",
               {{"h1_in_description", p.description.h1_count}}, std::nullopt};
}

std::optional<Draft> DescriptionImageAlt(const ProductView& p, const RuleContext&) {
  if (p.description.images_without_alt == 0) return std::nullopt;
  return Draft{fmt::format("{} inside the description have no alt attribute.",
                           Plural(static_cast<std::size_t>(p.description.images_without_alt), "image", "images")),
               {{"images_without_alt", p.description.images_without_alt}}, std::nullopt};
}

// ---- copy ------------------------------------------------------------------------------------------------------

std::optional<Draft> DescriptionMissing(const ProductView& p, const RuleContext&) {
  if (p.description.words > 0) return std::nullopt;
  return Draft{"This product has no description. Shoppers need materials, dimensions, fit and care details to buy "
               "with confidence; write at least a short paragraph and a list of key facts.",
               {{"words", 0}}, std::nullopt};
}

std::optional<Draft> DescriptionThin(const ProductView& p, const RuleContext& c) {
  const int min = c.config.thresholds.min_description_words;
  if (p.description.words == 0 || p.description.words >= min) return std::nullopt;
  return Draft{fmt::format("The description has only {} words ({} or more recommended). Add what shoppers ask "
                           "about: materials, dimensions, fit, care, what is in the box.",
                           p.description.words, min),
               {{"words", p.description.words}, {"min_words", min}}, std::nullopt};
}

std::optional<Draft> DescriptionRepeatsTitle(const ProductView& p, const RuleContext&) {
  if (p.description.words == 0) return std::nullopt;
  if (NormalizedText(p.description.text) != NormalizedText(p.title)) return std::nullopt;
  return Draft{"The description only repeats the product title, so the page tells shoppers nothing they did not "
               "already know.",
               {{"description", p.description.text}}, std::nullopt};
}

std::optional<Draft> DescriptionDuplicate(const ProductView& p, const RuleContext& c) {
  if (p.description.words == 0) return std::nullopt;
  const auto it = c.catalog.description_counts.find(NormalizedText(p.description.text));
  if (it == c.catalog.description_counts.end() || it->second < 2) return std::nullopt;
  return Draft{fmt::format("The same description is used on {} products. Shoppers comparing them cannot tell them "
                           "apart, and search engines may show only one of the pages.",
                           it->second),
               {{"products_sharing", it->second}}, std::nullopt};
}

std::optional<Draft> DescriptionNoStructure(const ProductView& p, const RuleContext& c) {
  const auto& d = p.description;
  if (d.words < c.config.thresholds.structure_min_words || d.has_list || d.has_heading || d.has_table) {
    return std::nullopt;
  }
  std::optional<json::object> patch;
  if (auto html = StructuredDescription(d)) {
    patch = ProductUpdate(p, {{"descriptionHtml", p.description_html}}, {{"descriptionHtml", std::move(*html)}});
  }
  return Draft{fmt::format("The description is {} words of running text with no list or heading. Most shoppers scan "
                           "rather than read; pagelift can turn your own sentences into an intro and a bullet list.",
                           d.words),
               {{"words", d.words}}, std::move(patch)};
}

std::optional<Draft> TitleTooLong(const ProductView& p, const RuleContext& c) {
  const int max = c.config.thresholds.title_max_chars;
  if (static_cast<int>(p.title.size()) <= max) return std::nullopt;
  std::optional<json::object> patch;
  if (auto shorter = ShortenTitle(p.title, max)) {
    patch = ProductUpdate(p, {{"title", p.title}}, {{"title", std::move(*shorter)}});
  }
  return Draft{fmt::format("The title is {} characters long ({} or fewer recommended). Long titles wrap badly on "
                           "phones and get cut off in search results and collection grids.",
                           p.title.size(), max),
               {{"chars", p.title.size()}, {"max_chars", max}}, std::move(patch)};
}

std::optional<Draft> TitleAllCaps(const ProductView& p, const RuleContext&) {
  int letters = 0;
  int upper = 0;
  for (char ch : p.title) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isalpha(u)) {
      ++letters;
      if (std::isupper(u)) ++upper;
    }
  }
  if (letters < 6 || upper * 10 < letters * 9) return std::nullopt;
  return Draft{"The title is written in capital letters. All-caps text is slower to read and comes across as "
               "shouting; Google Shopping rejects titles with excessive capitals.",
               {{"title", p.title}}, ProductUpdate(p, {{"title", p.title}}, {{"title", TitleCase(p.title)}})};
}

std::optional<Draft> TitlePromotional(const ProductView& p, const RuleContext&) {
  static constexpr std::string_view kPhrases[] = {"free shipping", "best seller", "bestseller", "sale", "% off",
                                                  "limited time", "buy now", "cheap", "!!"};
  const std::string title = " " + NormalizedText(p.title) + " ";
  std::vector<std::string_view> found;
  for (const auto phrase : kPhrases) {
    const bool word_like = std::isalpha(static_cast<unsigned char>(phrase.front())) != 0;
    const std::string needle = word_like ? fmt::format(" {} ", phrase) : std::string(phrase);
    if (title.find(needle) != std::string::npos) found.push_back(phrase);
  }
  if (found.empty()) return std::nullopt;
  json::array phrases;
  for (const auto f : found) phrases.emplace_back(f);
  return Draft{fmt::format("The title contains promotional text (\"{}\"). Product titles should say what the product "
                           "is; promotions belong in a badge or banner, and Google Shopping disapproves them in titles.",
                           found.front()),
               {{"phrases", std::move(phrases)}}, std::nullopt};
}

// ---- seo -------------------------------------------------------------------------------------------------------

bool Blank(const std::optional<std::string>& s) { return !s || s->find_first_not_of(" \t\n") == std::string::npos; }

json::object SeoPatch(const ProductView& p, const RuleContext& c, bool title, bool description) {
  json::object seo;
  const auto& t = c.config.thresholds;
  seo["title"] = title ? json::value(GenerateSeoTitle(p, c.config.voice, t.seo_title_max_chars)) : OptionalJson(p.seo_title);
  seo["description"] =
      description ? json::value(GenerateSeoDescription(p, c.config.voice, t.seo_description_min_chars,
                                                       t.seo_description_max_chars))
                  : OptionalJson(p.seo_description);
  json::object set;
  set["seo"] = std::move(seo);
  return ProductUpdate(p, SeoExpected(p), std::move(set));
}

std::optional<Draft> SeoTitleMissing(const ProductView& p, const RuleContext& c) {
  if (!Blank(p.seo_title)) return std::nullopt;
  return Draft{"No SEO title is set, so search engines get the bare product title. A title with the brand (within "
               "60 characters) earns more clicks from search results.",
               {}, SeoPatch(p, c, true, false)};
}

std::optional<Draft> SeoDescriptionMissing(const ProductView& p, const RuleContext& c) {
  if (!Blank(p.seo_description)) return std::nullopt;
  return Draft{"No meta description is set, so search engines pick a snippet themselves (often a fragment). pagelift "
               "can write one from your own description.",
               {}, SeoPatch(p, c, false, true)};
}

std::optional<Draft> SeoTitleTooLong(const ProductView& p, const RuleContext& c) {
  const int max = c.config.thresholds.seo_title_max_chars;
  if (Blank(p.seo_title) || static_cast<int>(p.seo_title->size()) <= max) return std::nullopt;
  return Draft{fmt::format("The SEO title is {} characters; search results cut titles off around {}.",
                           p.seo_title->size(), max),
               {{"chars", p.seo_title->size()}, {"max_chars", max}}, SeoPatch(p, c, true, false)};
}

std::optional<Draft> SeoDescriptionLength(const ProductView& p, const RuleContext& c) {
  const auto& t = c.config.thresholds;
  if (Blank(p.seo_description)) return std::nullopt;
  const int chars = static_cast<int>(p.seo_description->size());
  if (chars >= t.seo_description_min_chars && chars <= t.seo_description_max_chars) return std::nullopt;
  const bool too_short = chars < t.seo_description_min_chars;
  return Draft{fmt::format("The meta description is {} characters: {}. Aim for {}–{}.", chars,
                           too_short ? "too short to persuade anyone to click" : "search results will cut it off",
                           t.seo_description_min_chars, t.seo_description_max_chars),
               {{"chars", chars}}, SeoPatch(p, c, false, true)};
}

std::optional<Draft> SeoDuplicateTitle(const ProductView& p, const RuleContext& c) {
  const auto it = c.catalog.title_counts.find(NormalizedText(p.title));
  if (it == c.catalog.title_counts.end() || it->second < 2) return std::nullopt;
  return Draft{fmt::format("{} products share the title \"{}\". Shoppers and search engines cannot tell the pages "
                           "apart; add the distinguishing detail (material, model, colour).",
                           it->second, p.title),
               {{"products_sharing", it->second}}, std::nullopt};
}

std::optional<Draft> ProductTypeMissing(const ProductView& p, const RuleContext&) {
  if (!p.product_type.empty()) return std::nullopt;
  return Draft{"No product type is set. Automated collections, storefront filters and Google Shopping use it to place "
               "the product.",
               {}, std::nullopt};
}

// ---- trust -----------------------------------------------------------------------------------------------------

std::optional<Draft> VendorMissing(const ProductView& p, const RuleContext&) {
  if (!p.vendor.empty()) return std::nullopt;
  return Draft{"No vendor (brand) is set. Themes show it above the title, and Google Shopping requires a brand for "
               "most products.",
               {}, std::nullopt};
}

std::optional<Draft> ShippingReturnsMissing(const ProductView& p, const RuleContext&) {
  if (p.HasAppMetafield("shipping_returns")) return std::nullopt;
  const std::string text = NormalizedText(p.description.text);
  if (Mentions(text, {"shipping", "delivery", "ships ", "return", "refund", "exchange"})) return std::nullopt;
  return Draft{"Nothing on this page tells shoppers about shipping costs, delivery times or returns — unexpected costs "
               "are the most common reason carts are abandoned. pagelift's shipping & returns block shows your store's "
               "own shipping and refund policies here.",
               {},
               MetafieldsSet(p, "shipping_returns",
                             {{"enabled", true}, {"show_shipping_policy", true}, {"show_refund_policy", true}})};
}

// ---- pricing ---------------------------------------------------------------------------------------------------

std::optional<Draft> CompareAtNotHigher(const ProductView& p, const RuleContext&) {
  json::array variants;
  for (const auto& v : p.variants) {
    if (v.compare_at_cents && v.price_cents && *v.compare_at_cents > 0 && *v.compare_at_cents <= *v.price_cents) {
      variants.emplace_back(v.id);
    }
  }
  if (variants.empty()) return std::nullopt;
  const std::size_t n = variants.size();
  return Draft{fmt::format("{} a compare-at price that is not higher than the price. Shopify shows no sale for them, "
                           "and a theme that does show it displays a \"discount\" that raises the price. Fix or clear "
                           "the compare-at price.",
                           n == 1 ? std::string("1 variant has") : fmt::format("{} variants have", n)),
               {{"variants", std::move(variants)}}, std::nullopt};
}

std::optional<Draft> InconsistentEndings(const ProductView& p, const RuleContext&) {
  std::set<std::int64_t> endings;
  for (const auto& v : p.variants) {
    if (v.price_cents && *v.price_cents > 0) endings.insert(*v.price_cents % 100);
  }
  if (endings.size() < 2) return std::nullopt;
  json::array list;
  for (const auto e : endings) list.emplace_back(fmt::format(".{:02}", e));
  return Draft{"The variants' prices end differently (e.g. .99 and .00). Consistent price endings read as deliberate "
               "pricing; mixed ones look like mistakes.",
               {{"endings", std::move(list)}}, std::nullopt};
}

std::optional<Draft> ZeroPrice(const ProductView& p, const RuleContext&) {
  const auto zero = std::count_if(p.variants.begin(), p.variants.end(),
                                  [](const VariantView& v) { return v.price_cents && *v.price_cents == 0; });
  if (zero == 0) return std::nullopt;
  return Draft{fmt::format("{} priced at 0. Unless the item is deliberately free, shoppers can check out without "
                           "paying — or lose trust in the page.",
                           zero == 1 ? std::string("1 variant is") : fmt::format("{} variants are", zero)),
               {{"variants", zero}}, std::nullopt};
}

// ---- variant_ux ------------------------------------------------------------------------------------------------

std::optional<Draft> AllSoldOut(const ProductView& p, const RuleContext&) {
  if (p.variants.empty() || SoldOutCount(p) != p.variants.size()) return std::nullopt;
  return Draft{"Every variant is sold out, but the page is live. Visitors from ads and search land on a product they "
               "cannot buy: restock, offer a back-in-stock sign-up, or unpublish it.",
               {{"variants", p.variants.size()}}, std::nullopt};
}

std::optional<Draft> DefaultVariantSoldOut(const ProductView& p, const RuleContext&) {
  if (p.variants.size() < 2 || !p.variants.front().SoldOut()) return std::nullopt;
  if (SoldOutCount(p) == p.variants.size()) return std::nullopt;  // all_sold_out says it
  return Draft{fmt::format("The first variant (\"{}\"), which the page opens on, is sold out while others are in "
                           "stock, so shoppers first see a disabled buy button. Move an in-stock variant first.",
                           p.variants.front().title),
               {{"default_variant", p.variants.front().id}}, std::nullopt};
}

std::optional<Draft> MostVariantsSoldOut(const ProductView& p, const RuleContext&) {
  const auto sold_out = SoldOutCount(p);
  if (p.variants.size() < 4 || sold_out == p.variants.size() || sold_out * 2 <= p.variants.size()) return std::nullopt;
  return Draft{fmt::format("{} of {} variants are sold out. Shoppers who pick a size or colour and hit \"sold out\" "
                           "again and again give up; hide or restock them.",
                           sold_out, p.variants.size()),
               {{"sold_out", sold_out}, {"variants", p.variants.size()}}, std::nullopt};
}

std::optional<Draft> OptionNamesMissing(const ProductView& p, const RuleContext&) {
  json::array unnamed;
  for (const auto& option : p.options) {
    const std::string name = NormalizedText(option.name);
    const bool generic = name.empty() || (name.starts_with("option") && name.size() <= 7) ||
                         (name == "title" && !(option.values.size() == 1 && option.values.front() == "Default Title"));
    if (generic && option.values.size() > 1) unnamed.emplace_back(option.name);
  }
  if (unnamed.empty()) return std::nullopt;
  return Draft{fmt::format("{} of this product's options {} no real name (\"{}\"), so the selector does not say what "
                           "shoppers are choosing. Name them (Size, Color, Material…).",
                           unnamed.size(), unnamed.size() == 1 ? "has" : "have", unnamed.front().get_string().c_str()),
               {{"options", std::move(unnamed)}}, std::nullopt};
}

std::optional<Draft> DefaultTitleShown(const ProductView& p, const RuleContext&) {
  if (p.variants.size() < 2) return std::nullopt;
  const bool shown = std::any_of(p.variants.begin(), p.variants.end(),
                                 [](const VariantView& v) { return v.title == "Default Title"; });
  if (!shown) return std::nullopt;
  return Draft{"A variant named \"Default Title\" sits next to real variants, so shoppers see Shopify's placeholder "
               "in the selector. Give it a real option value.",
               {}, std::nullopt};
}

std::optional<Draft> TooManyVariants(const ProductView& p, const RuleContext& c) {
  const int max = c.config.thresholds.max_variants;
  if (static_cast<int>(p.variants.size()) <= max) return std::nullopt;
  return Draft{fmt::format("{} variants in one selector (more than {}). Long drop-downs are hard to use on phones; "
                           "use swatches/buttons per option or split the product.",
                           p.variants.size(), max),
               {{"variants", p.variants.size()}, {"max_variants", max}}, std::nullopt};
}

std::optional<Draft> SizeGuideMissing(const ProductView& p, const RuleContext&) {
  const OptionView* size = SizeOption(p);
  if (size == nullptr || size->values.size() < 2 || !IsApparel(p)) return std::nullopt;
  if (p.HasAppMetafield("size_guide")) return std::nullopt;
  if (Mentions(NormalizedText(p.description.text), {"size guide", "size chart", "sizing", "true to size", "fits "})) {
    return std::nullopt;
  }
  json::array sizes;
  for (const auto& v : size->values) sizes.emplace_back(v);
  return Draft{fmt::format("This product comes in {} sizes but the page has no size guide or fit note. Fit "
                           "uncertainty stops apparel purchases and drives returns; pagelift's size-guide block can "
                           "show your size table here.",
                           size->values.size()),
               {{"sizes", size->values.size()}},
               MetafieldsSet(p, "size_guide", {{"enabled", true}, {"option_name", size->name}, {"sizes", std::move(sizes)}})};
}

std::optional<Draft> LowStockNoUrgency(const ProductView& p, const RuleContext& c) {
  if (p.HasAppMetafield("low_stock")) return std::nullopt;
  std::int64_t units = 0;
  bool tracked = false;
  for (const auto& v : p.variants) {
    if (v.inventory) {
      tracked = true;
      if (*v.inventory > 0) units += *v.inventory;
    }
  }
  const int threshold = c.config.thresholds.low_stock_units;
  if (!tracked || units == 0 || units > threshold) return std::nullopt;
  return Draft{fmt::format("Only {} left in stock, and the page does not say so. A truthful low-stock note helps "
                           "undecided shoppers; pagelift's block shows the live count when it is {} or fewer.",
                           Plural(static_cast<std::size_t>(units), "unit is", "units are"), threshold),
               {{"units", units}, {"threshold", threshold}},
               MetafieldsSet(p, "low_stock", {{"enabled", true}, {"threshold", threshold}})};
}

// ---- performance -----------------------------------------------------------------------------------------------

std::optional<Draft> HeavyImages(const ProductView& p, const RuleContext& c) {
  const auto& t = c.config.thresholds;
  std::size_t heavy = 0;
  std::int64_t largest = 0;
  for (const auto& image : p.images) {
    const bool too_big = image.file_size
                             ? *image.file_size > t.heavy_image_bytes
                             : static_cast<std::int64_t>(image.width) * image.height > t.heavy_image_pixels;
    if (too_big) {
      ++heavy;
      largest = std::max<std::int64_t>(largest, image.file_size.value_or(0));
    }
  }
  if (heavy == 0) return std::nullopt;
  return Draft{fmt::format("{} uploaded far larger than a product page needs (over {} KB or {} megapixels). The "
                           "first image is usually the page's Largest Contentful Paint: compress and resize before "
                           "uploading.",
                           Plural(heavy, "image is", "images are"), t.heavy_image_bytes / 1024,
                           t.heavy_image_pixels / 1'000'000),
               {{"heavy_images", heavy}, {"largest_bytes", largest}}, std::nullopt};
}

std::optional<Draft> TooManyImages(const ProductView& p, const RuleContext& c) {
  const int max = c.config.thresholds.max_images;
  if (static_cast<int>(p.images.size()) <= max) return std::nullopt;
  return Draft{fmt::format("{} images on one page (more than {}). Past a point, extra images add page weight and "
                           "scrolling without helping the decision; keep the best.",
                           p.images.size(), max),
               {{"images", p.images.size()}}, std::nullopt};
}

std::optional<Draft> DescriptionImagesUnsized(const ProductView& p, const RuleContext&) {
  if (p.description.images_without_dimensions == 0) return std::nullopt;
  return Draft{fmt::format("{} in the description lack width and height, so the text jumps when they load (layout "
                           "shift). Add both attributes.",
                           Plural(static_cast<std::size_t>(p.description.images_without_dimensions), "image",
                                  "images")),
               {{"images", p.description.images_without_dimensions}}, std::nullopt};
}

std::optional<Draft> DescriptionIframeEager(const ProductView& p, const RuleContext&) {
  if (p.description.iframes_without_lazy == 0) return std::nullopt;
  return Draft{"An embedded video or frame in the description loads immediately, competing with the product images. "
               "Add loading=\"lazy\" to the iframe.",
               {{"iframes", p.description.iframes_without_lazy}}, std::nullopt};
}

// ---- shop ------------------------------------------------------------------------------------------------------

std::optional<Draft> AppEmbedDisabled(const RuleContext& c) {
  if (!c.facts.storefront_events_seen || *c.facts.storefront_events_seen) return std::nullopt;
  const std::string link = fmt::format("https://{}/admin/themes/current/editor?context=apps&activateAppId={}/app-embed",
                                       ShopOrPlaceholder(c.config), ApiKeyOrPlaceholder(c.config));
  return Draft{"pagelift has received no storefront events lately: the pagelift app embed is probably switched off in "
               "your theme. Without it no experiment can run and no fix can be measured.",
               {{"storefront_events_seen", false}},
               Guided("theme:app_embed",
                      {"Open the theme editor with the link below (it opens App embeds).",
                       "Switch on \"pagelift\".", "Click Save."},
                      link)};
}

std::optional<Draft> ReviewsMissing(const RuleContext& c) {
  if (c.catalog.active_products == 0 || c.catalog.with_reviews > 0) return std::nullopt;
  const std::string link = fmt::format("https://{}/admin/themes/current/editor?template=product", ShopOrPlaceholder(c.config));
  return Draft{"None of your products shows customer reviews (no product carries Shopify's standard review "
               "metafields). Reviews are among the strongest purchase signals; collect and display them.",
               {{"products", c.catalog.active_products}},
               Guided("theme:product_reviews",
                      {"Install a reviews app that writes Shopify's standard product review metafields.",
                       "Open the product template in the theme editor with the link below.",
                       "Add the reviews app's block under the product title and save."},
                      link)};
}

std::optional<Draft> TrustBadgesMissing(const RuleContext& c) {
  if (c.catalog.active_products == 0 || c.catalog.with_trust_badges > 0) return std::nullopt;
  const std::string link =
      fmt::format("https://{}/admin/themes/current/editor?template=product&addAppBlockId={}/trust_badges&target=mainSection",
                  ShopOrPlaceholder(c.config), ApiKeyOrPlaceholder(c.config));
  return Draft{"No product page shows trust signals (secure checkout, accepted payments, guarantees) near the buy "
               "button. pagelift's trust badges block adds them; it shows only what your store actually offers.",
               {{"products", c.catalog.active_products}},
               Guided("theme:trust_badges",
                      {"Open the product template with the link below: it adds pagelift's trust badges block.",
                       "Move the block under the buy buttons.", "Click Save."},
                      link)};
}

}  // namespace

std::string NormalizedText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(u));
  }
  return out;
}

std::span<const RuleDefinition> RuleDefinitions() {
  using C = Category;
  using S = Severity;
  constexpr Scope P = Scope::kProduct;
  constexpr Scope X = Scope::kShop;
  static const RuleDefinition kRules[] = {
      // media
      {{"media.no_images", C::kMedia, S::kHigh, P, "Product has no images", {"conversion_rate", 5, 30, source::kBaymardImages}}, NoImages},
      {{"media.min_images", C::kMedia, S::kMedium, P, "Fewer images than recommended", {"conversion_rate", 1, 8, source::kBaymardImages}}, MinImages},
      {{"media.low_resolution", C::kMedia, S::kMedium, P, "No image large enough to zoom", {"conversion_rate", 0.5, 4, source::kShopifyImageSizes}}, LowResolution},
      {{"media.mixed_aspect_ratios", C::kMedia, S::kLow, P, "Images in different shapes", {"conversion_rate", 0, 1, source::kShopifyImageSizes}}, MixedAspectRatios},
      // accessibility
      {{"accessibility.image_alt_missing", C::kAccessibility, S::kHigh, P, "Images without alt text", {"organic_image_clicks", 1, 10, source::kAltText}}, AltMissing},
      {{"accessibility.image_alt_filename", C::kAccessibility, S::kMedium, P, "File names used as alt text", {"organic_image_clicks", 0.5, 5, source::kAltText}}, AltFileName},
      {{"accessibility.image_alt_duplicate", C::kAccessibility, S::kLow, P, "Several images share one alt text", {"organic_image_clicks", 0, 2, source::kAltText}}, AltDuplicate},
      {{"accessibility.description_h1", C::kAccessibility, S::kLow, P, "Extra h1 heading in the description", {"organic_clicks", 0, 1, source::kHeadings}}, DescriptionH1},
      {{"accessibility.description_image_alt", C::kAccessibility, S::kMedium, P, "Description images without alt", {"organic_image_clicks", 0, 2, source::kAltText}}, DescriptionImageAlt},
      // copy
      {{"copy.description_missing", C::kCopy, S::kHigh, P, "No product description", {"conversion_rate", 3, 15, source::kBaymardDescription}}, DescriptionMissing},
      {{"copy.description_thin", C::kCopy, S::kMedium, P, "Description too short", {"conversion_rate", 1, 8, source::kBaymardDescription}}, DescriptionThin},
      {{"copy.description_repeats_title", C::kCopy, S::kMedium, P, "Description only repeats the title", {"conversion_rate", 1, 8, source::kBaymardDescription}}, DescriptionRepeatsTitle},
      {{"copy.description_duplicate", C::kCopy, S::kMedium, P, "Description shared with other products", {"organic_clicks", 1, 6, source::kDuplicateContent}}, DescriptionDuplicate},
      {{"copy.description_no_structure", C::kCopy, S::kLow, P, "Description is a wall of text", {"conversion_rate", 0.5, 4, source::kNngScannable}}, DescriptionNoStructure},
      {{"copy.title_too_long", C::kCopy, S::kMedium, P, "Title too long", {"click_through_rate", 0.5, 4, source::kMerchantTitles}}, TitleTooLong},
      {{"copy.title_all_caps", C::kCopy, S::kMedium, P, "Title in capital letters", {"click_through_rate", 0.5, 3, source::kMerchantTitles}}, TitleAllCaps},
      {{"copy.title_promotional", C::kCopy, S::kLow, P, "Promotional text in the title", {"click_through_rate", 0, 2, source::kMerchantTitles}}, TitlePromotional},
      // seo
      {{"seo.title_missing", C::kSeo, S::kMedium, P, "No SEO title", {"organic_clicks", 1, 8, source::kSeoSnippets}}, SeoTitleMissing},
      {{"seo.description_missing", C::kSeo, S::kMedium, P, "No meta description", {"organic_clicks", 1, 6, source::kSeoSnippets}}, SeoDescriptionMissing},
      {{"seo.title_too_long", C::kSeo, S::kLow, P, "SEO title cut off in results", {"organic_clicks", 0, 3, source::kSeoSnippets}}, SeoTitleTooLong},
      {{"seo.description_length", C::kSeo, S::kLow, P, "Meta description too short or long", {"organic_clicks", 0, 3, source::kSeoSnippets}}, SeoDescriptionLength},
      {{"seo.duplicate_title", C::kSeo, S::kMedium, P, "Title shared with other products", {"organic_clicks", 1, 5, source::kDuplicateContent}}, SeoDuplicateTitle},
      {{"seo.product_type_missing", C::kSeo, S::kLow, P, "No product type", {"organic_clicks", 0, 2, source::kMerchantAttributes}}, ProductTypeMissing},
      // trust
      {{"trust.vendor_missing", C::kTrust, S::kLow, P, "No vendor (brand)", {"conversion_rate", 0, 1, source::kMerchantAttributes}}, VendorMissing},
      {{"trust.shipping_returns_missing", C::kTrust, S::kMedium, P, "No shipping or returns information", {"conversion_rate", 1, 6, source::kBaymardCosts}}, ShippingReturnsMissing},
      {{"trust.reviews_missing", C::kTrust, S::kMedium, X, "No customer reviews shown", {"conversion_rate", 3, 15, source::kSpiegelReviews}}, nullptr, ReviewsMissing},
      {{"trust.trust_badges_missing", C::kTrust, S::kLow, X, "No trust badges near the buy button", {"conversion_rate", 0, 3, source::kBaymardCosts}}, nullptr, TrustBadgesMissing},
      {{"trust.app_embed_disabled", C::kTrust, S::kHigh, X, "pagelift app embed is off", {"measured_pages_pct", 100, 100, source::kAppEmbed}}, nullptr, AppEmbedDisabled},
      // pricing
      {{"pricing.compare_at_not_higher", C::kPricing, S::kHigh, P, "Compare-at price not above price", {"conversion_rate", 0.5, 5, source::kShopifySalePrice}}, CompareAtNotHigher},
      {{"pricing.inconsistent_endings", C::kPricing, S::kLow, P, "Price endings differ between variants", {"conversion_rate", 0, 1, source::kPriceEndings}}, InconsistentEndings},
      {{"pricing.zero_price", C::kPricing, S::kHigh, P, "Variant priced at zero", {"revenue_per_visitor", 0, 5, source::kShopifySalePrice}}, ZeroPrice},
      // variant_ux
      {{"variant_ux.all_sold_out", C::kVariantUx, S::kHigh, P, "Every variant sold out", {"conversion_rate", 2, 10, source::kBaymardStock}}, AllSoldOut},
      {{"variant_ux.default_variant_sold_out", C::kVariantUx, S::kMedium, P, "Page opens on a sold-out variant", {"add_to_cart_rate", 1, 6, source::kBaymardStock}}, DefaultVariantSoldOut},
      {{"variant_ux.most_variants_sold_out", C::kVariantUx, S::kLow, P, "Most variants sold out", {"add_to_cart_rate", 0.5, 4, source::kBaymardStock}}, MostVariantsSoldOut},
      {{"variant_ux.option_names_missing", C::kVariantUx, S::kMedium, P, "Options without a name", {"add_to_cart_rate", 0.5, 4, source::kBaymardVariations}}, OptionNamesMissing},
      {{"variant_ux.default_title_shown", C::kVariantUx, S::kLow, P, "\"Default Title\" shown as a variant", {"add_to_cart_rate", 0, 2, source::kBaymardVariations}}, DefaultTitleShown},
      {{"variant_ux.too_many_variants", C::kVariantUx, S::kMedium, P, "Too many variants for one selector", {"add_to_cart_rate", 0.5, 3, source::kBaymardVariations}}, TooManyVariants},
      {{"variant_ux.size_guide_missing", C::kVariantUx, S::kMedium, P, "No size guide", {"conversion_rate", 1, 6, source::kBaymardSizing}}, SizeGuideMissing},
      {{"variant_ux.low_stock_no_urgency", C::kVariantUx, S::kLow, P, "Low stock not shown", {"add_to_cart_rate", 0, 3, source::kScarcity}}, LowStockNoUrgency},
      // performance
      {{"performance.heavy_images", C::kPerformance, S::kMedium, P, "Oversized images slow the page", {"conversion_rate", 0.5, 5, source::kLcp}}, HeavyImages},
      {{"performance.too_many_images", C::kPerformance, S::kLow, P, "Too many images", {"conversion_rate", 0, 1, source::kLcp}}, TooManyImages},
      {{"performance.description_images_unsized", C::kPerformance, S::kMedium, P, "Description images cause layout shift", {"conversion_rate", 0, 2, source::kCls}}, DescriptionImagesUnsized},
      {{"performance.description_iframe_eager", C::kPerformance, S::kLow, P, "Embedded frame loads eagerly", {"conversion_rate", 0, 2, source::kIframeLazy}}, DescriptionIframeEager},
  };
  return kRules;
}

}  // namespace pagelift::recommend
