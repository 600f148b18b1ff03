// Patches end to end on the simulator, through the HTTP routes: preview → apply three kinds (product fields, media alt
// text, an app-owned metafield) → the simulator holds the change → rollback → the simulator's product and metafields
// are byte-for-byte what they were. Conflicts (the merchant edited the product after the audit) are 409 and leave a
// re-audit job; allow_write_products=false is a 403; versions stack per target and roll back newest first only; a
// session token of shop A reaches nothing of shop B.
#include "integration/patches/patches_harness.h"

namespace pagelift::testing {
namespace {

class PatchesTest : public PatchesHarness {};

json::object Find(const json::array& changes, const std::string& field) {
  for (const auto& change : changes) {
    if (change.at("field").as_string() == field) return change.as_object();
  }
  return {};
}

TEST_F(PatchesTest, ThreeKindsApplyAndRollBackToTheIdenticalSimulatorState) {
  const std::string shop_id = Install(kShopA);
  SetSettings(shop_id, R"({"allow_write_products": true})");
  const json::object product = ProductWithMedia(kShopA);
  const std::string gid(product.at("id").as_string());
  const std::string media_gid(product.at("media").at("nodes").as_array()[0].at("id").as_string());
  const json::value old_alt = product.at("media").at("nodes").as_array()[0].at("alt");
  const std::string product_before = ProductBytes(kShopA, gid);
  const std::string metafields_before = MetafieldBytes(kShopA);
  const std::size_t metafield_count = SimState(kShopA).at("metafields").as_array().size();

  const std::string copy = Seed(shop_id, ProductUpdate(product, {{"title", product.at("title")}},
                                                       {{"title", "Hand-thrown stoneware mug, 350 ml"},
                                                        {"seo", {{"title", "Stoneware mug"}, {"description", "A mug."}}}}));
  const std::string alt = Seed(shop_id, {{"kind", "media_alt"}, {"target", "product:" + gid}, {"product_id", gid},
                                         {"expected", {{media_gid, old_alt}}},
                                         {"set", {{media_gid, "Stoneware mug on an oak table"}}}});
  const std::string badges =
      Seed(shop_id, MetafieldsSet(gid, "trust_badges", {{"badges", json::array{{{"label", "Free shipping"}}}}}), "trust");

  // Preview says exactly what will change, read live.
  const auto preview = Call(kShopA, "GET", "/api/recommendations/" + copy + "/preview");
  ASSERT_EQ(preview.status, 200) << preview.body;
  const json::object preview_body = Body(preview);
  const auto& changes = preview_body.at("preview").at("changes").as_array();
  EXPECT_EQ(Find(changes, "title").at("before"), product.at("title"));
  EXPECT_EQ(Find(changes, "title").at("after"), "Hand-thrown stoneware mug, 350 ml");
  EXPECT_EQ(Find(changes, "seo.title").at("after"), "Stoneware mug");
  EXPECT_TRUE(Body(preview).at("preview").at("conflicts").as_array().empty());
  EXPECT_EQ(ProductBytes(kShopA, gid), product_before) << "a preview writes nothing";

  for (const auto& id : {copy, alt, badges}) {
    const auto applied = Call(kShopA, "POST", "/api/recommendations/" + id + "/apply");
    ASSERT_EQ(applied.status, 200) << applied.body;
    EXPECT_EQ(Body(applied).at("patch").at("status"), "applied");
  }
  const json::object changed = Product(kShopA, gid);
  EXPECT_EQ(changed.at("title"), "Hand-thrown stoneware mug, 350 ml");
  EXPECT_EQ(changed.at("seo").at("description"), "A mug.");
  EXPECT_EQ(changed.at("media").at("nodes").as_array()[0].at("alt"), "Stoneware mug on an oak table");
  const auto metafields = SimState(kShopA).at("metafields").as_array();
  ASSERT_EQ(metafields.size(), metafield_count + 1);
  EXPECT_EQ(json::parse(metafields.back().at("value").as_string()).at("badges").as_array()[0].at("label"), "Free shipping");
  EXPECT_EQ(Count("SELECT count(*) FROM recommendations WHERE status = 'applied'"), 3);

  // Listed newest first; the two product patches stack on one target.
  const auto listed = Call(kShopA, "GET", "/api/patches");
  ASSERT_EQ(listed.status, 200);
  const json::object listed_body = Body(listed);
  const auto& patches = listed_body.at("patches").as_array();
  ASSERT_EQ(patches.size(), 3u);
  std::map<std::string, std::string> patch_of;  // recommendation → patch
  for (const auto& patch : patches) {
    patch_of[std::string(patch.at("recommendation_id").as_string())] = patch.at("id").as_string();
  }
  EXPECT_EQ(Count("SELECT max(version) FROM patches WHERE applied_to = 'product:" + gid + "'"), 2);

  // Newest first on the product target: the alt patch (v2), then the copy patch (v1).
  for (const auto& id : {badges, alt, copy}) {
    const auto rolled_back = Call(kShopA, "POST", "/api/patches/" + patch_of[id] + "/rollback");
    ASSERT_EQ(rolled_back.status, 200) << rolled_back.body;
    EXPECT_EQ(Body(rolled_back).at("patch").at("status"), "rolled_back");
  }
  EXPECT_EQ(ProductBytes(kShopA, gid), product_before);
  EXPECT_EQ(MetafieldBytes(kShopA), metafields_before);
  EXPECT_EQ(Count("SELECT count(*) FROM recommendations WHERE status = 'pending'"), 3);

  // Every change is in the audit trail: who, what, why.
  const auto trail = Call(kShopA, "GET", "/api/audit-trail");
  ASSERT_EQ(trail.status, 200);
  int applies = 0;
  int rollbacks = 0;
  const json::object trail_body = Body(trail);
  for (const auto& entry : trail_body.at("entries").as_array()) {
    EXPECT_EQ(entry.at("actor"), "merchant");
    EXPECT_FALSE(entry.at("reason").as_string().empty());
    if (entry.at("action") == "apply") ++applies;
    if (entry.at("action") == "rollback") ++rollbacks;
  }
  EXPECT_EQ(applies, 3);
  EXPECT_EQ(rollbacks, 3);
}

TEST_F(PatchesTest, AProductEditedAfterTheAuditIsAConflictAndIsReaudited) {
  const std::string shop_id = Install(kShopA);
  SetSettings(shop_id, R"({"allow_write_products": true})");
  const json::object product = ProductWithMedia(kShopA, 1);
  const std::string gid(product.at("id").as_string());
  const std::string id = Seed(shop_id, ProductUpdate(product, {{"title", product.at("title")}}, {{"title", "Ours"}}));
  EditAsMerchant(kShopA, gid, {{"title", "The merchant's own title"}});
  const std::string edited = ProductBytes(kShopA, gid);

  const auto preview = Call(kShopA, "GET", "/api/recommendations/" + id + "/preview");
  ASSERT_EQ(preview.status, 200);
  EXPECT_EQ(Body(preview).at("preview").at("conflicts").as_array().size(), 1u);

  const auto applied = Call(kShopA, "POST", "/api/recommendations/" + id + "/apply");
  ASSERT_EQ(applied.status, 409) << applied.body;
  const json::value conflict = Body(applied).at("error").at("details").at("conflicts").as_array()[0];
  EXPECT_EQ(conflict.at("field"), "title");
  EXPECT_EQ(conflict.at("current"), "The merchant's own title");
  EXPECT_EQ(ProductBytes(kShopA, gid), edited) << "nothing written";
  EXPECT_EQ(Count("SELECT count(*) FROM patches"), 0);
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + id + "'"), "pending");
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE kind = 'recommend_audit' AND shop_id = '" + shop_id + "'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_trail WHERE action = 'refused_conflict'"), 1);
}

TEST_F(PatchesTest, ProductWritesAreRefusedWhenTheShopDoesNotAllowThem) {
  const std::string shop_id = Install(kShopA);  // default settings: allow_write_products = false
  const json::object product = ProductWithMedia(kShopA, 2);
  const std::string gid(product.at("id").as_string());
  const std::string before = ProductBytes(kShopA, gid);
  const std::string id = Seed(shop_id, ProductUpdate(product, {}, {{"title", "Not allowed"}}));

  const auto applied = Call(kShopA, "POST", "/api/recommendations/" + id + "/apply");
  ASSERT_EQ(applied.status, 403) << applied.body;
  EXPECT_NE(Body(applied).at("error").at("message").as_string().find("allow_write_products"), std::string::npos);
  EXPECT_EQ(ProductBytes(kShopA, gid), before);
  EXPECT_EQ(Count("SELECT count(*) FROM patches"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_trail WHERE action = 'refused_not_allowed'"), 1);
  const auto preview = Call(kShopA, "GET", "/api/recommendations/" + id + "/preview");
  ASSERT_EQ(preview.status, 200);
  EXPECT_EQ(Body(preview).at("preview").at("allowed"), false);

  // App-owned metafields are pagelift's own data: still allowed.
  const std::string block = Seed(shop_id, MetafieldsSet(gid, "shipping_returns", {{"shipping", "Ships in 2 days"}}), "trust");
  EXPECT_EQ(Call(kShopA, "POST", "/api/recommendations/" + block + "/apply").status, 200);
}

TEST_F(PatchesTest, VersionsStackAndRollBackNewestFirstOnly) {
  const std::string shop_id = Install(kShopA);
  SetSettings(shop_id, R"({"allow_write_products": true})");
  const json::object product = ProductWithMedia(kShopA, 3);
  const std::string gid(product.at("id").as_string());
  const std::string original = ProductBytes(kShopA, gid);
  std::vector<std::string> patch_ids;
  json::value previous = product.at("title");
  for (const std::string title : {"One", "Two", "Three"}) {
    const std::string id = Seed(shop_id, ProductUpdate(product, {{"title", previous}}, {{"title", title}}));
    const auto applied = Call(kShopA, "POST", "/api/recommendations/" + id + "/apply");
    ASSERT_EQ(applied.status, 200) << applied.body;
    EXPECT_EQ(Body(applied).at("patch").at("version"), static_cast<std::int64_t>(patch_ids.size() + 1));
    patch_ids.emplace_back(Body(applied).at("patch").at("id").as_string());
    previous = json::string(title);
  }
  EXPECT_EQ(Product(kShopA, gid).at("title"), "Three");

  // The middle version while v3 is live: refused, with the reason, nothing changed.
  const auto middle = Call(kShopA, "POST", "/api/patches/" + patch_ids[1] + "/rollback");
  ASSERT_EQ(middle.status, 409) << middle.body;
  EXPECT_NE(Body(middle).at("error").at("message").as_string().find("v3"), std::string::npos);
  EXPECT_EQ(Product(kShopA, gid).at("title"), "Three");

  const char* expected_after[] = {"Two", "One"};
  for (int i = 2; i >= 1; --i) {
    const auto rolled_back = Call(kShopA, "POST", "/api/patches/" + patch_ids[i] + "/rollback");
    ASSERT_EQ(rolled_back.status, 200) << rolled_back.body;
    EXPECT_EQ(Product(kShopA, gid).at("title"), expected_after[2 - i]);
  }
  ASSERT_EQ(Call(kShopA, "POST", "/api/patches/" + patch_ids[0] + "/rollback").status, 200);
  EXPECT_EQ(ProductBytes(kShopA, gid), original);
  EXPECT_EQ(Call(kShopA, "POST", "/api/patches/" + patch_ids[0] + "/rollback").status, 409) << "already rolled back";

  // A rollback never overwrites a later edit by the merchant.
  const std::string again = Seed(shop_id, ProductUpdate(product, {}, {{"title", "Four"}}));
  const auto applied = Call(kShopA, "POST", "/api/recommendations/" + again + "/apply");
  ASSERT_EQ(applied.status, 200);
  EditAsMerchant(kShopA, gid, {{"title", "Merchant wins"}});
  const auto refused = Call(kShopA, "POST", "/api/patches/" + std::string(Body(applied).at("patch").at("id").as_string()) + "/rollback");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(Product(kShopA, gid).at("title"), "Merchant wins");
}

TEST_F(PatchesTest, GuidedPatchesReturnStepsAndWriteNothing) {
  const std::string shop_id = Install(kShopA);
  const std::string id = Seed(shop_id, {{"kind", "guided"}, {"target", "theme:app_embed"},
                                        {"steps", json::array{"Open the theme editor", "Turn on pagelift"}},
                                        {"deep_link", "https://patch-a.myshopify.com/admin/themes/current/editor"}});
  const auto applied = Call(kShopA, "POST", "/api/recommendations/" + id + "/apply");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(Body(applied).at("guided").at("steps").as_array().size(), 2u);
  EXPECT_EQ(Count("SELECT count(*) FROM patches"), 0);
}

TEST_F(PatchesTest, BadIdsAreNotFoundAndUnapplyableRecommendationsAreConflicts) {
  const std::string shop_id = Install(kShopA);
  EXPECT_EQ(Call(kShopA, "POST", "/api/recommendations/not-a-uuid/apply").status, 404);
  EXPECT_EQ(Call(kShopA, "POST", "/api/patches/00000000-0000-0000-0000-000000000000/rollback").status, 404);
  EXPECT_EQ(Call(kShopA, "GET", "/api/audit-trail?limit=0").status, 400);
  const std::string broken = Seed(shop_id, {{"kind", "teleport"}, {"target", "product:x"}});
  const auto applied = Call(kShopA, "POST", "/api/recommendations/" + broken + "/apply");
  EXPECT_EQ(applied.status, 409) << applied.body;
}

TEST_F(PatchesTest, AShopsTokenReachesNothingOfAnotherShop) {
  const std::string shop_a = Install(kShopA);
  const std::string shop_b = Install(kShopB);
  SetSettings(shop_a, R"({"allow_write_products": true})");
  SetSettings(shop_b, R"({"allow_write_products": true})");
  const json::object product = ProductWithMedia(kShopB);
  const std::string gid(product.at("id").as_string());
  const std::string rec_b = Seed(shop_b, ProductUpdate(product, {}, {{"title", "B's patch"}}));
  const std::string before = ProductBytes(kShopB, gid);

  // A's token on B's recommendation: not found, nothing written.
  EXPECT_EQ(Call(kShopA, "GET", "/api/recommendations/" + rec_b + "/preview").status, 404);
  EXPECT_EQ(Call(kShopA, "POST", "/api/recommendations/" + rec_b + "/apply").status, 404);
  EXPECT_EQ(ProductBytes(kShopB, gid), before);
  EXPECT_EQ(Scalar("SELECT status FROM recommendations WHERE id = '" + rec_b + "'"), "pending");

  // B applies; A can neither see nor roll back B's patch, nor read B's trail.
  const auto applied = Call(kShopB, "POST", "/api/recommendations/" + rec_b + "/apply");
  ASSERT_EQ(applied.status, 200) << applied.body;
  const std::string patch_b(Body(applied).at("patch").at("id").as_string());
  EXPECT_EQ(Call(kShopA, "POST", "/api/patches/" + patch_b + "/rollback").status, 404);
  EXPECT_EQ(Call(kShopA, "GET", "/api/patches/" + patch_b).status, 404);
  EXPECT_TRUE(Body(Call(kShopA, "GET", "/api/patches")).at("patches").as_array().empty());
  EXPECT_TRUE(Body(Call(kShopA, "GET", "/api/audit-trail")).at("entries").as_array().empty());
  EXPECT_EQ(Product(kShopB, gid).at("title"), "B's patch");
  EXPECT_EQ(Scalar("SELECT status FROM patches WHERE id = '" + patch_b + "'"), "applied");
  // Naming shop B in the query with A's token is refused outright.
  EXPECT_EQ(Call(kShopA, "GET", std::string("/api/patches?shop=") + kShopB).status, 403);
  EXPECT_EQ(Call(kShopB, "GET", "/api/patches/" + patch_b).status, 200);
}

}  // namespace
}  // namespace pagelift::testing
