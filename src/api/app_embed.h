// Whether a shop's published theme has pagelift's app embed switched on, read the way Shopify expects an app to: the
// MAIN theme's config/settings_data.json through the Admin GraphQL API (src/shopify/graphql/MainThemeSettings.graphql,
// read_themes scope). App embeds live under "current" → "blocks" (or, when "current" names a preset, under that
// preset) as {"type": "shopify://apps/{app}/blocks/{block}/{extension uuid}", "disabled": bool}; pagelift's embed is
// the block "app-embed" of its theme extension (extensions/pagelift-theme/blocks/app-embed.liquid).
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

struct AppEmbedStatus {
  std::optional<bool> enabled;  // nullopt: unknown (see reason)
  std::string reason;           // why it is unknown or off, in a merchant's words; empty when on
  std::string theme_name;       // the published theme's name when known
};

// Pure: the status from settings_data.json's text (Shopify writes a /* … */ header comment, so comments are allowed).
AppEmbedStatus AppEmbedFromSettingsData(std::string_view content);
// Pure: the status from MainThemeSettings' `data`.
AppEmbedStatus AppEmbedFromThemes(const boost::json::object& data);

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

  shopify::TokenStore tokens_;
  shopify::AdminClient client_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> cache_;  // shop id → last answer
};

}  // namespace pagelift::api
