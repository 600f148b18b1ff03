// Golden-file test of the whole audit on the simulator's seeded catalog (seed 1): the findings of the first 60 products
// in full (one finding per line, so a change shows as a readable diff) and the per-rule counts over 300 products.
// Regenerate after an intended change with PAGELIFT_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "recommend/audit.h"
#include "seeded_catalog.h"

namespace pagelift::recommend {
namespace {

namespace json = boost::json;

std::string GoldenPath(std::string_view name) {
  return std::string(PAGELIFT_SOURCE_DIR) + "/tests/unit/recommend/golden/" + std::string(name);
}

void CompareWithGolden(std::string_view name, const std::string& actual) {
  const std::string path = GoldenPath(name);
  if (const char* update = std::getenv("PAGELIFT_UPDATE_GOLDEN"); update && std::string_view(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "golden file rewritten: " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with PAGELIFT_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return;
  // Point at the first differing line rather than dumping megabytes.
  std::istringstream a(actual), e(expected.str());
  std::string line_a, line_e;
  for (int n = 1;; ++n) {
    const bool more_a = static_cast<bool>(std::getline(a, line_a));
    const bool more_e = static_cast<bool>(std::getline(e, line_e));
    if (!more_a && !more_e) break;
    if (line_a != line_e || more_a != more_e) {
      FAIL() << name << " differs at line " << n << "\n  expected: " << line_e << "\n  actual:   " << line_a;
    }
  }
}

AuditConfig GoldenConfig() {
  AuditConfig config;
  config.shop_domain = "golden-shop.myshopify.com";
  config.api_key = "golden-api-key";
  return config;
}

TEST(AuditGolden, SeededCatalogFindings) {
  const auto products = testing::SeededCatalogData(1, 60);
  ASSERT_EQ(products.size(), 60u);
  const auto report = Auditor(GoldenConfig()).AuditCatalog(products, ShopFacts{false});
  std::string out;
  for (const auto& product : report.products) {
    for (const auto& finding : product.findings) out += json::serialize(FindingToJson(finding)) + "\n";
  }
  for (const auto& finding : report.shop_findings) out += json::serialize(FindingToJson(finding)) + "\n";
  CompareWithGolden("seed1_60_findings.jsonl", out);
}

TEST(AuditGolden, SeededCatalogRuleCounts) {
  const auto products = testing::SeededCatalogData(1, 300);
  const auto report = Auditor(GoldenConfig()).AuditCatalog(products, ShopFacts{false});
  std::map<std::string, int> counts;
  for (const auto& rule : Rules()) counts[std::string(rule.id)] = 0;
  std::size_t audited = 0;
  for (const auto& product : report.products) {
    audited += product.audited ? 1 : 0;
    for (const auto& finding : product.findings) ++counts[std::string(finding.rule->id)];
  }
  for (const auto& finding : report.shop_findings) ++counts[std::string(finding.rule->id)];
  std::string out = "products " + std::to_string(report.products.size()) + "\naudited " + std::to_string(audited) + "\n";
  for (const auto& [id, n] : counts) out += id + " " + std::to_string(n) + "\n";
  CompareWithGolden("seed1_300_counts.txt", out);
  // The simulator plants each kind of problem on part of the catalog, never on all of it.
  EXPECT_GT(counts["accessibility.image_alt_missing"], 0);
  EXPECT_LT(counts["accessibility.image_alt_missing"], static_cast<int>(audited));
}

TEST(AuditGolden, AuditIsDeterministic) {
  const auto products = testing::SeededCatalogData(7, 40);
  const auto a = json::serialize(ReportToJson(Auditor(GoldenConfig()).AuditCatalog(products, ShopFacts{true})));
  const auto b = json::serialize(ReportToJson(Auditor(GoldenConfig()).AuditCatalog(products, ShopFacts{true})));
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace pagelift::recommend
