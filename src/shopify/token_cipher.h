// Encryption at rest of a shop's Shopify credentials (offline access token, refresh token) with the PAGELIFT_TOKEN_KEYS
// key ring. Each ciphertext is bound to the shop's domain and to the kind of token, so a row copied to another shop,
// or an access-token column swapped with a refresh-token column, fails to decrypt instead of leaking a credential.
#pragma once

#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/error.h"

namespace pagelift::shopify {

enum class TokenKind { kAccess, kRefresh };

// Encrypts `token` for `shop` (canonical "{name}.myshopify.com") under the ring's primary key; store the result as
// BYTEA (e.g. shops.access_token_enc).
std::string EncryptShopToken(const crypto::KeyRing& keys, std::string_view shop, TokenKind kind,
                             std::string_view token);

// Decrypts what EncryptShopToken produced for the same shop and kind. Errors are KeyRing::Decrypt's (kInternal).
Result<std::string> DecryptShopToken(const crypto::KeyRing& keys, std::string_view shop, TokenKind kind,
                                     std::string_view ciphertext);

// True when the ciphertext is not under the ring's primary key (or unreadable): `rotate-keys` re-encrypts those.
bool NeedsReencryption(const crypto::KeyRing& keys, std::string_view ciphertext);

}  // namespace pagelift::shopify
