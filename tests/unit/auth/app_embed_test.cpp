// The app embed status read from the published theme's settings_data.json (src/api/app_embed.h).
#include "api/app_embed.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace pagelift::api {
namespace {

namespace json = boost::json;

constexpr const char* kEmbed = "shopify://apps/pagelift/blocks/app-embed/0b9d5c1e-7f0a-4c51-9d3e-5a7c2f1e8b42";

std::string SettingsWith(const std::string& blocks) {
  return "/*\n * IMPORTANT: The contents of this file are auto-generated.\n */\n{\"current\": {\"blocks\": {" + blocks +
         "}}}";
}

TEST(AppEmbedTest, AnEnabledBlockOfTheEmbedIsOn) {
  const auto status = AppEmbedFromSettingsData(SettingsWith(std::string("\"1\": {\"type\": \"") + kEmbed +
                                                            "\", \"disabled\": false, \"settings\": {}}"));
  ASSERT_TRUE(status.enabled.has_value());
  EXPECT_TRUE(*status.enabled);
  EXPECT_TRUE(status.reason.empty());
  // "disabled" absent means on, as in the theme editor.
  EXPECT_EQ(AppEmbedFromSettingsData(SettingsWith(std::string("\"1\": {\"type\": \"") + kEmbed + "\"}")).enabled, true);
}

TEST(AppEmbedTest, ADisabledOrMissingBlockIsOffWithAReason) {
  const auto off = AppEmbedFromSettingsData(SettingsWith(std::string("\"1\": {\"type\": \"") + kEmbed +
                                                         "\", \"disabled\": true}"));
  EXPECT_EQ(off.enabled, false);
  EXPECT_NE(off.reason.find("switched off"), std::string::npos) << off.reason;
  const auto never = AppEmbedFromSettingsData(SettingsWith(""));
  EXPECT_EQ(never.enabled, false);
  EXPECT_NE(never.reason.find("never turned on"), std::string::npos) << never.reason;
}

TEST(AppEmbedTest, OtherAppsBlocksAndOtherBlocksOfThisAppDoNotCount) {
  EXPECT_EQ(AppEmbedFromSettingsData(SettingsWith(
                "\"1\": {\"type\": \"shopify://apps/other/blocks/chat/11\", \"disabled\": false},"
                "\"2\": {\"type\": \"shopify://apps/pagelift/blocks/app-embedded/22\", \"disabled\": false},"
                "\"3\": {\"type\": \"shopify://apps/pagelift/blocks/size-guide/33\", \"disabled\": false}"))
                .enabled,
            false);
}

TEST(AppEmbedTest, CurrentNamingAPresetIsFollowed) {
  const std::string content = std::string("{\"current\": \"Light\", \"presets\": {\"Light\": {\"blocks\": {\"9\": "
                                          "{\"type\": \"") + kEmbed + "\", \"disabled\": false}}}}}";
  EXPECT_EQ(AppEmbedFromSettingsData(content).enabled, true);
}

TEST(AppEmbedTest, UnreadableContentIsUnknown) {
  const auto status = AppEmbedFromSettingsData("{not json");
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
  const auto status = AppEmbedFromThemes(data);
  EXPECT_EQ(status.enabled, true);
  EXPECT_EQ(status.theme_name, "Dawn");

  const json::object no_theme = {{"themes", {{"nodes", json::array{}}}}};
  EXPECT_FALSE(AppEmbedFromThemes(no_theme).enabled.has_value());
}

TEST(AppEmbedTest, EditorDeepLink) {
  EXPECT_EQ(AppEmbedEditorUrl("a.myshopify.com", "key123"),
            "https://a.myshopify.com/admin/themes/current/editor?context=apps&activateAppId=key123/app-embed");
}

}  // namespace
}  // namespace pagelift::api
