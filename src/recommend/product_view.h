// The audit's read-only view of one product: products_cache.data (the Admin GraphQL shape of BulkProducts.graphql with
// connections flattened to arrays, see shopify/catalog_repository.h) parsed once into plain fields, and body_html
// parsed with gumbo into the facts the copy, accessibility and performance rules need. Rules never touch JSON or HTML.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pagelift::recommend {

struct ImageView {
  std::string media_id;  // gid://shopify/MediaImage/<n> (the id media_alt patches address)
  std::string url;
  std::string alt;       // "" when missing
  int width = 0;
  int height = 0;
  std::optional<std::int64_t> file_size;  // bytes, when the export carries originalSource.fileSize
};

struct VariantView {
  std::string id;
  std::string title;
  std::optional<std::int64_t> price_cents;
  std::optional<std::int64_t> compare_at_cents;
  std::optional<std::int64_t> inventory;  // inventoryQuantity
  std::optional<bool> available;          // availableForSale
  // Sold out: Shopify's availableForSale when present (it knows untracked inventory and "continue selling"),
  // otherwise inventoryQuantity ≤ 0.
  bool SoldOut() const;
};

struct OptionView {
  std::string name;
  std::vector<std::string> values;
};

// What gumbo found in body_html.
struct DescriptionView {
  std::string text;  // visible text, whitespace collapsed
  int words = 0;
  bool has_list = false;     // <ul>/<ol> with items
  bool has_heading = false;  // <h2>…<h6>
  bool has_table = false;
  int h1_count = 0;
  int images = 0;
  int images_without_alt = 0;
  int images_without_dimensions = 0;  // <img> lacking width or height: layout shift while it loads
  int iframes_without_lazy = 0;       // <iframe> without loading="lazy"
  std::vector<std::string> sentences;  // text split at sentence ends (for restructuring and SEO snippets)
};

struct ProductView {
  std::string id;
  std::string title;
  std::string handle;
  std::string status;  // ACTIVE, DRAFT, ARCHIVED ("" when the export lacks it)
  std::string vendor;
  std::string product_type;
  std::vector<std::string> tags;
  std::string description_html;
  DescriptionView description;
  std::optional<std::string> seo_title;        // null/absent: Shopify falls back to the title
  std::optional<std::string> seo_description;  // null/absent: falls back to the description
  std::vector<OptionView> options;
  std::vector<VariantView> variants;
  std::vector<ImageView> images;
  std::vector<std::string> app_metafield_keys;  // keys of $app metafields (blocks already configured)
  bool has_review_metafields = false;           // reviews.rating / reviews.rating_count present

  bool HasAppMetafield(std::string_view key) const;
  // Visible on the storefront (ACTIVE, or an export without status).
  bool Active() const { return status.empty() || status == "ACTIVE"; }
};

// Parses body_html with gumbo.
DescriptionView ParseDescription(std::string_view html);

ProductView ParseProduct(const boost::json::object& data);

}  // namespace pagelift::recommend
