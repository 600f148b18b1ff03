// The simulator's store data: products, variants, images and orders as Shopify models them, and a deterministic
// generator of a realistic seeded catalog with a deliberate mix of good and bad product pages (what pagelift's audit
// has to find). Everything here is plain data and pure functions: the same seed always gives the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"

namespace pagelift::shopify_sim {

// SplitMix64: a tiny generator with a fully specified output sequence (std distributions are implementation-defined,
// and the catalog must be byte-for-byte reproducible).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next();
  // Uniform in [0, n); n > 0.
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  // True with probability percent / 100.
  bool Percent(int percent) { return Below(100) < static_cast<std::uint64_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

 private:
  std::uint64_t state_;
};

struct Variant {
  std::int64_t id = 0;
  std::string title;  // "Default Title" for a product without options
  std::string sku;
  std::int64_t price_cents = 0;
  std::optional<std::int64_t> compare_at_cents;
  int inventory_quantity = 0;
  std::vector<std::pair<std::string, std::string>> selected_options;  // (option name, value)
  int position = 1;
};

struct Image {
  std::int64_t id = 0;        // ProductImage / MediaImage share the number
  std::string url;
  std::string alt;            // empty = missing alt text
  int width = 0;
  int height = 0;
};

struct ProductOption {
  std::string name;
  std::vector<std::string> values;
};

struct Product {
  std::int64_t id = 0;
  std::string title;
  std::string handle;
  std::string description_html;
  std::string vendor;
  std::string product_type;
  std::vector<std::string> tags;
  std::string status = "ACTIVE";  // ACTIVE, DRAFT, ARCHIVED
  std::vector<ProductOption> options;
  std::vector<Variant> variants;
  std::vector<Image> images;
  std::optional<std::string> seo_title;        // nullopt: Shopify falls back to the title
  std::optional<std::string> seo_description;  // nullopt: falls back to the description
  TimePoint created_at;
  TimePoint updated_at;
};

struct LineItem {
  std::int64_t id = 0;
  std::int64_t product_id = 0;
  std::int64_t variant_id = 0;
  std::string title;
  std::string variant_title;
  std::string sku;
  int quantity = 1;
  std::int64_t unit_price_cents = 0;
};

struct Order {
  std::int64_t id = 0;
  int number = 1001;  // name is "#" + number
  TimePoint created_at;
  TimePoint processed_at;
  TimePoint updated_at;
  std::vector<LineItem> line_items;
  std::int64_t subtotal_cents = 0;
  std::int64_t total_cents = 0;  // subtotal + shipping + tax
  std::int64_t customer_id = 0;
  std::string email;
  std::string landing_site;    // path and query of the first page of the visit, e.g. "/products/x?utm_source=…"
  std::string referring_site;  // "" when direct
  std::vector<std::pair<std::string, std::string>> custom_attributes;  // cart attributes, e.g. _pagelift_vid
  std::string financial_status = "PAID";  // displayFinancialStatus
};

struct CatalogOptions {
  std::uint64_t seed = 1;
  int products = 300;  // 0 … 20,000
  int orders = 1000;
  TimePoint epoch;     // "now" of the generated history: every created_at is before it
  std::string currency = "USD";
};

struct Catalog {
  std::vector<Product> products;
  std::vector<Order> orders;
  std::int64_t next_id = 0;  // the next free numeric id (ids are unique across every kind of object)
};

// The fixed default epoch (2026-11-15T00:00:00Z), so tests and byte-for-byte compares never depend on the clock.
TimePoint DefaultEpoch();

// Generates a catalog. Deterministic in (seed, products, orders, epoch). Roughly a third of the products carry each
// kind of audit finding, so every rule has material; see docs/simulator.md for the mix.
Catalog GenerateCatalog(const CatalogOptions& options);

// "2026-11-15T00:00:00Z", Shopify GraphQL's DateTime (seconds, UTC).
std::string FormatDateTime(TimePoint t);
// "2026-11-15T00:00:00+00:00", the REST / webhook form (shop timezone offset; the simulated shops are on UTC).
std::string FormatRestDateTime(TimePoint t);
// A URL handle from a title: lower-case ASCII letters and digits, other runs become "-".
std::string Handleize(std::string_view title);

}  // namespace pagelift::shopify_sim
