// Where pagelift reaches a shop's Shopify endpoints. In production that is https://{shop}; with
// SHOPIFY_ADMIN_BASE_URL set (the simulator, tools/shopify-sim) it is {base}/{shop}, so one simulator serves many
// shops on one port and every path after the shop is Shopify's own:
//   {ShopOrigin}/admin/oauth/authorize, {ShopOrigin}/admin/oauth/access_token,
//   {ShopOrigin}/admin/api/{version}/graphql.json
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pagelift::shopify {

inline std::string ShopOrigin(const std::optional<std::string>& admin_base_url, std::string_view shop) {
  if (admin_base_url) return *admin_base_url + "/" + std::string(shop);
  return "https://" + std::string(shop);
}

inline std::string AdminGraphqlUrl(const std::optional<std::string>& admin_base_url, std::string_view shop,
                                   std::string_view api_version) {
  return ShopOrigin(admin_base_url, shop) + "/admin/api/" + std::string(api_version) + "/graphql.json";
}

// The Shopify admin's page of the embedded app, which frames the app's /app with a session token:
// https://{shop}/admin/apps/{api_key}, or with the simulator its stand-in {base}/{shop}/admin/apps/{api_key}. The one
// place that computes it: the OAuth callback redirects there and `pagelift demo` prints it.
inline std::string EmbeddedAdminUrl(const std::optional<std::string>& admin_base_url, std::string_view shop,
                                    std::string_view api_key) {
  return ShopOrigin(admin_base_url, shop) + "/admin/apps/" + std::string(api_key);
}

}  // namespace pagelift::shopify
