#include "shopify/token_cipher.h"

#include <optional>

namespace pagelift::shopify {
namespace {

// Associated data: a purpose label, the kind of token, the shop. Versioned so the binding can change later.
std::string AssociatedData(std::string_view shop, TokenKind kind) {
  std::string aad =
      kind == TokenKind::kAccess ? "pagelift/shopify-token/v1/access/" : "pagelift/shopify-token/v1/refresh/";
  aad += shop;
  return aad;
}

}  // namespace

std::string EncryptShopToken(const crypto::KeyRing& keys, std::string_view shop, TokenKind kind,
                             std::string_view token) {
  return keys.Encrypt(token, AssociatedData(shop, kind));
}

Result<std::string> DecryptShopToken(const crypto::KeyRing& keys, std::string_view shop, TokenKind kind,
                                     std::string_view ciphertext) {
  return keys.Decrypt(ciphertext, AssociatedData(shop, kind));
}

bool NeedsReencryption(const crypto::KeyRing& keys, std::string_view ciphertext) {
  const std::optional<std::string> key_id = crypto::KeyRing::KeyIdOf(ciphertext);
  return !key_id || *key_id != keys.PrimaryKeyId();
}

}  // namespace pagelift::shopify
