// JSONL reassembly of bulk operation results: children linked by __parentId, in any chunking of the bytes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "shopify/bulk_jsonl.h"

namespace pagelift::shopify {
namespace {
namespace json = boost::json;

const std::string kFile =
    R"({"id":"gid://shopify/Product/1","handle":"a"})" "\n"
    R"({"id":"gid://shopify/ProductVariant/11","title":"S","__parentId":"gid://shopify/Product/1"})" "\n"
    R"({"id":"gid://shopify/ProductVariant/12","title":"M","__parentId":"gid://shopify/Product/1"})" "\n"
    R"({"id":"gid://shopify/MediaImage/13","alt":"x","__parentId":"gid://shopify/Product/1"})" "\n"
    R"({"id":"gid://shopify/Product/2","handle":"b"})" "\n"
    R"({"id":"gid://shopify/Product/3","handle":"c"})" "\n"
    R"({"id":"gid://shopify/Metafield/31","key":"k","__parentId":"gid://shopify/Product/3"})" "\n";

std::vector<json::object> Reassemble(const std::string& bytes, std::size_t chunk, std::size_t* errors = nullptr) {
  std::vector<json::object> roots;
  JsonlReassembler reassembler([&](json::object root) { roots.push_back(std::move(root)); });
  for (std::size_t i = 0; i < bytes.size(); i += chunk) reassembler.Feed(std::string_view(bytes).substr(i, chunk));
  reassembler.Finish();
  if (errors) *errors = reassembler.errors();
  return roots;
}

TEST(JsonlReassembler, GroupsChildrenUnderTheirParentAcrossParents) {
  std::size_t errors = 0;
  const auto roots = Reassemble(kFile, kFile.size(), &errors);
  ASSERT_EQ(roots.size(), 3u);
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(roots[0].at("handle"), "a");
  ASSERT_EQ(roots[0].at("variants").as_array().size(), 2u);
  EXPECT_EQ(roots[0].at("variants").as_array()[1].at("title"), "M");
  EXPECT_FALSE(roots[0].at("variants").as_array()[0].as_object().contains("__parentId"));
  EXPECT_EQ(roots[0].at("media").as_array().size(), 1u);
  EXPECT_FALSE(roots[1].contains("variants"));
  EXPECT_EQ(roots[2].at("metafields").as_array()[0].at("key"), "k");
}

TEST(JsonlReassembler, AnyChunkingGivesTheSameObjects) {
  const auto whole = Reassemble(kFile, kFile.size());
  for (std::size_t chunk : {1u, 2u, 7u, 64u}) {
    EXPECT_EQ(Reassemble(kFile, chunk), whole) << "chunk " << chunk;
  }
}

TEST(JsonlReassembler, LastLineWithoutNewlineAndCrlf) {
  const std::string bytes = "{\"id\":\"gid://shopify/Order/1\"}\r\n"
                            "{\"id\":\"gid://shopify/LineItem/5\",\"__parentId\":\"gid://shopify/Order/1\"}";
  const auto roots = Reassemble(bytes, 5);
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0].at("lineItems").as_array().size(), 1u);
}

TEST(JsonlReassembler, OrphansAndMalformedLinesAreCountedAndSkipped) {
  const std::string bytes =
      "{\"id\":\"gid://shopify/ProductVariant/9\",\"__parentId\":\"gid://shopify/Product/0\"}\n"  // before any parent
      "{\"id\":\"gid://shopify/Product/1\"}\n"
      "not json\n"
      "{\"id\":\"gid://shopify/ProductVariant/8\",\"__parentId\":\"gid://shopify/Product/7\"}\n"  // someone else's
      "{\"id\":\"gid://shopify/ProductVariant/7\",\"__parentId\":\"gid://shopify/Product/1\"}\n";
  std::size_t errors = 0;
  const auto roots = Reassemble(bytes, 3, &errors);
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(errors, 3u);
  EXPECT_EQ(roots[0].at("variants").as_array().size(), 1u);
}

TEST(JsonlReassembler, GrandchildrenAttachToTheirOwnParent) {
  const std::string bytes =
      "{\"id\":\"gid://shopify/Product/1\"}\n"
      "{\"id\":\"gid://shopify/ProductVariant/2\",\"__parentId\":\"gid://shopify/Product/1\"}\n"
      "{\"id\":\"gid://shopify/Metafield/3\",\"__parentId\":\"gid://shopify/ProductVariant/2\"}\n";
  const auto roots = Reassemble(bytes, bytes.size());
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0].at("variants").as_array()[0].at("metafields").as_array().size(), 1u);
  EXPECT_FALSE(roots[0].contains("metafields"));
}

TEST(JsonlReassembler, MemoryDoesNotGrowWithTheFile) {
  std::size_t roots = 0;
  std::size_t most_buffered = 0;
  JsonlReassembler reassembler([&](json::object) { ++roots; });
  const std::string line = "{\"id\":\"gid://shopify/Product/1\",\"title\":\"" + std::string(200, 'x') + "\"}\n";
  for (int i = 0; i < 20000; ++i) {
    reassembler.Feed(std::string_view(line).substr(0, 100));
    reassembler.Feed(std::string_view(line).substr(100));
    most_buffered = std::max(most_buffered, reassembler.buffered());
  }
  reassembler.Finish();
  EXPECT_EQ(roots, 20000u);
  EXPECT_LE(most_buffered, line.size());
}

TEST(Gid, TypesAndCollections) {
  EXPECT_EQ(GidType("gid://shopify/ProductVariant/12"), "ProductVariant");
  EXPECT_EQ(GidType("12"), "");
  EXPECT_EQ(ChildCollection("ProductVariant"), "variants");
  EXPECT_EQ(ChildCollection("Video"), "media");
  EXPECT_EQ(ChildCollection("LineItem"), "lineItems");
  EXPECT_EQ(ChildCollection("Collection"), "collections");
}

}  // namespace
}  // namespace pagelift::shopify
