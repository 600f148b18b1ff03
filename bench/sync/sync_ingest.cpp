// bench_sync: the bulk sync's ingest path (JSONL bytes → JsonlReassembler → product records → batched stale-safe
// upserts into products_cache), driven by bench/sync/run.
//   bench_sync prepare N DIR SHOP_ID   writes DIR/products.jsonl (N products as Shopify's bulk JSONL: each product
//                                      line followed by its variants, media and metafield lines) and DIR/products.copy
//                                      (the same rows as the ingest stores them, in COPY text format: the reference)
//   bench_sync ingest FILE             streams FILE in 64 KiB chunks through the ingest path into the database of
//                                      DATABASE_URL for shop BENCH_SHOP_ID; prints rows, seconds, rows/s and peak RSS
#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "db/database.h"
#include "shopify/bulk_jsonl.h"
#include "shopify/bulk_sync.h"
#include "shopify/catalog_repository.h"
#include "shopify/orders_repository.h"

namespace json = boost::json;
using namespace pagelift;

namespace {

long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

std::string CopyEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out;
}

int Prepare(int n, const std::string& dir, const std::string& shop_id) {
  std::ofstream jsonl(dir + "/products.jsonl");
  std::ofstream copy(dir + "/products.copy");
  shopify::JsonlReassembler reassembler([&](json::object root) {
    auto record = shopify::ProductFromGraphql(std::move(root));
    if (!record) return;
    copy << shop_id << '\t' << CopyEscape(record->product_id) << '\t' << CopyEscape(record->handle) << '\t'
         << CopyEscape(json::serialize(record->data)) << '\t' << record->updated_at << '\n';
  });
  const std::string description(600, 'd');
  for (int i = 1; i <= n; ++i) {
    const std::string gid = fmt::format("gid://shopify/Product/{}", i);
    std::string lines;
    lines += json::serialize(json::object{
                 {"id", gid}, {"handle", fmt::format("product-{}", i)}, {"title", fmt::format("Product {}", i)},
                 {"status", "ACTIVE"}, {"vendor", "Acme"}, {"productType", "Mugs"},
                 {"tags", json::array{"a", "b"}}, {"descriptionHtml", "<p>" + description + "</p>"},
                 {"createdAt", "2026-01-01T00:00:00Z"}, {"updatedAt", "2026-11-01T00:00:00Z"},
                 {"seo", json::object{{"title", nullptr}, {"description", nullptr}}},
                 {"options", json::array{json::object{{"name", "Size"}, {"values", json::array{"S", "M", "L"}}}}}}) +
             "\n";
    for (int v = 0; v < 3; ++v) {
      lines += json::serialize(json::object{{"id", fmt::format("gid://shopify/ProductVariant/{}", i * 10 + v)},
                                            {"title", "S"}, {"sku", fmt::format("SKU-{}-{}", i, v)},
                                            {"price", "19.90"}, {"compareAtPrice", nullptr},
                                            {"inventoryQuantity", 5}, {"__parentId", gid}}) +
               "\n";
      lines += json::serialize(json::object{
                   {"id", fmt::format("gid://shopify/MediaImage/{}", i * 10 + v)}, {"alt", ""},
                   {"mediaContentType", "IMAGE"},
                   {"image", json::object{{"url", fmt::format("https://cdn.example/{}/{}.jpg", i, v)},
                                          {"width", 1200}, {"height", 1200}}},
                   {"__parentId", gid}}) +
               "\n";
    }
    lines += json::serialize(json::object{{"id", fmt::format("gid://shopify/Metafield/{}", i)},
                                          {"namespace", "app--1"}, {"key", "badge"}, {"type", "single_line_text_field"},
                                          {"value", "new"}, {"__parentId", gid}}) +
             "\n";
    jsonl << lines;
    reassembler.Feed(lines);
  }
  reassembler.Finish();
  return 0;
}

int Ingest(const std::string& file) {
  const char* url = std::getenv("DATABASE_URL");
  const char* shop = std::getenv("BENCH_SHOP_ID");
  if (!url || !shop) {
    std::cerr << "DATABASE_URL and BENCH_SHOP_ID are required\n";
    return 2;
  }
  db::Database database(url, 2);
  const shopify::CatalogRepository catalog(database);
  const shopify::OrdersRepository orders(database);
  std::ifstream in(file, std::ios::binary);
  const auto start = std::chrono::steady_clock::now();
  shopify::CacheWriter writer(database, catalog, orders, shop, shopify::SyncKind::kProducts, std::nullopt, 500,
                              1u << 30);
  shopify::JsonlReassembler reassembler([&](json::object root) { writer.Add(std::move(root)); });
  std::string buffer(64 * 1024, '\0');
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    reassembler.Feed(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  reassembler.Finish();
  writer.Flush();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format("rows={} errors={} seconds={:.3f} rows_per_s={:.0f} peak_rss_kb={}\n", writer.written(),
                           writer.errors() + static_cast<long long>(reassembler.errors()), seconds,
                           static_cast<double>(writer.written()) / seconds, PeakRssKb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 1) {
    // bench/run-all runs every bench_* binary without arguments: this one needs the database bench/sync/run sets up.
    std::cout << "bench_sync: run bench/sync/run BUILD_DIR\n";
    return 0;
  }
  const std::string mode = argv[1];
  if (mode == "prepare" && argc == 5) return Prepare(std::atoi(argv[2]), argv[3], argv[4]);
  if (mode == "ingest" && argc == 3) return Ingest(argv[2]);
  std::cerr << "usage: bench_sync prepare N DIR SHOP_ID | bench_sync ingest FILE\n";
  return 2;
}
