// Cryptographic building blocks shared by every capability: HMAC-SHA256 and SHA-256, hex and base64 codecs,
// constant-time comparison, secure random bytes, and AES-256-GCM encryption at rest under a rotatable key ring
// (PAGELIFT_TOKEN_KEYS). The primitives are OpenSSL 3's (EVP, HMAC, RAND); nothing here implements a cipher or a hash.
// No I/O. Secret material (keys, plaintexts) is never logged and never appears in an error message.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pagelift::crypto {

// --- Hashes and MACs (results are raw bytes; hex- or base64-encode them for display) --------------------------------

// HMAC-SHA256(key, message): 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view message);

// SHA-256(data): 32 raw bytes.
std::string Sha256(std::string_view data);

// --- Encodings -------------------------------------------------------------------------------------------------------

// Lowercase hex, two characters per byte.
std::string HexEncode(std::string_view bytes);
// Accepts upper- and lowercase digits; nullopt on an odd length or any other character.
std::optional<std::string> HexDecode(std::string_view hex);

// Standard base64 (RFC 4648 §4, "+/"), always padded with "=".
std::string Base64Encode(std::string_view bytes);
// URL-safe base64 (RFC 4648 §5, "-_") without padding, as JWTs use it.
std::string Base64UrlEncode(std::string_view bytes);

// What a decoder accepts at the end of its input.
enum class Base64Padding {
  kRequired,  // the length is a multiple of 4, padded with "="
  kOptional,  // padded or not (Shopify's `host` parameter comes without padding)
  kNone,      // no "=" at all (JWT segments)
};

// Strict decoders: nullopt on any character outside the alphabet (whitespace included), on padding the policy does not
// allow, on an impossible length, and on non-zero unused bits (so every byte string has exactly one accepted encoding).
std::optional<std::string> Base64Decode(std::string_view text, Base64Padding padding = Base64Padding::kRequired);
std::optional<std::string> Base64UrlDecode(std::string_view text, Base64Padding padding = Base64Padding::kNone);

// --- Comparison and randomness ---------------------------------------------------------------------------------------

// True when a and b are equal. The time taken depends only on the lengths, never on where the contents differ, so a
// MAC or signature check built on it does not leak how many leading bytes an attacker guessed right.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// n bytes from OpenSSL's CSPRNG; throws std::runtime_error when the generator fails (never returns weak bytes).
std::string RandomBytes(std::size_t n);
// n random bytes as 2n lowercase hex characters (nonces, state parameters, ids).
std::string RandomHex(std::size_t n);

// --- AES-256-GCM under a key ring ------------------------------------------------------------------------------------

inline constexpr std::size_t kAesKeyBytes = 32;
inline constexpr std::size_t kGcmNonceBytes = 12;
inline constexpr std::size_t kGcmTagBytes = 16;

// The keys of PAGELIFT_TOKEN_KEYS: "id:base64-of-32-bytes,id2:…". The first key encrypts; every key decrypts, so a
// rotation is: put the new key first, keep the old one, re-encrypt the rows (`KeyIdOf` finds them), drop the old key.
//
// Ciphertext ("blob") layout, all of it authenticated:
//   [0x01 format version][1 byte: key id length L][L bytes: key id][12-byte random nonce][ciphertext][16-byte tag]
// The version byte, key id and the caller's associated data are the GCM additional authenticated data, so a blob
// moved to another row (other associated data, e.g. another shop's domain) or relabelled with another key id fails.
class KeyRing {
 public:
  // Parses the environment variable's value. Key ids are 1–32 characters of [A-Za-z0-9_.-]; each key is the standard
  // base64 (padded) of exactly 32 bytes; ids are unique; at least one key. Surrounding spaces around entries are
  // ignored. Errors (kBadRequest) name the offending entry by position and id, never its key bytes.
  static Result<KeyRing> Parse(std::string_view spec);

  // A fresh random key rendered as one PAGELIFT_TOKEN_KEYS entry, "id:base64" (what `demo` writes under ./var).
  static std::string GenerateEntry(std::string_view id);

  // The id of the key that encrypts (the first entry).
  [[nodiscard]] const std::string& PrimaryKeyId() const { return keys_.front().id; }
  // Every key id, primary first.
  [[nodiscard]] std::vector<std::string> KeyIds() const;

  // Encrypts under the primary key with a fresh random nonce; `associated_data` is authenticated, not stored.
  [[nodiscard]] std::string Encrypt(std::string_view plaintext, std::string_view associated_data) const;

  // Decrypts a blob made by Encrypt with any key of the ring and the same associated data. Errors (kInternal, since
  // a stored blob that does not open is a configuration or integrity failure, not a client mistake): malformed blob,
  // unknown key id (the message names it, so an operator sees which key is missing), authentication failure.
  [[nodiscard]] Result<std::string> Decrypt(std::string_view blob, std::string_view associated_data) const;

  // The key id a blob was encrypted with, without decrypting it; nullopt when the blob is malformed.
  // `rotate-keys` re-encrypts the rows where this differs from PrimaryKeyId().
  static std::optional<std::string> KeyIdOf(std::string_view blob);

 private:
  struct Key {
    std::string id;
    std::string bytes;  // kAesKeyBytes raw key bytes, wiped when the Key is destroyed

    Key(std::string key_id, std::string key_bytes) : id(std::move(key_id)), bytes(std::move(key_bytes)) {}
    Key(const Key&) = default;
    Key& operator=(const Key&) = default;
    Key(Key&&) noexcept = default;
    Key& operator=(Key&&) noexcept = default;
    ~Key();
  };
  explicit KeyRing(std::vector<Key> keys) : keys_(std::move(keys)) {}
  [[nodiscard]] const Key* Find(std::string_view id) const;

  std::vector<Key> keys_;  // never empty
};

}  // namespace pagelift::crypto
