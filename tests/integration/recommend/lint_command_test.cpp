// `pagelift lint` as a user runs it (the real binary): a bulk-operation JSONL export with __parentId children, a JSON
// array in the GraphQL shape with connections, a REST export, --json, --settings, a clean catalog (exit 0) and bad
// input (exit 2). No database needed.
#include <gtest/gtest.h>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace pagelift::testing {
namespace {

namespace json = boost::json;

struct RunResult {
  int exit_code = -1;
  std::string out;
};

RunResult RunPagelift(const std::string& arguments) {
  const std::string command = std::string(PAGELIFT_BINARY) + " " + arguments + " 2>/dev/null";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class LintCommandTest : public ::testing::Test {
 protected:
  LintCommandTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("pagelift-lint-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  ~LintCommandTest() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::filesystem::path dir_;
};

// Bulk JSONL as Shopify writes it: the product, then its variants and media on their own lines.
constexpr const char* kBulkJsonl =
    R"({"id":"gid://shopify/Product/1","handle":"crew-tee","title":"CLASSIC CREW TEE","status":"ACTIVE","vendor":"Northwind","productType":"T-Shirts","descriptionHtml":"<p>CLASSIC CREW TEE</p>","seo":{"title":null,"description":null},"options":[{"name":"Size","values":["S","M"]}],"updatedAt":"2026-11-01T00:00:00Z"}
{"id":"gid://shopify/ProductVariant/11","title":"S","price":"25.00","compareAtPrice":"19.99","inventoryQuantity":0,"availableForSale":false,"__parentId":"gid://shopify/Product/1"}
{"id":"gid://shopify/ProductVariant/12","title":"M","price":"25.00","compareAtPrice":"19.99","inventoryQuantity":4,"availableForSale":true,"__parentId":"gid://shopify/Product/1"}
{"id":"gid://shopify/MediaImage/21","alt":"","mediaContentType":"IMAGE","image":{"url":"https://cdn/1.jpg","width":800,"height":800},"__parentId":"gid://shopify/Product/1"}
)";

TEST_F(LintCommandTest, BulkJsonlReportNamesProductsRulesAndFixes) {
  const auto file = Write("products.jsonl", kBulkJsonl);
  const auto result = RunPagelift("lint " + file);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("1 products (1 audited"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("CLASSIC CREW TEE  (gid://shopify/Product/1)"), std::string::npos) << result.out;
  for (const char* rule : {"copy.title_all_caps", "pricing.compare_at_not_higher", "variant_ux.default_variant_sold_out",
                           "accessibility.image_alt_missing", "media.min_images", "copy.description_repeats_title",
                           "variant_ux.size_guide_missing"}) {
    EXPECT_NE(result.out.find(rule), std::string::npos) << rule << "\n" << result.out;
  }
  EXPECT_NE(result.out.find("fix: automatic (media_alt)"), std::string::npos);
  EXPECT_NE(result.out.find("Store health score:"), std::string::npos);
}

TEST_F(LintCommandTest, JsonOutputIsTheReport) {
  const auto file = Write("products.jsonl", kBulkJsonl);
  const auto result = RunPagelift("lint --json " + file);
  EXPECT_EQ(result.exit_code, 1);
  const json::value report = json::parse(result.out);
  EXPECT_EQ(report.at("products_audited"), 1);
  const auto& findings = report.at("products").at(0).at("findings").as_array();
  bool caps = false;
  for (const auto& f : findings) {
    if (f.at("rule_id") == "copy.title_all_caps") {
      caps = true;
      EXPECT_EQ(f.at("patch_payload").at("set").at("title"), "Classic Crew Tee");
      EXPECT_FALSE(f.at("expected_impact").at("source").as_string().empty());
    }
  }
  EXPECT_TRUE(caps);
}

TEST_F(LintCommandTest, GraphqlArrayWithConnectionsAndRestExportsAreRead) {
  const auto graphql = Write("graphql.json", R"([{"id":"gid://shopify/Product/2","title":"Mug","status":"ACTIVE",
    "descriptionHtml":"","variants":{"edges":[{"node":{"id":"gid://shopify/ProductVariant/3","title":"Default Title","price":"0.00"}}]},
    "media":{"nodes":[]}}])");
  auto result = RunPagelift("lint " + graphql);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("pricing.zero_price"), std::string::npos) << result.out;  // variants came through edges
  EXPECT_NE(result.out.find("media.no_images"), std::string::npos) << result.out;

  const auto rest = Write("rest.json", R"({"products":[{"id":5,"handle":"bowl","title":"Bowl","status":"active",
    "body_html":"<p>Bowl</p>","vendor":"","product_type":"","updated_at":"2026-11-01T00:00:00+00:00",
    "variants":[{"id":6,"title":"Default Title","price":"12.00","inventory_quantity":3}],"images":[]}]})");
  result = RunPagelift("lint --json " + rest);
  EXPECT_EQ(result.exit_code, 1);
  const json::value report = json::parse(result.out);
  EXPECT_EQ(report.at("products").at(0).at("product_id"), "gid://shopify/Product/5");
  EXPECT_NE(result.out.find("trust.vendor_missing"), std::string::npos);
}

TEST_F(LintCommandTest, SettingsDisableRulesAndACleanCatalogExitsZero) {
  const auto product = Write("one.json", R"([{"id":"gid://shopify/Product/9","title":"Bowl","status":"DRAFT"}])");
  const auto clean = RunPagelift("lint " + product);  // a draft is not on the storefront: nothing to report
  EXPECT_EQ(clean.exit_code, 0) << clean.out;

  const auto file = Write("products.jsonl", kBulkJsonl);
  const auto settings = Write("settings.json", R"({"audit": {"disabled_rules": ["copy.title_all_caps"]}})");
  const auto result = RunPagelift("lint " + file + " --settings " + settings);
  EXPECT_EQ(result.out.find("copy.title_all_caps"), std::string::npos);
  EXPECT_NE(result.out.find("pricing.compare_at_not_higher"), std::string::npos);
}

TEST_F(LintCommandTest, BadUsageAndUnreadableInputExitTwo) {
  EXPECT_EQ(RunPagelift("lint").exit_code, 2);
  EXPECT_EQ(RunPagelift("lint " + (dir_ / "missing.jsonl").string()).exit_code, 2);
  EXPECT_EQ(RunPagelift("lint " + Write("bad.json", "[{\"id\": ") ).exit_code, 2);
  EXPECT_EQ(RunPagelift("lint --frobnicate x").exit_code, 2);
  const auto help = RunPagelift("lint --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: pagelift lint FILE"), std::string::npos);
}

}  // namespace
}  // namespace pagelift::testing
