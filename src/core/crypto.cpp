// Implementation notes: OpenSSL 3 supplies every primitive (HMAC, SHA-256, AES-256-GCM, RAND_bytes, CRYPTO_memcmp,
// EVP_EncodeBlock). Base64 *decoding* is written here because OpenSSL's decoders are lenient (EVP_DecodeBlock skips
// whitespace and does not report padding; the BIO decoder ignores junk), and signature checks need exactly one
// accepted encoding per byte string.
#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace pagelift::crypto {
namespace {

const unsigned char* Bytes(std::string_view s) {
  // OpenSSL rejects some null pointers even with a zero length; an empty view may have data() == nullptr.
  static constexpr unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

int IntLength(std::string_view s) {
  if (s.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error("crypto: input too large for OpenSSL");
  }
  return static_cast<int>(s.size());
}

// --- base64 ----------------------------------------------------------------------------------------------------------

constexpr std::string_view kStandardAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 6-bit value of each character of `alphabet`, -1 for every other byte.
using DecodeTable = std::array<int, 256>;
constexpr DecodeTable MakeDecodeTable(std::string_view alphabet) {
  DecodeTable table{};
  for (auto& entry : table) entry = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  }
  return table;
}
constexpr DecodeTable kStandardTable = MakeDecodeTable(kStandardAlphabet);
constexpr DecodeTable kUrlTable = MakeDecodeTable(kUrlAlphabet);

std::optional<std::string> DecodeBase64(std::string_view text, const DecodeTable& table, Base64Padding padding) {
  // Split off the padding, then check that it is what this length needs and what the policy allows.
  std::size_t pad = 0;
  while (pad < text.size() && pad < 3 && text[text.size() - 1 - pad] == '=') ++pad;
  std::string_view body = text.substr(0, text.size() - pad);
  const std::size_t remainder = body.size() % 4;
  if (remainder == 1 || pad > 2) return std::nullopt;  // a lone 6-bit group cannot encode a byte
  const std::size_t needed_pad = remainder == 0 ? 0 : 4 - remainder;
  switch (padding) {
    case Base64Padding::kRequired:
      if (pad != needed_pad) return std::nullopt;
      break;
    case Base64Padding::kOptional:
      if (pad != 0 && pad != needed_pad) return std::nullopt;
      break;
    case Base64Padding::kNone:
      if (pad != 0) return std::nullopt;
      break;
  }

  std::string out;
  out.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (char c : body) {
    const int value = table[static_cast<unsigned char>(c)];
    if (value < 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
    }
  }
  // The bits left over after the last whole byte must be zero, or two texts would decode to the same bytes.
  if ((accumulator & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// --- AES-256-GCM -----------------------------------------------------------------------------------------------------

constexpr unsigned char kBlobVersion = 0x01;
constexpr std::size_t kMaxKeyIdLength = 32;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

CipherCtx NewCipherCtx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("crypto: EVP_CIPHER_CTX_new failed");
  return ctx;
}

void Check(int rc, const char* what) {
  if (rc != 1) throw std::runtime_error(std::string("crypto: ") + what + " failed");
}

bool IsValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) return false;
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The authenticated header: version, key id length, key id.
std::string BlobHeader(std::string_view key_id) {
  std::string header;
  header.push_back(static_cast<char>(kBlobVersion));
  header.push_back(static_cast<char>(key_id.size()));
  header.append(key_id);
  return header;
}

// The parts of a blob; views into it.
struct BlobParts {
  std::string_view header;
  std::string_view key_id;
  std::string_view nonce;
  std::string_view ciphertext;
  std::string_view tag;
};

std::optional<BlobParts> SplitBlob(std::string_view blob) {
  if (blob.size() < 2 || static_cast<unsigned char>(blob[0]) != kBlobVersion) return std::nullopt;
  const std::size_t id_length = static_cast<unsigned char>(blob[1]);
  if (id_length == 0 || id_length > kMaxKeyIdLength) return std::nullopt;
  const std::size_t header_length = 2 + id_length;
  if (blob.size() < header_length + kGcmNonceBytes + kGcmTagBytes) return std::nullopt;
  BlobParts parts;
  parts.header = blob.substr(0, header_length);
  parts.key_id = blob.substr(2, id_length);
  parts.nonce = blob.substr(header_length, kGcmNonceBytes);
  parts.ciphertext =
      blob.substr(header_length + kGcmNonceBytes, blob.size() - header_length - kGcmNonceBytes - kGcmTagBytes);
  parts.tag = blob.substr(blob.size() - kGcmTagBytes);
  return parts;
}

Error DecryptError(std::string message, std::string_view key_id = {}) {
  boost::json::object details;
  if (!key_id.empty()) details["key_id"] = key_id;
  return MakeError(ErrorCode::kInternal, std::move(message), std::move(details));
}

}  // namespace

// --- Hashes and MACs -------------------------------------------------------------------------------------------------

std::string HmacSha256(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int out_length = 0;
  if (HMAC(EVP_sha256(), Bytes(key), IntLength(key), Bytes(message), message.size(), out.data(), &out_length) ==
      nullptr) {
    throw std::runtime_error("crypto: HMAC-SHA256 failed");
  }
  return {reinterpret_cast<const char*>(out.data()), out_length};
}

std::string Sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int out_length = 0;
  Check(EVP_Digest(Bytes(data), data.size(), out.data(), &out_length, EVP_sha256(), nullptr), "SHA-256");
  return {reinterpret_cast<const char*>(out.data()), out_length};
}

// --- Encodings -------------------------------------------------------------------------------------------------------

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  const int length = IntLength(bytes);
  std::string out(static_cast<std::size_t>(4 * ((length + 2) / 3)) + 1, '\0');  // +1: EVP_EncodeBlock writes a NUL
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), Bytes(bytes), length);
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text, Base64Padding padding) {
  return DecodeBase64(text, kStandardTable, padding);
}

std::optional<std::string> Base64UrlDecode(std::string_view text, Base64Padding padding) {
  return DecodeBase64(text, kUrlTable, padding);
}

// --- Comparison and randomness ---------------------------------------------------------------------------------------

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Lengths are public (a MAC's length is fixed); only the contents must not leak through timing.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n == 0) return out;
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error("crypto: RandomBytes request too large");
  }
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("crypto: RAND_bytes failed");
  }
  return out;
}

std::string RandomHex(std::size_t n) { return HexEncode(RandomBytes(n)); }

// --- KeyRing ---------------------------------------------------------------------------------------------------------

KeyRing::Key::~Key() {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

Result<KeyRing> KeyRing::Parse(std::string_view spec) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  // Messages say which entry is wrong (position, and id once it is known) and never echo the key text.
  auto fail = [](std::size_t position, std::string_view id, std::string_view problem) {
    boost::json::object details{{"entry", position}};
    std::string where = fmt::format("PAGELIFT_TOKEN_KEYS entry {}", position);
    if (!id.empty()) {
      details["key_id"] = id;
      where += fmt::format(" (key id '{}')", id);
    }
    return MakeError(ErrorCode::kBadRequest, fmt::format("{}: {}", where, problem), std::move(details));
  };

  std::vector<Key> keys;
  std::size_t position = 0;
  while (true) {
    ++position;
    const std::size_t comma = spec.find(',');
    const std::string_view entry = trim(spec.substr(0, comma));
    if (entry.empty()) return fail(position, {}, "is empty (expected id:base64-of-32-bytes)");
    const std::size_t colon = entry.find(':');
    if (colon == std::string_view::npos) return fail(position, {}, "has no ':' (expected id:base64-of-32-bytes)");
    const std::string_view id = entry.substr(0, colon);
    if (!IsValidKeyId(id)) {
      // The id itself may be garbage (or a pasted key); do not echo it.
      return fail(position, {}, "has an invalid key id (1-32 characters of A-Z a-z 0-9 _ . -)");
    }
    for (const Key& key : keys) {
      if (key.id == id) return fail(position, id, "repeats a key id");
    }
    std::optional<std::string> bytes = Base64Decode(entry.substr(colon + 1));
    if (!bytes) return fail(position, id, "key is not valid standard base64");
    if (bytes->size() != kAesKeyBytes) {
      const std::size_t size = bytes->size();
      OPENSSL_cleanse(bytes->data(), bytes->size());
      return fail(position, id, fmt::format("key is {} bytes, expected {}", size, kAesKeyBytes));
    }
    keys.emplace_back(std::string(id), std::move(*bytes));
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return KeyRing(std::move(keys));
}

std::string KeyRing::GenerateEntry(std::string_view id) {
  if (!IsValidKeyId(id)) throw std::invalid_argument("KeyRing::GenerateEntry: invalid key id");
  std::string key = RandomBytes(kAesKeyBytes);
  std::string entry = std::string(id) + ":" + Base64Encode(key);
  OPENSSL_cleanse(key.data(), key.size());
  return entry;
}

std::vector<std::string> KeyRing::KeyIds() const {
  std::vector<std::string> ids;
  ids.reserve(keys_.size());
  for (const Key& key : keys_) ids.push_back(key.id);
  return ids;
}

const KeyRing::Key* KeyRing::Find(std::string_view id) const {
  for (const Key& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

std::string KeyRing::Encrypt(std::string_view plaintext, std::string_view associated_data) const {
  const Key& key = keys_.front();
  std::string blob = BlobHeader(key.id);
  const std::size_t header_length = blob.size();
  blob += RandomBytes(kGcmNonceBytes);
  blob.resize(header_length + kGcmNonceBytes + plaintext.size() + kGcmTagBytes);
  auto* out = reinterpret_cast<unsigned char*>(blob.data());
  const unsigned char* nonce = out + header_length;
  unsigned char* ciphertext = out + header_length + kGcmNonceBytes;
  unsigned char* tag = ciphertext + plaintext.size();

  CipherCtx ctx = NewCipherCtx();
  Check(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr), "AES-GCM init");
  Check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kGcmNonceBytes), nullptr),
        "AES-GCM set IV length");
  Check(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key.bytes), nonce), "AES-GCM key");
  int length = 0;
  // Additional data: the blob's own header, then the caller's.
  Check(EVP_EncryptUpdate(ctx.get(), nullptr, &length, out, static_cast<int>(header_length)), "AES-GCM header AAD");
  if (!associated_data.empty()) {
    Check(EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(associated_data), IntLength(associated_data)),
          "AES-GCM AAD");
  }
  if (!plaintext.empty()) {
    Check(EVP_EncryptUpdate(ctx.get(), ciphertext, &length, Bytes(plaintext), IntLength(plaintext)), "AES-GCM encrypt");
  }
  Check(EVP_EncryptFinal_ex(ctx.get(), ciphertext + plaintext.size(), &length), "AES-GCM final");
  Check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes), tag), "AES-GCM tag");
  return blob;
}

Result<std::string> KeyRing::Decrypt(std::string_view blob, std::string_view associated_data) const {
  const std::optional<BlobParts> parts = SplitBlob(blob);
  if (!parts) return DecryptError("encrypted value is malformed (not produced by KeyRing::Encrypt)");
  const Key* key = Find(parts->key_id);
  if (key == nullptr) {
    return DecryptError(
        fmt::format("encrypted value uses key id '{}', which is not in PAGELIFT_TOKEN_KEYS", parts->key_id),
        parts->key_id);
  }

  std::string plaintext(parts->ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  CipherCtx ctx = NewCipherCtx();
  Check(EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr), "AES-GCM init");
  Check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kGcmNonceBytes), nullptr),
        "AES-GCM set IV length");
  Check(EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key->bytes), Bytes(parts->nonce)), "AES-GCM key");
  int length = 0;
  Check(EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(parts->header), IntLength(parts->header)),
        "AES-GCM header AAD");
  if (!associated_data.empty()) {
    Check(EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(associated_data), IntLength(associated_data)),
          "AES-GCM AAD");
  }
  if (!parts->ciphertext.empty()) {
    Check(EVP_DecryptUpdate(ctx.get(), out, &length, Bytes(parts->ciphertext), IntLength(parts->ciphertext)),
          "AES-GCM decrypt");
  }
  // OpenSSL wants a mutable tag buffer.
  std::array<unsigned char, kGcmTagBytes> tag{};
  std::copy(parts->tag.begin(), parts->tag.end(), reinterpret_cast<char*>(tag.data()));
  Check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagBytes), tag.data()),
        "AES-GCM set tag");
  if (EVP_DecryptFinal_ex(ctx.get(), out + plaintext.size(), &length) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return DecryptError(fmt::format("encrypted value failed authentication under key id '{}' (tampered, or bound to "
                                    "other associated data)",
                                    parts->key_id),
                        parts->key_id);
  }
  return plaintext;
}

std::optional<std::string> KeyRing::KeyIdOf(std::string_view blob) {
  const std::optional<BlobParts> parts = SplitBlob(blob);
  if (!parts) return std::nullopt;
  return std::string(parts->key_id);
}

}  // namespace pagelift::crypto
