#include "shopify/shop_domain.h"

#include <algorithm>

#include "core/crypto.h"

namespace pagelift::shopify {
namespace {

constexpr std::string_view kMyshopifySuffix = ".myshopify.com";
constexpr std::string_view kAdminStorePrefix = "admin.shopify.com/store/";
constexpr std::string_view kAdminSuffix = "/admin";
constexpr std::size_t kMaxNameLength = 63;  // one DNS label

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

// A lower-cased store name: [a-z0-9][a-z0-9-]*, at most one DNS label long.
bool IsValidStoreName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// The store name of "{name}.myshopify.com" (already lower-cased), or nullopt.
std::optional<std::string_view> MyshopifyName(std::string_view lowered) {
  if (lowered.size() <= kMyshopifySuffix.size() || !lowered.ends_with(kMyshopifySuffix)) return std::nullopt;
  std::string_view name = lowered.substr(0, lowered.size() - kMyshopifySuffix.size());
  if (!IsValidStoreName(name)) return std::nullopt;
  return name;
}

// The store name of "admin.shopify.com/store/{name}" (already lower-cased), or nullopt.
std::optional<std::string_view> AdminStoreName(std::string_view lowered) {
  if (!lowered.starts_with(kAdminStorePrefix)) return std::nullopt;
  std::string_view name = lowered.substr(kAdminStorePrefix.size());
  if (!IsValidStoreName(name)) return std::nullopt;
  return name;
}

}  // namespace

std::optional<std::string> NormalizeMyshopifyDomain(std::string_view host) {
  const std::string lowered = ToLower(host);
  if (!MyshopifyName(lowered)) return std::nullopt;
  return lowered;
}

std::optional<std::string> NormalizeShopDomain(std::string_view input) {
  const std::string lowered = ToLower(input);
  if (MyshopifyName(lowered)) return lowered;
  if (auto name = AdminStoreName(lowered)) return std::string(*name) + std::string(kMyshopifySuffix);
  return std::nullopt;
}

std::optional<EmbeddedHost> DecodeHostParam(std::string_view host_param) {
  const std::optional<std::string> decoded = crypto::Base64Decode(host_param, crypto::Base64Padding::kOptional);
  if (!decoded) return std::nullopt;
  const std::string lowered = ToLower(*decoded);

  if (auto name = AdminStoreName(lowered)) {
    return EmbeddedHost{std::string(kAdminStorePrefix) + std::string(*name),
                        std::string(*name) + std::string(kMyshopifySuffix)};
  }
  if (lowered.ends_with(kAdminSuffix)) {
    const std::string_view shop = std::string_view{lowered}.substr(0, lowered.size() - kAdminSuffix.size());
    if (MyshopifyName(shop)) return EmbeddedHost{std::string(shop) + std::string(kAdminSuffix), std::string(shop)};
  }
  return std::nullopt;
}

std::string EncodeHostParam(std::string_view shop) {
  std::string_view name = shop.substr(0, shop.size() - std::min(shop.size(), kMyshopifySuffix.size()));
  std::string encoded = crypto::Base64Encode(std::string(kAdminStorePrefix) + std::string(name));
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  return encoded;
}

}  // namespace pagelift::shopify
