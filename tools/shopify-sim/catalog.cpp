#include "shopify-sim/catalog.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "core/text.h"

namespace pagelift::shopify_sim {

std::uint64_t Rng::Next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

TimePoint DefaultEpoch() {
  // 2026-11-15T00:00:00Z
  return TimePoint(std::chrono::seconds(1794700800));
}

namespace {

std::tm Utc(TimePoint t) {
  const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

}  // namespace

std::string FormatDateTime(TimePoint t) { return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", Utc(t)); }

std::string FormatRestDateTime(TimePoint t) { return fmt::format("{:%Y-%m-%dT%H:%M:%S}+00:00", Utc(t)); }

std::string Handleize(std::string_view title) {
  std::string handle;
  bool dash = false;
  for (char c : title) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 128) {
      if (dash && !handle.empty()) handle += '-';
      dash = false;
      handle += static_cast<char>(std::tolower(u));
    } else {
      dash = true;
    }
  }
  return handle;
}

namespace {

struct Category {
  std::string product_type;
  std::vector<std::string> adjectives;
  std::vector<std::string> nouns;
  std::vector<std::string> vendors;
  std::vector<ProductOption> option_pool;  // options this kind of product may have (values subset chosen per product)
  std::int64_t min_price_cents;
  std::int64_t max_price_cents;
  std::vector<std::string> tags;
  std::vector<std::string> features;  // sentences for the description
};

const std::vector<Category>& Categories() {
  static const std::vector<Category> categories = {
      {"T-Shirts",
       {"Classic", "Organic", "Vintage", "Essential", "Relaxed", "Heavyweight", "Striped", "Pocket"},
       {"Crew Tee", "V-Neck Tee", "Long Sleeve Tee", "Graphic Tee", "Henley"},
       {"Northwind Apparel", "Harbor & Co", "Fieldday"},
       {{"Size", {"XS", "S", "M", "L", "XL", "XXL"}}, {"Color", {"Black", "White", "Navy", "Heather Grey", "Olive", "Rust", "Sand"}}},
       1800, 4800,
       {"apparel", "cotton", "unisex", "summer", "bestseller"},
       {"Cut from 100% organic cotton jersey that softens with every wash.",
        "A relaxed fit through the body with a slightly dropped shoulder.",
        "Pre-shrunk so the fit you buy is the fit you keep.",
        "Reinforced shoulder seams hold their shape.",
        "Machine wash cold, tumble dry low."}},
      {"Hoodies",
       {"Cozy", "Fleece", "Oversized", "Zip-Up", "Brushed", "Everyday"},
       {"Hoodie", "Pullover", "Sweatshirt", "Quarter Zip"},
       {"Northwind Apparel", "Summit Supply"},
       {{"Size", {"S", "M", "L", "XL"}}, {"Color", {"Black", "Forest", "Oatmeal", "Charcoal", "Burgundy"}}},
       4500, 9800,
       {"apparel", "fleece", "winter", "layering"},
       {"Midweight 380 gsm brushed fleece keeps you warm without bulk.",
        "Kangaroo pocket and a lined hood with flat drawcords.",
        "Ribbed cuffs and hem keep the cold out.",
        "Garment-dyed for a lived-in colour."}},
      {"Shoes",
       {"Trail", "Court", "Everyday", "Leather", "Canvas", "Lightweight", "Waterproof"},
       {"Runner", "Sneaker", "Boot", "Loafer", "Slip-On", "Chelsea Boot"},
       {"Stride Lab", "Cobble & Last", "Peak Footwear"},
       {{"Size", {"6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12", "13"}},
        {"Color", {"Black", "White", "Tan", "Grey"}}},
       6500, 22000,
       {"footwear", "shoes", "outdoor", "new-arrival"},
       {"A cushioned EVA midsole absorbs impact mile after mile.",
        "Full-grain leather upper that molds to your foot.",
        "Grippy rubber outsole for wet pavement and light trails.",
        "Removable insole fits most orthotics.",
        "True to size; half sizes go up."}},
      {"Home Decor",
       {"Handwoven", "Ceramic", "Minimal", "Rustic", "Linen", "Stoneware", "Scandinavian"},
       {"Throw Blanket", "Vase", "Table Lamp", "Cushion Cover", "Planter", "Candle Holder", "Wall Mirror"},
       {"Hearth & Home", "Loom Studio", "Claywork"},
       {{"Color", {"Natural", "Charcoal", "Terracotta", "Sage"}}},
       1500, 18000,
       {"home", "decor", "gift", "living-room"},
       {"Each piece is made by hand, so no two are exactly alike.",
        "Made from responsibly sourced natural materials.",
        "Wipe clean with a damp cloth.",
        "Ships in plastic-free packaging."}},
      {"Kitchen",
       {"Cast Iron", "Enamel", "Bamboo", "Copper", "Stainless"},
       {"Skillet", "Dutch Oven", "Cutting Board", "Knife Set", "Kettle", "Mixing Bowls"},
       {"Hearth & Home", "Forge Kitchen"},
       {},
       1200, 29000,
       {"kitchen", "cookware", "gift"},
       {"Pre-seasoned and ready to cook on day one.",
        "Works on gas, electric, induction and in the oven.",
        "Backed by a lifetime warranty.",
        "Dishwasher safe."}},
      {"Skincare",
       {"Hydrating", "Brightening", "Gentle", "Overnight", "Daily", "Calming"},
       {"Face Serum", "Moisturizer", "Cleanser", "Eye Cream", "Face Oil", "Toner"},
       {"Glow Botanics", "Pure Ritual"},
       {{"Size", {"30 ml", "50 ml", "100 ml"}}},
       1400, 7800,
       {"beauty", "skincare", "vegan", "cruelty-free"},
       {"Formulated with hyaluronic acid and niacinamide for all skin types.",
        "Fragrance-free and dermatologist tested.",
        "Apply morning and night to clean skin.",
        "Vegan, cruelty-free, in recyclable glass."}},
      {"Headphones",
       {"Wireless", "Noise-Cancelling", "Studio", "Sport", "Compact"},
       {"Headphones", "Earbuds", "Speaker", "Charging Dock", "Power Bank"},
       {"Voltline", "Sonic Grove"},
       {{"Color", {"Black", "White", "Midnight Blue"}}},
       2900, 34900,
       {"electronics", "audio", "bluetooth", "gift"},
       {"Up to 30 hours of battery life on a single charge.",
        "Bluetooth 5.3 with multipoint pairing.",
        "USB-C fast charging: 10 minutes for 3 hours of play.",
        "Includes a two-year warranty."}},
      {"Jewelry",
       {"Gold", "Sterling Silver", "Pearl", "Dainty", "Hammered", "Birthstone"},
       {"Necklace", "Hoop Earrings", "Ring", "Bracelet", "Pendant", "Stud Earrings"},
       {"Aurum Atelier", "Little Gem"},
       {{"Material", {"14k Gold Vermeil", "Sterling Silver", "Rose Gold"}}, {"Size", {"5", "6", "7", "8", "9"}}},
       2500, 24000,
       {"jewelry", "gift", "handmade", "valentines"},
       {"Hand-finished in our studio from recycled metals.",
        "Hypoallergenic and nickel-free.",
        "Arrives in a gift box with a polishing cloth.",
        "Free resizing within 30 days."}},
  };
  return categories;
}

const std::vector<std::string>& Referrers() {
  static const std::vector<std::string> referrers = {"",
                                                     "",
                                                     "https://www.google.com/",
                                                     "https://www.google.com/",
                                                     "https://www.instagram.com/",
                                                     "https://www.facebook.com/",
                                                     "https://www.pinterest.com/",
                                                     "https://duckduckgo.com/",
                                                     "https://newsletter.example.com/"};
  return referrers;
}

std::string Paragraph(Rng& rng, const Category& category, int sentences) {
  std::string text;
  for (int i = 0; i < sentences; ++i) {
    if (i) text += ' ';
    text += rng.Pick(category.features);
  }
  return text;
}

// A description: good pages get paragraphs and a feature list, thin ones a fragment, some none at all.
std::string Description(Rng& rng, const Category& category, const std::string& title) {
  const auto roll = rng.Below(100);
  if (roll < 6) return "";
  if (roll < 30) return fmt::format("<p>{}</p>", rng.Percent(50) ? title : category.features.front());
  std::string html = fmt::format("<p>Meet the {}. {}</p>", title, Paragraph(rng, category, 3));
  html += "<ul>";
  for (const auto& feature : category.features) html += fmt::format("<li>{}</li>", feature);
  html += "</ul>";
  html += fmt::format("<p>{}</p>", Paragraph(rng, category, 2));
  return html;
}

std::string UpperCase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> SubsetOf(Rng& rng, const std::vector<std::string>& values, size_t min_count) {
  std::vector<std::string> chosen;
  for (const auto& value : values) {
    if (rng.Percent(70)) chosen.push_back(value);
  }
  for (size_t i = 0; chosen.size() < std::min(min_count, values.size()); ++i) {
    if (std::find(chosen.begin(), chosen.end(), values[i]) == chosen.end()) chosen.push_back(values[i]);
  }
  // Keep the category's order (sizes ascending), whatever order the fill-up added them in.
  std::vector<std::string> ordered;
  for (const auto& value : values) {
    if (std::find(chosen.begin(), chosen.end(), value) != chosen.end()) ordered.push_back(value);
  }
  return ordered;
}

class Generator {
 public:
  explicit Generator(const CatalogOptions& options) : options_(options), rng_(options.seed) {}

  Catalog Run() {
    Catalog catalog;
    catalog.products.reserve(static_cast<size_t>(std::max(0, options_.products)));
    for (int i = 0; i < options_.products; ++i) catalog.products.push_back(MakeProduct(i));
    std::vector<const Product*> sellable;
    for (const auto& product : catalog.products) {
      if (product.status == "ACTIVE" && !product.variants.empty()) sellable.push_back(&product);
    }
    std::vector<std::pair<TimePoint, Order>> orders;
    for (int i = 0; i < options_.orders && !sellable.empty(); ++i) catalog.orders.push_back(MakeOrder(sellable));
    // Orders are numbered in the order they were placed.
    std::sort(catalog.orders.begin(), catalog.orders.end(),
              [](const Order& a, const Order& b) { return a.created_at < b.created_at || (a.created_at == b.created_at && a.id < b.id); });
    int number = 1001;
    for (auto& order : catalog.orders) order.number = number++;
    catalog.next_id = next_id_;
    return catalog;
  }

 private:
  std::int64_t NewId() {
    next_id_ += rng_.Between(1, 97);
    return next_id_;
  }

  TimePoint Ago(std::int64_t min_seconds, std::int64_t max_seconds) {
    return options_.epoch - std::chrono::seconds(rng_.Between(min_seconds, max_seconds));
  }

  Product MakeProduct(int index) {
    const auto& categories = Categories();
    const Category& category = categories[static_cast<size_t>(index) % categories.size()];
    Product product;
    product.id = NewId();
    std::string title = rng_.Pick(category.adjectives) + " " + rng_.Pick(category.nouns);
    // Titles repeat across a large catalog; a model name keeps handles unique and titles distinct.
    if (index >= static_cast<int>(categories.size())) title += fmt::format(" {}", 100 + index);
    const auto title_roll = rng_.Below(100);
    if (title_roll < 5) {
      title = UpperCase(title);
    } else if (title_roll < 10) {
      title += " - Premium Quality Gift For Men And Women, Perfect For Every Occasion, Free Shipping, Best Seller 2026";
    }
    product.title = title;
    product.handle = Handleize(title);
    product.vendor = rng_.Pick(category.vendors);
    product.product_type = category.product_type;
    product.description_html = Description(rng_, category, title);
    for (const auto& tag : category.tags) {
      if (rng_.Percent(50)) product.tags.push_back(tag);
    }
    const auto status_roll = rng_.Below(100);
    product.status = status_roll < 4 ? "DRAFT" : status_roll < 6 ? "ARCHIVED" : "ACTIVE";
    product.created_at = Ago(86400 * 30, 86400 * 720);
    product.updated_at = product.created_at + std::chrono::seconds(rng_.Between(0, 86400 * 25));
    if (rng_.Percent(60)) product.seo_title = title.size() > 60 ? title.substr(0, 57) + "..." : title + " | Free Shipping";
    if (rng_.Percent(55)) product.seo_description = fmt::format("Shop the {} from {}.", title, product.vendor);

    MakeOptionsAndVariants(category, product);
    MakeImages(product);
    return product;
  }

  void MakeOptionsAndVariants(const Category& category, Product& product) {
    // Some products in every category have no options at all: one "Default Title" variant.
    const bool no_options = category.option_pool.empty() || rng_.Percent(15);
    const bool many_variants = !no_options && category.option_pool.size() > 1 && rng_.Percent(8);
    if (!no_options) {
      const size_t option_count = many_variants ? category.option_pool.size() : 1 + rng_.Below(category.option_pool.size());
      for (size_t i = 0; i < option_count; ++i) {
        const auto& pool = category.option_pool[i];
        product.options.push_back({pool.name, many_variants ? pool.values : SubsetOf(rng_, pool.values, 2)});
      }
    }
    const std::int64_t base_price =
        (rng_.Between(category.min_price_cents, category.max_price_cents) / 100) * 100 + (rng_.Percent(70) ? 99 : 0) - (rng_.Percent(70) ? 100 : 0);
    const auto price = std::max<std::int64_t>(base_price, 500);
    const auto compare_roll = rng_.Below(100);
    std::optional<std::int64_t> compare_at;
    if (compare_roll < 25) compare_at = price + price / 4 / 100 * 100;  // a sale: compare-at above the price
    else if (compare_roll < 30) compare_at = price - price / 5 / 100 * 100 - 1;  // a mistake: compare-at below the price
    const int stock_roll = static_cast<int>(rng_.Below(100));  // <6: all sold out; <26: some sold out

    // Cartesian product of the option values.
    std::vector<std::vector<std::pair<std::string, std::string>>> combinations = {{}};
    for (const auto& option : product.options) {
      std::vector<std::vector<std::pair<std::string, std::string>>> next;
      for (const auto& partial : combinations) {
        for (const auto& value : option.values) {
          auto extended = partial;
          extended.emplace_back(option.name, value);
          next.push_back(std::move(extended));
        }
      }
      combinations = std::move(next);
    }
    if (combinations.size() > 100) combinations.resize(100);  // Shopify's classic variant limit
    if (product.options.empty()) product.options.push_back({"Title", {"Default Title"}});

    int position = 1;
    for (const auto& combination : combinations) {
      Variant variant;
      variant.id = NewId();
      variant.position = position++;
      if (combination.empty()) {
        variant.title = "Default Title";
        variant.selected_options = {{"Title", "Default Title"}};
      } else {
        for (const auto& [name, value] : combination) {
          if (!variant.title.empty()) variant.title += " / ";
          variant.title += value;
        }
        variant.selected_options = combination;
      }
      variant.sku = rng_.Percent(90) ? fmt::format("{}-{}-{:03}", product.product_type.substr(0, 3), product.id % 100000,
                                                    variant.position)
                                     : "";
      for (auto& c : variant.sku) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      variant.price_cents = price;
      variant.compare_at_cents = compare_at;
      const bool sold_out = stock_roll < 6 || (stock_roll < 26 && rng_.Percent(35));
      variant.inventory_quantity = sold_out ? 0 : static_cast<int>(rng_.Between(1, 140));
      product.variants.push_back(std::move(variant));
    }
  }

  void MakeImages(Product& product) {
    const auto roll = rng_.Below(100);
    const int count = roll < 3 ? 0 : roll < 23 ? 1 : static_cast<int>(rng_.Between(2, 7));
    const int alt_roll = static_cast<int>(rng_.Below(100));  // <20: no alt anywhere; <40: some missing
    static const std::vector<std::pair<int, int>> sizes = {{2048, 2048}, {1600, 2000}, {1200, 1200}, {800, 800}, {480, 600}};
    for (int i = 0; i < count; ++i) {
      Image image;
      image.id = NewId();
      const auto size = rng_.Pick(sizes);
      image.width = size.first;
      image.height = size.second;
      image.url = fmt::format("https://cdn.shopify.com/s/files/1/0700/0001/files/{}-{}.jpg", product.handle, i + 1);
      const bool missing = alt_roll < 20 || (alt_roll < 40 && rng_.Percent(50));
      if (!missing) image.alt = i == 0 ? product.title : fmt::format("{} — view {}", product.title, i + 1);
      product.images.push_back(std::move(image));
    }
  }

  Order MakeOrder(const std::vector<const Product*>& sellable) {
    Order order;
    order.id = NewId();
    order.created_at = Ago(600, 86400 * 120);
    order.processed_at = order.created_at;
    order.updated_at = order.created_at + std::chrono::seconds(rng_.Between(5, 3600));
    const int lines = static_cast<int>(rng_.Between(1, 100) <= 70 ? 1 : rng_.Between(2, 4));
    for (int i = 0; i < lines; ++i) {
      const Product& product = *rng_.Pick(sellable);
      const Variant& variant = product.variants[rng_.Below(product.variants.size())];
      LineItem item;
      item.id = NewId();
      item.product_id = product.id;
      item.variant_id = variant.id;
      item.title = product.title;
      item.variant_title = variant.title == "Default Title" ? "" : variant.title;
      item.sku = variant.sku;
      item.quantity = static_cast<int>(rng_.Between(1, 100) <= 80 ? 1 : rng_.Between(2, 3));
      item.unit_price_cents = variant.price_cents;
      order.subtotal_cents += item.unit_price_cents * item.quantity;
      order.line_items.push_back(std::move(item));
    }
    const std::int64_t shipping = order.subtotal_cents >= 7500 ? 0 : 599;
    const std::int64_t tax = order.subtotal_cents * 8 / 100;
    order.total_cents = order.subtotal_cents + shipping + tax;
    const auto customer = rng_.Between(1, std::max(1, options_.orders / 3));
    order.customer_id = 6000000000000 + customer * 7;
    order.email = fmt::format("customer{}@example.com", customer);
    const Product& landing = *rng_.Pick(sellable);
    const auto landing_roll = rng_.Below(100);
    order.landing_site = landing_roll < 55   ? "/products/" + landing.handle
                         : landing_roll < 70 ? "/"
                         : landing_roll < 85 ? "/collections/all"
                                             : "/products/" + landing.handle + "?utm_source=newsletter&utm_medium=email";
    order.referring_site = rng_.Pick(Referrers());
    if (rng_.Percent(40)) {
      order.custom_attributes.emplace_back("_pagelift_vid", fmt::format("{:016x}{:016x}", rng_.Next(), rng_.Next()));
    }
    if (rng_.Percent(10)) order.custom_attributes.emplace_back("gift_note", "Happy birthday!");
    const auto status_roll = rng_.Below(100);
    order.financial_status = status_roll < 92 ? "PAID" : status_roll < 96 ? "REFUNDED" : status_roll < 98 ? "PARTIALLY_REFUNDED" : "PENDING";
    return order;
  }

  const CatalogOptions& options_;
  Rng rng_;
  std::int64_t next_id_ = 7000000000000;
};

}  // namespace

Catalog GenerateCatalog(const CatalogOptions& options) { return Generator(options).Run(); }

}  // namespace pagelift::shopify_sim
