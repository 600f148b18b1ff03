#include "shopify-sim/shapes.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <cctype>
#include <regex>

#include "core/text.h"

namespace pagelift::shopify_sim {

namespace json = boost::json;

std::string Gid(std::string_view type, std::int64_t id) { return fmt::format("gid://shopify/{}/{}", type, id); }

std::optional<std::int64_t> ParseGid(std::string_view type, std::string_view text) {
  const std::string prefix = fmt::format("gid://shopify/{}/", type);
  if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t id = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id;
}

ConnectionStyle ConnectionStyle::FromQuery(std::string_view query) {
  ConnectionStyle style;
  style.edges = query.find("edges") != std::string_view::npos;
  style.nodes = query.find("nodes") != std::string_view::npos || !style.edges;
  return style;
}

json::object Connection(const json::array& items, ConnectionStyle style, bool has_next_page,
                        const std::string& end_cursor) {
  json::object connection;
  if (style.edges) {
    json::array edges;
    for (const auto& item : items) {
      const auto id = item.as_object().if_contains("id");
      edges.push_back(json::object{{"cursor", id ? id->as_string() : json::string()}, {"node", item}});
    }
    connection["edges"] = std::move(edges);
  }
  if (style.nodes) connection["nodes"] = items;
  json::value cursor = nullptr;
  if (!end_cursor.empty()) cursor = end_cursor;
  connection["pageInfo"] = {{"hasNextPage", has_next_page}, {"endCursor", cursor}};
  return connection;
}

namespace {

json::object MoneyJson(std::int64_t cents, const std::string& currency) {
  return {{"amount", FormatMoneyCents(cents)}, {"currencyCode", currency}};
}

json::object MoneyBag(std::int64_t cents, const std::string& currency) {
  return {{"shopMoney", MoneyJson(cents, currency)}, {"presentmentMoney", MoneyJson(cents, currency)}};
}

json::value OptionalString(const std::optional<std::string>& text) {
  if (text) return json::string(*text);
  return nullptr;
}

json::value AltText(const Image& image) {
  if (image.alt.empty()) return nullptr;
  return json::string(image.alt);
}

// Plain text of descriptionHtml (Product.description): tags dropped, whitespace collapsed.
std::string StripHtml(std::string_view html) {
  std::string text;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') {
      in_tag = true;
      if (!text.empty() && text.back() != ' ') text += ' ';
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!text.empty() && text.back() != ' ') text += ' ';
      } else {
        text += c;
      }
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

json::object VariantJson(const Variant& variant) {
  json::array selected;
  for (const auto& [name, value] : variant.selected_options) selected.push_back({{"name", name}, {"value", value}});
  json::value compare_at = nullptr;
  if (variant.compare_at_cents) compare_at = FormatMoneyCents(*variant.compare_at_cents);
  return {{"id", Gid("ProductVariant", variant.id)},
          {"legacyResourceId", std::to_string(variant.id)},
          {"title", variant.title},
          {"sku", variant.sku},
          {"position", variant.position},
          {"price", FormatMoneyCents(variant.price_cents)},
          {"compareAtPrice", compare_at},
          {"inventoryQuantity", variant.inventory_quantity},
          {"availableForSale", variant.inventory_quantity > 0},
          {"selectedOptions", std::move(selected)}};
}

json::object ImageJson(const Image& image) {
  return {{"id", Gid("ProductImage", image.id)},
          {"url", image.url},
          {"altText", AltText(image)},
          {"width", image.width},
          {"height", image.height}};
}

json::object MediaJson(const Image& image) {
  return {{"id", Gid("MediaImage", image.id)},
          {"mediaContentType", "IMAGE"},
          {"status", "READY"},
          {"alt", image.alt},
          {"image", {{"url", image.url}, {"altText", AltText(image)}, {"width", image.width}, {"height", image.height}}}};
}

namespace {

// The product's own fields, without its connections (what a bulk parent line carries).
json::object ProductFields(const Product& product, const std::string& currency, std::string_view shop_domain) {
  json::array tags;
  for (const auto& tag : product.tags) tags.push_back(json::string(tag));
  json::array options;
  int position = 1;
  for (const auto& option : product.options) {
    json::array values;
    for (const auto& value : option.values) values.push_back(json::string(value));
    options.push_back({{"id", Gid("ProductOption", product.id * 10 + position)},
                       {"name", option.name},
                       {"position", position},
                       {"values", std::move(values)}});
    ++position;
  }
  std::int64_t min_price = 0;
  std::int64_t max_price = 0;
  int total_inventory = 0;
  for (size_t i = 0; i < product.variants.size(); ++i) {
    const auto price = product.variants[i].price_cents;
    if (i == 0 || price < min_price) min_price = price;
    if (i == 0 || price > max_price) max_price = price;
    total_inventory += product.variants[i].inventory_quantity;
  }
  json::value featured = nullptr;
  if (!product.images.empty()) featured = ImageJson(product.images.front());
  const bool active = product.status == "ACTIVE";
  json::value online_store_url = nullptr;
  if (active && !shop_domain.empty()) online_store_url = fmt::format("https://{}/products/{}", shop_domain, product.handle);
  json::value published_at = nullptr;
  if (active) published_at = FormatDateTime(product.created_at);
  return {{"id", Gid("Product", product.id)},
          {"legacyResourceId", std::to_string(product.id)},
          {"title", product.title},
          {"handle", product.handle},
          {"descriptionHtml", product.description_html},
          {"description", StripHtml(product.description_html)},
          {"vendor", product.vendor},
          {"productType", product.product_type},
          {"tags", std::move(tags)},
          {"status", product.status},
          {"createdAt", FormatDateTime(product.created_at)},
          {"updatedAt", FormatDateTime(product.updated_at)},
          {"publishedAt", std::move(published_at)},
          {"onlineStoreUrl", std::move(online_store_url)},
          {"templateSuffix", nullptr},
          {"totalInventory", total_inventory},
          {"options", std::move(options)},
          {"seo", {{"title", OptionalString(product.seo_title)}, {"description", OptionalString(product.seo_description)}}},
          {"priceRangeV2", {{"minVariantPrice", MoneyJson(min_price, currency)}, {"maxVariantPrice", MoneyJson(max_price, currency)}}},
          {"featuredImage", std::move(featured)},
          {"variantsCount", {{"count", product.variants.size()}, {"precision", "EXACT"}}},
          {"mediaCount", {{"count", product.images.size()}, {"precision", "EXACT"}}}};
}

template <typename T, typename F>
json::array Map(const std::vector<T>& items, F&& to_json) {
  json::array out;
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

// Shopify's customer-journey `source` for a referrer ("google", "instagram", …; "direct" without one).
std::string VisitSource(const std::string& referrer) {
  if (referrer.empty()) return "direct";
  auto host = referrer.substr(referrer.find("//") == std::string::npos ? 0 : referrer.find("//") + 2);
  host = host.substr(0, host.find('/'));
  if (host.starts_with("www.")) host = host.substr(4);
  return host.substr(0, host.find('.'));
}

json::object OrderFields(const Order& order, const std::string& currency, std::string_view shop_domain) {
  json::array attributes;
  for (const auto& [key, value] : order.custom_attributes) attributes.push_back({{"key", key}, {"value", value}});
  json::value referrer = nullptr;
  if (!order.referring_site.empty()) referrer = json::string(order.referring_site);
  json::value landing = nullptr;
  if (!order.landing_site.empty()) {
    landing = shop_domain.empty() ? order.landing_site : fmt::format("https://{}{}", shop_domain, order.landing_site);
  }
  const json::object visit{{"landingPage", landing}, {"referrerUrl", referrer}, {"source", VisitSource(order.referring_site)}};
  return {{"id", Gid("Order", order.id)},
          {"legacyResourceId", std::to_string(order.id)},
          {"name", fmt::format("#{}", order.number)},
          {"createdAt", FormatDateTime(order.created_at)},
          {"processedAt", FormatDateTime(order.processed_at)},
          {"updatedAt", FormatDateTime(order.updated_at)},
          {"email", order.email},
          {"currencyCode", currency},
          {"displayFinancialStatus", order.financial_status},
          {"totalPriceSet", MoneyBag(order.total_cents, currency)},
          {"subtotalPriceSet", MoneyBag(order.subtotal_cents, currency)},
          {"customer", {{"id", Gid("Customer", order.customer_id)}, {"email", order.email}}},
          {"customAttributes", std::move(attributes)},
          {"cancelledAt", nullptr},
          {"sourceName", "web"},
          {"customerJourneySummary", {{"firstVisit", visit}, {"lastVisit", visit}}}};
}

// A bulk line: the object without the nested connections, plus the parent's id when it is a child.
std::string Line(json::object object, const char* parent_id = nullptr) {
  if (parent_id) object["__parentId"] = parent_id;
  return json::serialize(object) + "\n";
}

}  // namespace

json::object ProductJson(const Product& product, const std::string& currency, ConnectionStyle style,
                         std::string_view shop_domain) {
  auto object = ProductFields(product, currency, shop_domain);
  object["variants"] = Connection(Map(product.variants, VariantJson), style, false, "");
  object["images"] = Connection(Map(product.images, ImageJson), style, false, "");
  object["media"] = Connection(Map(product.images, MediaJson), style, false, "");
  return object;
}

json::object LineItemJson(const LineItem& item, const std::string& currency) {
  json::value variant_title = nullptr;
  if (!item.variant_title.empty()) variant_title = json::string(item.variant_title);
  return {{"id", Gid("LineItem", item.id)},
          {"title", item.title},
          {"variantTitle", std::move(variant_title)},
          {"sku", item.sku},
          {"quantity", item.quantity},
          {"product", {{"id", Gid("Product", item.product_id)}}},
          {"variant", {{"id", Gid("ProductVariant", item.variant_id)}}},
          {"originalUnitPriceSet", MoneyBag(item.unit_price_cents, currency)}};
}

json::object OrderJson(const Order& order, const std::string& currency, ConnectionStyle style,
                       std::string_view shop_domain) {
  auto object = OrderFields(order, currency, shop_domain);
  object["lineItems"] =
      Connection(Map(order.line_items, [&](const LineItem& item) { return LineItemJson(item, currency); }), style, false, "");
  return object;
}

std::optional<BulkSelection> BulkSelection::FromQuery(std::string_view query) {
  const std::string text(query);
  auto mentions = [&](const char* field) {
    return std::regex_search(text, std::regex(fmt::format(R"(\b{}\s*[({{])", field)));
  };
  BulkSelection selection;
  if (mentions("orders")) {
    selection.orders = true;
  } else if (!mentions("products")) {
    return std::nullopt;
  }
  selection.variants = mentions("variants");
  selection.images = mentions("images");
  selection.media = mentions("media");
  selection.line_items = mentions("lineItems");
  selection.metafields = mentions("metafields");
  selection.app_metafields_only = std::regex_search(text, std::regex(R"(metafields\s*\(\s*namespace\s*:\s*"\$app")"));
  return selection;
}

BulkResult ProductsJsonl(const std::vector<Product>& products, const std::string& currency,
                         const BulkSelection& selection, std::string_view shop_domain, const MetafieldIndex* metafields) {
  BulkResult result;
  for (const auto& product : products) {
    const auto parent = Gid("Product", product.id);
    result.jsonl += Line(ProductFields(product, currency, shop_domain));
    ++result.root_object_count;
    ++result.object_count;
    if (selection.variants) {
      for (const auto& variant : product.variants) {
        result.jsonl += Line(VariantJson(variant), parent.c_str());
        ++result.object_count;
      }
    }
    if (selection.images) {
      for (const auto& image : product.images) {
        result.jsonl += Line(ImageJson(image), parent.c_str());
        ++result.object_count;
      }
    }
    if (selection.media) {
      for (const auto& image : product.images) {
        result.jsonl += Line(MediaJson(image), parent.c_str());
        ++result.object_count;
      }
    }
    if (selection.metafields && metafields) {
      if (const auto found = metafields->find(parent); found != metafields->end()) {
        for (const auto& metafield : found->second) {
          const auto* ns = metafield.if_contains("namespace");
          if (selection.app_metafields_only && !(ns && ns->is_string() && ns->as_string().starts_with("app--"))) continue;
          result.jsonl += Line(metafield, parent.c_str());
          ++result.object_count;
        }
      }
    }
  }
  return result;
}

BulkResult OrdersJsonl(const std::vector<Order>& orders, const std::string& currency, const BulkSelection& selection,
                       std::string_view shop_domain) {
  BulkResult result;
  for (const auto& order : orders) {
    const auto parent = Gid("Order", order.id);
    result.jsonl += Line(OrderFields(order, currency, shop_domain));
    ++result.root_object_count;
    ++result.object_count;
    if (selection.line_items) {
      for (const auto& item : order.line_items) {
        result.jsonl += Line(LineItemJson(item, currency), parent.c_str());
        ++result.object_count;
      }
    }
  }
  return result;
}

json::object ProductRest(const Product& product) {
  std::string tags;
  for (const auto& tag : product.tags) tags += (tags.empty() ? "" : ", ") + tag;
  std::string status = product.status;
  for (auto& c : status) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  json::array variants;
  for (const auto& variant : product.variants) {
    json::value compare_at = nullptr;
    if (variant.compare_at_cents) compare_at = FormatMoneyCents(*variant.compare_at_cents);
    json::object rest{{"id", variant.id},
                      {"product_id", product.id},
                      {"title", variant.title},
                      {"price", FormatMoneyCents(variant.price_cents)},
                      {"sku", variant.sku},
                      {"position", variant.position},
                      {"compare_at_price", std::move(compare_at)},
                      {"inventory_quantity", variant.inventory_quantity},
                      {"created_at", FormatRestDateTime(product.created_at)},
                      {"updated_at", FormatRestDateTime(product.updated_at)},
                      {"admin_graphql_api_id", Gid("ProductVariant", variant.id)}};
    for (size_t i = 0; i < 3; ++i) {
      json::value value = nullptr;
      if (i < variant.selected_options.size()) value = json::string(variant.selected_options[i].second);
      rest[fmt::format("option{}", i + 1)] = std::move(value);
    }
    variants.push_back(std::move(rest));
  }
  json::array options;
  int position = 1;
  for (const auto& option : product.options) {
    json::array values;
    for (const auto& value : option.values) values.push_back(json::string(value));
    options.push_back({{"id", product.id * 10 + position},
                       {"product_id", product.id},
                       {"name", option.name},
                       {"position", position},
                       {"values", std::move(values)}});
    ++position;
  }
  json::array images;
  position = 1;
  for (const auto& image : product.images) {
    json::value alt = nullptr;
    if (!image.alt.empty()) alt = json::string(image.alt);
    images.push_back({{"id", image.id},
                      {"product_id", product.id},
                      {"position", position++},
                      {"alt", std::move(alt)},
                      {"width", image.width},
                      {"height", image.height},
                      {"src", image.url},
                      {"variant_ids", json::array{}},
                      {"admin_graphql_api_id", Gid("ProductImage", image.id)}});
  }
  json::value image = nullptr;
  if (!images.empty()) image = images.front();
  return {{"id", product.id},
          {"title", product.title},
          {"body_html", product.description_html},
          {"vendor", product.vendor},
          {"product_type", product.product_type},
          {"created_at", FormatRestDateTime(product.created_at)},
          {"handle", product.handle},
          {"updated_at", FormatRestDateTime(product.updated_at)},
          {"published_at", product.status == "ACTIVE" ? json::value(FormatRestDateTime(product.created_at)) : json::value(nullptr)},
          {"template_suffix", nullptr},
          {"published_scope", "global"},
          {"tags", tags},
          {"status", status},
          {"admin_graphql_api_id", Gid("Product", product.id)},
          {"variants", std::move(variants)},
          {"options", std::move(options)},
          {"images", std::move(images)},
          {"image", std::move(image)}};
}

json::object OrderRest(const Order& order, const std::string& currency) {
  json::array note_attributes;
  for (const auto& [key, value] : order.custom_attributes) note_attributes.push_back({{"name", key}, {"value", value}});
  json::array line_items;
  for (const auto& item : order.line_items) {
    json::value variant_title = nullptr;
    if (!item.variant_title.empty()) variant_title = json::string(item.variant_title);
    line_items.push_back({{"id", item.id},
                          {"admin_graphql_api_id", Gid("LineItem", item.id)},
                          {"product_id", item.product_id},
                          {"variant_id", item.variant_id},
                          {"title", item.title},
                          {"variant_title", std::move(variant_title)},
                          {"name", item.variant_title.empty() ? item.title : item.title + " - " + item.variant_title},
                          {"sku", item.sku},
                          {"quantity", item.quantity},
                          {"price", FormatMoneyCents(item.unit_price_cents)}});
  }
  std::string financial_status = order.financial_status;
  for (auto& c : financial_status) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  json::value referring = nullptr;
  if (!order.referring_site.empty()) referring = json::string(order.referring_site);
  return {{"id", order.id},
          {"admin_graphql_api_id", Gid("Order", order.id)},
          {"name", fmt::format("#{}", order.number)},
          {"order_number", order.number},
          {"email", order.email},
          {"created_at", FormatRestDateTime(order.created_at)},
          {"updated_at", FormatRestDateTime(order.updated_at)},
          {"processed_at", FormatRestDateTime(order.processed_at)},
          {"currency", currency},
          {"total_price", FormatMoneyCents(order.total_cents)},
          {"subtotal_price", FormatMoneyCents(order.subtotal_cents)},
          {"financial_status", financial_status},
          {"landing_site", order.landing_site},
          {"referring_site", std::move(referring)},
          {"note_attributes", std::move(note_attributes)},
          {"customer", {{"id", order.customer_id}, {"email", order.email}, {"admin_graphql_api_id", Gid("Customer", order.customer_id)}}},
          {"line_items", std::move(line_items)}};
}

}  // namespace pagelift::shopify_sim
