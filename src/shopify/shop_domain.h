// Shop identity from untrusted input: the `shop` query parameter, the admin URL form a merchant may paste, the
// session token's `dest`, and the embedded app's base64 `host` parameter. Everything that names a shop goes through
// here, so the rest of the app only ever sees a canonical "{name}.myshopify.com".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pagelift::shopify {

// "{name}.myshopify.com" only, case-insensitive; returns it lower-cased. {name} matches [a-z0-9][a-z0-9-]* and is at
// most 63 characters (one DNS label). Schemes, paths, ports, other suffixes, "_" and Shopify's internal domains are
// refused: pagelift is deliberately stricter than Shopify's library.
std::optional<std::string> NormalizeMyshopifyDomain(std::string_view host);

// NormalizeMyshopifyDomain, plus the admin form "admin.shopify.com/store/{name}" mapped to "{name}.myshopify.com".
// For the `shop` parameter of /auth/install and similar merchant-facing input; nullopt means 400.
std::optional<std::string> NormalizeShopDomain(std::string_view input);

// The embedded app's `host` parameter, decoded and validated.
struct EmbeddedHost {
  std::string host;  // canonical decoded form: "admin.shopify.com/store/{name}" or "{shop}/admin"
  std::string shop;  // "{name}.myshopify.com"
};

// Decodes `host`: standard base64 (padding optional, as Shopify omits it) of
// "admin.shopify.com/store/{name}" or "{shop}/admin". nullopt for anything else. The embedded app's URL is
// "https://" + host + "/apps/" + api_key; `host` is rebuilt from the validated parts, never copied from the input.
std::optional<EmbeddedHost> DecodeHostParam(std::string_view host_param);

// The `host` parameter Shopify's unified admin sends for a shop: unpadded base64 of "admin.shopify.com/store/{name}".
// `shop` must already be canonical (from NormalizeShopDomain). For the simulator and tests.
std::string EncodeHostParam(std::string_view shop);

}  // namespace pagelift::shopify
