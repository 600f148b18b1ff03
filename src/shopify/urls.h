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

}  // namespace pagelift::shopify
