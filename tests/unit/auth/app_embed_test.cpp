// The app embed status read from the published theme's settings_data.json (src/api/app_embed.h).
#include "api/app_embed.h"

#include <boost/json.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <sstream>

namespace pagelift::api {
namespace {

namespace json = boost::json;

constexpr const char* kEmbed = "shopify://apps/pagelift/blocks/app-embed/0b9d5c1e-7f0a-4c51-9d3e-5a7c2f1e8b42";
constexpr const char* kApiKey = "4f1c2b0e9d8a7c6b5a4f3e2d1c0b9a88";

AppEmbedStatus FromSettings(const std::string& content) { return AppEmbedFromSettingsData(content, kApiKey); }

std::string SettingsWith(const std::string& blocks) {
  return "/*\n * IMPORTANT: The contents of this file are auto-generated.\n */\n{\"current\": {\"blocks\": {" + blocks +
         "}}}";
}

TEST(AppEmbedTest, AnEnabledBlockOfTheEmbedIsOn) {
  const auto status = FromSettings(SettingsWith(std::string("\"1\": {\"type\": \"") + kEmbed +
                                                            "\", \"disabled\": false, \"settings\": {}}"));
  ASSERT_TRUE(status.enabled.has_value());
  EXPECT_TRUE(*status.enabled);
  EXPECT_TRUE(status.reason.empty());
  // "disabled" absent means on, as in the theme editor.
  EXPECT_EQ(FromSettings(SettingsWith(std::string("\"1\": {\"type\": \"") + kEmbed + "\"}")).enabled, true);
}

TEST(AppEmbedTest, ADisabledOrMissingBlockIsOffWithAReason) {
  const auto off = FromSettings(SettingsWith(std::string("\"1\": {\"type\": \"") + kEmbed +
                                                         "\", \"disabled\": true}"));
  EXPECT_EQ(off.enabled, false);
  EXPECT_NE(off.reason.find("switched off"), std::string::npos) << off.reason;
  const auto never = FromSettings(SettingsWith(""));
  EXPECT_EQ(never.enabled, false);
  EXPECT_NE(never.reason.find("never turned on"), std::string::npos) << never.reason;
}

TEST(AppEmbedTest, OtherAppsBlocksAndOtherBlocksOfThisAppDoNotCount) {
  EXPECT_EQ(FromSettings(SettingsWith(
                "\"1\": {\"type\": \"shopify://apps/other/blocks/chat/11\", \"disabled\": false},"
                "\"2\": {\"type\": \"shopify://apps/pagelift/blocks/app-embedded/22\", \"disabled\": false},"
                "\"3\": {\"type\": \"shopify://apps/pagelift/blocks/size-guide/33\", \"disabled\": false}"))
                .enabled,
            false);
}

// Every app's theme extension may name a block "app-embed": another app's enabled one says nothing about pagelift's.
TEST(AppEmbedTest, AnotherAppsAppEmbedBlockIsNotPagelifts) {
  const std::string other = "\"1\": {\"type\": \"shopify://apps/other-app/blocks/app-embed/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b\", "
                            "\"disabled\": false}";
  const auto alone = FromSettings(SettingsWith(other));
  EXPECT_EQ(alone.enabled, false);
  EXPECT_NE(alone.reason.find("never turned on"), std::string::npos) << alone.reason;
  const auto beside_ours_off =
      FromSettings(SettingsWith(other + ", \"2\": {\"type\": \"" + kEmbed + "\", \"disabled\": true}"));
  EXPECT_EQ(beside_ours_off.enabled, false);
  EXPECT_NE(beside_ours_off.reason.find("switched off"), std::string::npos) << beside_ours_off.reason;
  // With pagelift's on too, it is on.
  EXPECT_EQ(FromSettings(SettingsWith(other + ", \"2\": {\"type\": \"" + kEmbed + "\"}")).enabled, true);
}

TEST(AppEmbedTest, TheAppSegmentIsPageliftsHandleOrClientId) {
  EXPECT_TRUE(IsPageliftEmbedType(kEmbed, kApiKey));
  EXPECT_TRUE(IsPageliftEmbedType(kEmbed, ""));
  EXPECT_TRUE(IsPageliftEmbedType(std::string("shopify://apps/") + kApiKey + "/blocks/app-embed/0b9d5c1e", kApiKey));
  EXPECT_FALSE(IsPageliftEmbedType(std::string("shopify://apps/") + kApiKey + "/blocks/app-embed/0b9d5c1e", ""));
  EXPECT_FALSE(IsPageliftEmbedType("shopify://apps/pagelift-pro/blocks/app-embed/0b9d5c1e", kApiKey));
  EXPECT_FALSE(IsPageliftEmbedType("shopify://apps//blocks/app-embed/0b9d5c1e", ""));
  EXPECT_FALSE(IsPageliftEmbedType("shopify://apps/pagelift/blocks/app-embed/", kApiKey));   // no uuid
  EXPECT_FALSE(IsPageliftEmbedType("shopify://apps/pagelift/blocks/app-embed", kApiKey));
  EXPECT_FALSE(IsPageliftEmbedType("shopify://apps/pagelift/blocks/app-embed/a/b", kApiKey));
  EXPECT_FALSE(IsPageliftEmbedType("shopify://apps/x/pagelift/blocks/app-embed/a", kApiKey));
  EXPECT_FALSE(IsPageliftEmbedType("https://apps/pagelift/blocks/app-embed/a", kApiKey));
}

// kAppHandle is shopify.app.toml's `handle`: a deployment that renames the app there must rename it here too.
TEST(AppEmbedTest, TheHandleIsShopifyAppTomls) {
  std::ifstream toml(std::string(PAGELIFT_SOURCE_DIR) + "/shopify.app.toml");
  ASSERT_TRUE(toml) << "shopify.app.toml not found";
  std::stringstream text;
  text << toml.rdbuf();
  std::smatch match;
  const std::string content = text.str();
  ASSERT_TRUE(std::regex_search(content, match, std::regex(R"re((^|\n)handle\s*=\s*"([^"]*)")re"))) << content;
  EXPECT_EQ(match[2].str(), kAppHandle);
}

TEST(AppEmbedTest, CurrentNamingAPresetIsFollowed) {
  const std::string content = std::string("{\"current\": \"Light\", \"presets\": {\"Light\": {\"blocks\": {\"9\": "
                                          "{\"type\": \"") + kEmbed + "\", \"disabled\": false}}}}}";
  EXPECT_EQ(FromSettings(content).enabled, true);
}

TEST(AppEmbedTest, UnreadableContentIsUnknown) {
  const auto status = FromSettings("{not json");
  EXPECT_FALSE(status.enabled.has_value());
  EXPECT_FALSE(status.reason.empty());
}

TEST(AppEmbedTest, ThemesResponse) {
  const std::string content = SettingsWith(std::string("\"1\": {\"type\": \"") + kEmbed + "\", \"disabled\": false}");
  const json::object data = {
      {"themes",
       {{"nodes", json::array{json::object{
                      {"id", "gid://shopify/OnlineStoreTheme/1"},
                      {"name", "Dawn"},
                      {"files", {{"nodes", json::array{json::object{{"filename", "config/settings_data.json"},
                                                                    {"body", {{"content", content}}}}}}}}}}}}}};
  const auto status = AppEmbedFromThemes(data, kApiKey);
  EXPECT_EQ(status.enabled, true);
  EXPECT_EQ(status.theme_name, "Dawn");

  const json::object no_theme = {{"themes", {{"nodes", json::array{}}}}};
  EXPECT_FALSE(AppEmbedFromThemes(no_theme, kApiKey).enabled.has_value());
}

TEST(AppEmbedTest, EditorDeepLink) {
  EXPECT_EQ(AppEmbedEditorUrl("a.myshopify.com", "key123"),
            "https://a.myshopify.com/admin/themes/current/editor?context=apps&activateAppId=key123/app-embed");
}

}  // namespace
}  // namespace pagelift::api
