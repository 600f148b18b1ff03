// Whether a shop's published theme has pagelift's app embed switched on, read the way Shopify expects an app to: the
// MAIN theme's config/settings_data.json through the Admin GraphQL API (src/shopify/graphql/MainThemeSettings.graphql,
// read_themes scope). App embeds live under "current" → "blocks" (or, when "current" names a preset, under that
// preset) as {"type": "shopify://apps/{app}/blocks/{block}/{extension uuid}", "disabled": bool}; pagelift's embed is
// the block "app-embed" of its theme extension (extensions/pagelift-theme/blocks/app-embed.liquid). Every app's theme
// extension may have a block of that name, so the block handle alone says nothing: {app} must be pagelift's too.
// {app} is the app's handle (shopify.app.toml `handle`; handles are unique across Shopify), and some stores hold the
// app's client id (SHOPIFY_API_KEY) there instead, so either is pagelift's. The extension uuid is Shopify's per app
// registration (it is not in the repository), so it is not compared: the app segment already names one app.
//
// AppEmbedChecker caches each shop's answer (a minute when known, less when the check failed) so that /api/shop costs
// one Admin API call per shop and minute at most. A failed check is an answer too: enabled = nullopt with the reason.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "db/database.h"
#include "shopify/admin_client.h"
#include "shopify/oauth.h"
#include "shopify/token_store.h"

namespace pagelift::api {

inline constexpr std::string_view kAppEmbedBlockHandle = "app-embed";
// shopify.app.toml's `handle` (tests/unit/auth/app_embed_test.cpp reads the toml and fails when the two differ).
inline constexpr std::string_view kAppHandle = "pagelift";

struct AppEmbedStatus {
  std::optional<bool> enabled;  // nullopt: unknown (see reason)
  std::string reason;           // why it is unknown or off, in a merchant's words; empty when on
  std::string theme_name;       // the published theme's name when known
};

// Pure: whether an app block's type is pagelift's app embed: "shopify://apps/{kAppHandle or api_key}/blocks/app-embed/
// {uuid}" (an empty api_key matches nothing).
bool IsPageliftEmbedType(std::string_view type, std::string_view api_key);

// Pure: the status from settings_data.json's text (Shopify writes a /* … */ header comment, so comments are allowed).
// `api_key`: SHOPIFY_API_KEY, the other name a store may give pagelift in a block's type.
AppEmbedStatus AppEmbedFromSettingsData(std::string_view content, std::string_view api_key);
// Pure: the status from MainThemeSettings' `data`.
AppEmbedStatus AppEmbedFromThemes(const boost::json::object& data, std::string_view api_key);

// The theme editor's deep link that opens the app embeds panel with pagelift's embed selected.
std::string AppEmbedEditorUrl(std::string_view shop_domain, std::string_view api_key);

class AppEmbedChecker {
 public:
  // Its own token store and Admin API client over the process's database and credentials (token refreshes are
  // serialised per shop by the database row lock, so a second TokenStore in the process is safe).
  AppEmbedChecker(db::Database& database, const crypto::KeyRing& keys, const shopify::AppCredentials& app);

  // Blocking (HTTP to Shopify): call through db::Database::Offload. `recheck` skips a cached answer older than a few
  // seconds (the merchant pressed "Check again" after turning the embed on).
  AppEmbedStatus Check(const shopify::ShopRef& shop, bool recheck);

 private:
  struct Entry {
    AppEmbedStatus status;
    std::chrono::steady_clock::time_point at;
  };

  std::string api_key_;
  shopify::TokenStore tokens_;
  shopify::AdminClient client_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> cache_;  // shop id → last answer
};

}  // namespace pagelift::api
