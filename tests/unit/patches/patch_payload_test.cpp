// recommend/patch_payload.h without I/O: which payloads are accepted (and the field named when not), the state a patch
// touches, drift against what the audit saw, before/after, and the Admin write that makes a state true — including
// the rollback of a metafield that did not exist (a delete) and of an SEO field that was unset (null).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "recommend/patch_payload.h"

namespace pagelift::recommend {
namespace {

namespace json = boost::json;

constexpr const char* kProduct = "gid://shopify/Product/7";

json::object ProductPayload(json::object expected, json::object set) {
  return {{"kind", "product_update"}, {"target", std::string("product:") + kProduct}, {"product_id", kProduct},
          {"expected", std::move(expected)}, {"set", std::move(set)}};
}

json::object ReadProduct(json::value title, json::value seo_title) {
  return {{"product",
           {{"id", kProduct},
            {"title", title},
            {"descriptionHtml", "<p>x</p>"},
            {"seo", {{"title", seo_title}, {"description", nullptr}}}}}};
}

std::string FieldOf(const Result<PatchPayload>& parsed) {
  return std::string(parsed.error().details.at("field").as_string());
}

TEST(PatchPayloadTest, RejectsWhatItCannotCarryOutNamingTheField) {
  EXPECT_EQ(FieldOf(ParsePatchPayload(json::value(nullptr))), "patch_payload");
  EXPECT_EQ(FieldOf(ParsePatchPayload(json::object{{"kind", "teleport"}, {"target", "x:y"}})), "patch_payload.kind");
  EXPECT_EQ(FieldOf(ParsePatchPayload(ProductPayload({}, {{"vendor", "Acme"}}))), "patch_payload.set.vendor");
  EXPECT_EQ(FieldOf(ParsePatchPayload(ProductPayload({}, {}))), "patch_payload.set");
  EXPECT_EQ(FieldOf(ParsePatchPayload(ProductPayload({}, {{"seo", {{"keywords", "a"}}}}))), "patch_payload.set.seo.keywords");
  json::object metafield{{"kind", "metafields_set"}, {"target", "metafield:x"}, {"owner_id", kProduct},
                         {"namespace", "custom"}, {"key", "trust_badges"}, {"type", "json"}, {"value", json::object{}}};
  EXPECT_EQ(FieldOf(ParsePatchPayload(metafield)), "patch_payload.namespace") << "only app-owned metafields";
  metafield["namespace"] = "$app";
  EXPECT_TRUE(ParsePatchPayload(metafield).ok());
  EXPECT_EQ(FieldOf(ParsePatchPayload(json::object{{"kind", "guided"}, {"target", "theme:x"}, {"steps", json::array{}}})),
            "patch_payload.steps");
}

TEST(PatchPayloadTest, ProductStateDriftAndAWriteThatRestoresAnUnsetSeoTitle) {
  auto patch = ParsePatchPayload(ProductPayload({{"title", "Old"}}, {{"title", "New"}, {"seo", {{"title", "SEO"}}}}));
  ASSERT_TRUE(patch.ok()) << patch.error().message;
  EXPECT_EQ(ReadOperation(*patch), "ProductForPatch");
  auto before = StateFromRead(*patch, ReadProduct("Old", nullptr));
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(json::serialize(*before), R"({"title":"Old","seo":{"title":null}})");
  EXPECT_TRUE(Drift(patch->expected, *before).empty());
  auto edited = StateFromRead(*patch, ReadProduct("Edited", nullptr));
  ASSERT_EQ(Drift(patch->expected, *edited).size(), 1u);

  const auto after = PatchedState(*patch, *before);
  EXPECT_EQ(json::serialize(after), R"({"title":"New","seo":{"title":"SEO"}})");
  const auto changes = Changes(*patch, *before, after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].at("field"), "seo.title");

  const auto rollback = WriteFor(*patch, *before);
  EXPECT_EQ(rollback.operation, "ProductUpdate");
  EXPECT_EQ(json::serialize(rollback.variables),
            std::string(R"({"product":{"title":"Old","seo":{"title":null},"id":")") + kProduct + R"("}})");
}

TEST(PatchPayloadTest, EmptyAndNullCountAsTheSameValue) {
  EXPECT_TRUE(Drift({{"seo", {{"title", ""}}}}, {{"seo", {{"title", nullptr}}}}).empty());
  EXPECT_TRUE(SameState({{"a", nullptr}}, {}));
  EXPECT_FALSE(SameState({{"a", "x"}}, {}));
}

TEST(PatchPayloadTest, MediaAltNeedsTheMediaToStillExist) {
  auto patch = ParsePatchPayload(json::object{{"kind", "media_alt"}, {"target", "product:x"}, {"product_id", kProduct},
                                              {"set", {{"gid://shopify/MediaImage/2", "A mug"}}}});
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(ReadOperation(*patch), "MediaForPatch");
  EXPECT_EQ(json::serialize(ReadVariables(*patch)), R"({"ids":["gid://shopify/MediaImage/2"]})");
  auto found = StateFromRead(*patch, json::object{{"nodes", json::array{{{"id", "gid://shopify/MediaImage/2"}, {"alt", ""}}}}});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(json::serialize(*found), R"({"gid://shopify/MediaImage/2":""})");
  auto state = StateFromRead(*patch, json::object{{"nodes", json::array{nullptr}}});
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().code, ErrorCode::kConflict);
  auto gone = StateFromRead(ParsePatchPayload(ProductPayload({}, {{"title", "x"}})).value(), json::object{{"product", nullptr}});
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST(PatchPayloadTest, AMetafieldThatDidNotExistIsRolledBackByDeletingIt) {
  auto patch = ParsePatchPayload(json::object{{"kind", "metafields_set"}, {"target", "metafield:x"}, {"owner_id", kProduct},
                                              {"namespace", "$app"}, {"key", "low_stock"}, {"type", "json"},
                                              {"value", {{"threshold", 5}}}});
  ASSERT_TRUE(patch.ok());
  auto before = StateFromRead(*patch, json::object{{"node", {{"id", kProduct}, {"metafield", nullptr}}}});
  ASSERT_TRUE(before.ok());
  const auto set = WriteFor(*patch, PatchedState(*patch, *before));
  EXPECT_EQ(set.operation, "MetafieldsSet");
  EXPECT_EQ(set.variables.at("metafields").as_array()[0].at("value"), R"({"threshold":5})");
  EXPECT_EQ(WriteFor(*patch, *before).operation, "MetafieldsDelete");
  // Read back after a set: the JSON text parses to the same state.
  auto read = StateFromRead(*patch, json::object{{"node", {{"id", kProduct},
                                                           {"metafield", {{"type", "json"}, {"value", R"({"threshold": 5})"}}}}}});
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(SameState(*read, PatchedState(*patch, *before)));
}

}  // namespace
}  // namespace pagelift::recommend
