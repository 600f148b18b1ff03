// The seeded catalog: reproducible byte for byte, shaped like Shopify's data, with every kind of page problem the
// audit looks for present in a realistic share of products.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <set>

#include "shopify-sim/catalog.h"
#include "shopify-sim/shapes.h"

namespace pagelift::shopify_sim {
namespace {

std::string Serialize(const Catalog& catalog) {
  std::string out;
  for (const auto& product : catalog.products) out += boost::json::serialize(ProductJson(product, "USD", {})) + "\n";
  for (const auto& order : catalog.orders) out += boost::json::serialize(OrderJson(order, "USD", {})) + "\n";
  return out;
}

CatalogOptions Options(std::uint64_t seed, int products = 300, int orders = 1000) {
  return {seed, products, orders, DefaultEpoch(), "USD"};
}

TEST(CatalogTest, SameSeedSameBytes) {
  EXPECT_EQ(Serialize(GenerateCatalog(Options(7))), Serialize(GenerateCatalog(Options(7))));
}

TEST(CatalogTest, DifferentSeedDifferentCatalog) {
  EXPECT_NE(Serialize(GenerateCatalog(Options(7))), Serialize(GenerateCatalog(Options(8))));
}

TEST(CatalogTest, SizesAndUniqueIdsAndHandles) {
  const auto catalog = GenerateCatalog(Options(1, 500, 800));
  ASSERT_EQ(catalog.products.size(), 500u);
  ASSERT_EQ(catalog.orders.size(), 800u);
  std::set<std::int64_t> ids;
  std::set<std::string> handles;
  for (const auto& product : catalog.products) {
    EXPECT_TRUE(ids.insert(product.id).second);
    EXPECT_TRUE(handles.insert(product.handle).second) << product.handle;
    EXPECT_FALSE(product.variants.empty());
    EXPECT_LE(product.variants.size(), 100u);
    for (const auto& variant : product.variants) EXPECT_TRUE(ids.insert(variant.id).second);
    for (const auto& image : product.images) EXPECT_TRUE(ids.insert(image.id).second);
    EXPECT_LT(product.created_at, DefaultEpoch());
  }
  int previous = 0;
  for (const auto& order : catalog.orders) {
    EXPECT_TRUE(ids.insert(order.id).second);
    EXPECT_GT(order.number, previous);
    previous = order.number;
    EXPECT_FALSE(order.line_items.empty());
    std::int64_t subtotal = 0;
    for (const auto& item : order.line_items) subtotal += item.unit_price_cents * item.quantity;
    EXPECT_EQ(order.subtotal_cents, subtotal);
    EXPECT_GE(order.total_cents, order.subtotal_cents);
  }
}

TEST(CatalogTest, TwentyThousandProducts) {
  const auto catalog = GenerateCatalog(Options(3, 20000, 10));
  EXPECT_EQ(catalog.products.size(), 20000u);
}

// Each audit finding must occur, but none may dominate: a catalog of only bad pages would be as useless for the
// demo as one without any.
TEST(CatalogTest, RealisticMixOfGoodAndBadPages) {
  const auto catalog = GenerateCatalog(Options(11, 1000, 1000));
  int missing_alt = 0, one_image = 0, no_images = 0, thin = 0, no_compare_at = 0, compare_below = 0, many_variants = 0,
      some_sold_out = 0, all_caps = 0, long_title = 0, no_seo = 0, default_title = 0, good = 0;
  for (const auto& product : catalog.products) {
    bool bad = false;
    auto count = [&bad](int& counter, bool condition) {
      if (condition) {
        ++counter;
        bad = true;
      }
    };
    count(missing_alt, std::any_of(product.images.begin(), product.images.end(), [](const Image& i) { return i.alt.empty(); }));
    count(one_image, product.images.size() == 1);
    count(no_images, product.images.empty());
    count(thin, product.description_html.size() < 120);
    const auto& first = product.variants.front();
    if (!first.compare_at_cents) ++no_compare_at;
    count(compare_below, first.compare_at_cents && *first.compare_at_cents < first.price_cents);
    count(many_variants, product.variants.size() > 30);
    count(some_sold_out, std::any_of(product.variants.begin(), product.variants.end(),
                                     [](const Variant& v) { return v.inventory_quantity == 0; }));
    bool caps = product.title.size() > 3;
    for (char c : product.title) caps = caps && !std::islower(static_cast<unsigned char>(c));
    count(all_caps, caps);
    count(long_title, product.title.size() > 70);
    count(no_seo, !product.seo_title || !product.seo_description);
    if (first.title == "Default Title") ++default_title;
    if (!bad) ++good;
  }
  auto in_range = [](int value, int low, int high) { return value >= low && value <= high; };
  EXPECT_PRED3(in_range, missing_alt, 150, 500);
  EXPECT_PRED3(in_range, one_image, 100, 300);
  EXPECT_PRED3(in_range, no_images, 5, 80);
  EXPECT_PRED3(in_range, thin, 150, 450);
  EXPECT_PRED3(in_range, no_compare_at, 500, 850);
  EXPECT_PRED3(in_range, compare_below, 20, 100);
  EXPECT_PRED3(in_range, many_variants, 10, 120);
  EXPECT_PRED3(in_range, some_sold_out, 100, 400);
  EXPECT_PRED3(in_range, all_caps, 20, 100);
  EXPECT_PRED3(in_range, long_title, 20, 100);
  EXPECT_PRED3(in_range, no_seo, 300, 800);
  EXPECT_PRED3(in_range, default_title, 80, 400);
  EXPECT_PRED3(in_range, good, 30, 400);

  int with_visitor = 0;
  for (const auto& order : catalog.orders) {
    for (const auto& [key, value] : order.custom_attributes) {
      if (key == "_pagelift_vid") ++with_visitor;
    }
  }
  EXPECT_PRED3(in_range, with_visitor, 250, 550);
}

TEST(CatalogTest, HandlesAndDates) {
  EXPECT_EQ(Handleize("Classic Crew Tee — Black!"), "classic-crew-tee-black");
  EXPECT_EQ(FormatDateTime(DefaultEpoch()), "2026-11-15T00:00:00Z");
  EXPECT_EQ(FormatRestDateTime(DefaultEpoch()), "2026-11-15T00:00:00+00:00");
}

}  // namespace
}  // namespace pagelift::shopify_sim
