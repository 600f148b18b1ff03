// Tests for core/crypto: published vectors (RFC 4231, FIPS 180-2, RFC 4648), strict decoders, and the AES-GCM key ring
// (round trip, tamper, associated data, rotation, malformed PAGELIFT_TOKEN_KEYS).
#include "core/crypto.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace pagelift::crypto {
namespace {

std::string Unhex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

// --- RFC 4231 HMAC-SHA256 test cases
// -----------------------------------------------------------------------------------

struct HmacCase {
  const char* name;
  std::string key;
  std::string data;
  const char* expected_hex;  // may be a prefix (case 5 checks the first 128 bits)
};

TEST(HmacSha256Test, Rfc4231Vectors) {
  const std::string key25 = Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819");
  const HmacCase cases[] = {
      {"1", std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"2", "Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"3", std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4", key25, std::string(50, '\xcd'), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"5", std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {"6", std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"7", std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
       "hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const HmacCase& c : cases) {
    const std::string mac = HmacSha256(c.key, c.data);
    EXPECT_EQ(mac.size(), 32u) << "case " << c.name;
    const std::string hex = HexEncode(mac);
    EXPECT_EQ(hex.substr(0, std::string_view(c.expected_hex).size()), c.expected_hex) << "case " << c.name;
  }
}

TEST(HmacSha256Test, EmptyKeyAndMessageWork) {
  // Known value: HMAC-SHA256("", "").
  EXPECT_EQ(HexEncode(HmacSha256("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Sha256Test, Fips180Vectors) {
  EXPECT_EQ(HexEncode(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// --- hex -----------------------------------------------------------------------------------------------------------

TEST(HexTest, EncodesLowercaseAndRoundTrips) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexEncode(""), "");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(HexDecode(HexEncode(all)), all);
}

TEST(HexTest, DecodeAcceptsBothCasesAndRejectsJunk) {
  EXPECT_EQ(HexDecode("ABff"), std::string("\xab\xff"));
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_FALSE(HexDecode("abc").has_value());   // odd length
  EXPECT_FALSE(HexDecode("0g").has_value());    // not a digit
  EXPECT_FALSE(HexDecode(" 00").has_value());   // whitespace
  EXPECT_FALSE(HexDecode("0x00").has_value());  // prefix
}

// --- base64 --------------------------------------------------------------------------------------------------------

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::string(plain)) << encoded;
  }
}

TEST(Base64Test, UrlAlphabetWithoutPadding) {
  const std::string bytes("\xfb\xff\xbf", 3);  // encodes to characters 62 and 63 only
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlDecode("-_-_"), bytes);
  EXPECT_EQ(Base64UrlDecode("Zg"), std::string("f"));
  EXPECT_FALSE(Base64UrlDecode("Zg==").has_value());  // JWT segments carry no padding
  EXPECT_FALSE(Base64UrlDecode("+/+/").has_value());  // standard alphabet is not URL-safe base64
  EXPECT_FALSE(Base64Decode("-_-_").has_value());     // and vice versa
}

TEST(Base64Test, StrictDecoderRejectsMalformedInput) {
  EXPECT_FALSE(Base64Decode("Zg").has_value());   // padding required by default
  EXPECT_FALSE(Base64Decode("Zg=").has_value());  // wrong amount of padding
  EXPECT_FALSE(Base64Decode("Zg===").has_value());
  EXPECT_FALSE(Base64Decode("Z===").has_value());  // a single 6-bit group
  EXPECT_FALSE(Base64Decode("Z").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v\n").has_value());  // whitespace
  EXPECT_FALSE(Base64Decode(" Zm9v").has_value());
  EXPECT_FALSE(Base64Decode("Zm=v").has_value());  // padding in the middle
  EXPECT_FALSE(Base64Decode("Zh==").has_value());  // non-zero unused bits ("Zg==" is the canonical form)
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());
  EXPECT_FALSE(Base64Decode("Zm*v").has_value());
  EXPECT_FALSE(Base64Decode(std::string("Zm9v\0", 5)).has_value());
}

TEST(Base64Test, PaddingPolicies) {
  EXPECT_EQ(Base64Decode("Zg", Base64Padding::kOptional), std::string("f"));
  EXPECT_EQ(Base64Decode("Zg==", Base64Padding::kOptional), std::string("f"));
  EXPECT_FALSE(Base64Decode("Zg=", Base64Padding::kOptional).has_value());
  EXPECT_FALSE(Base64Decode("Zg==", Base64Padding::kNone).has_value());
  EXPECT_EQ(Base64Decode("Zg", Base64Padding::kNone), std::string("f"));
  EXPECT_EQ(Base64UrlDecode("Zg==", Base64Padding::kRequired), std::string("f"));
}

TEST(Base64Test, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 70; ++n) {
    const std::string bytes = RandomBytes(n);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << n;
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes) << n;
  }
}

// --- comparison and randomness ---------------------------------------------------------------------------------------

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "Abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(RandomTest, SizesAndUniqueness) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(32).size(), 32u);
  const std::string hex = RandomHex(32);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomHex(16));
  EXPECT_EQ(seen.size(), 100u);
}

// --- KeyRing -------------------------------------------------------------------------------------------------------

std::string KeyEntry(std::string_view id, char fill) {
  return std::string(id) + ":" + Base64Encode(std::string(32, fill));
}

KeyRing MustParse(const std::string& spec) {
  Result<KeyRing> ring = KeyRing::Parse(spec);
  if (!ring.ok()) ADD_FAILURE() << ring.error().message;
  return std::move(ring).value();
}

TEST(KeyRingTest, RoundTripWithAssociatedData) {
  const KeyRing ring = MustParse(KeyEntry("k1", 'a'));
  EXPECT_EQ(ring.PrimaryKeyId(), "k1");
  for (const std::string& plaintext : {std::string(), std::string("shpat_0123456789abcdef"), std::string(1000, 'x')}) {
    const std::string blob = ring.Encrypt(plaintext, "shop-a.myshopify.com");
    EXPECT_EQ(blob.size(), 1 + 1 + 2 + kGcmNonceBytes + plaintext.size() + kGcmTagBytes);
    EXPECT_EQ(blob.find("shpat_"), std::string::npos);  // not stored in clear
    Result<std::string> opened = ring.Decrypt(blob, "shop-a.myshopify.com");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(KeyRingTest, FreshNonceEveryTime) {
  const KeyRing ring = MustParse(KeyEntry("k1", 'a'));
  EXPECT_NE(ring.Encrypt("same", "aad"), ring.Encrypt("same", "aad"));
}

TEST(KeyRingTest, WrongAssociatedDataFails) {
  const KeyRing ring = MustParse(KeyEntry("k1", 'a'));
  const std::string blob = ring.Encrypt("token", "shop-a.myshopify.com");
  Result<std::string> opened = ring.Decrypt(blob, "shop-b.myshopify.com");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(ring.Decrypt(blob, "").ok());
}

TEST(KeyRingTest, EveryTamperedByteFails) {
  const KeyRing ring = MustParse(KeyEntry("k1", 'a'));
  const std::string blob = ring.Encrypt("token", "aad");
  for (std::size_t i = 0; i < blob.size(); ++i) {
    std::string tampered = blob;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_FALSE(ring.Decrypt(tampered, "aad").ok()) << "byte " << i;
  }
  EXPECT_FALSE(ring.Decrypt(blob.substr(0, blob.size() - 1), "aad").ok());  // truncated
  EXPECT_FALSE(ring.Decrypt(blob + "x", "aad").ok());                       // extended
  EXPECT_FALSE(ring.Decrypt("", "aad").ok());
  EXPECT_TRUE(ring.Decrypt(blob, "aad").ok());
}

TEST(KeyRingTest, RotationOldKeyDecryptsNewKeyEncrypts) {
  const KeyRing old_ring = MustParse(KeyEntry("k1", 'a'));
  const std::string old_blob = old_ring.Encrypt("old token", "shop");
  EXPECT_EQ(KeyRing::KeyIdOf(old_blob), "k1");

  const KeyRing rotated = MustParse(KeyEntry("k2", 'b') + "," + KeyEntry("k1", 'a'));
  EXPECT_EQ(rotated.PrimaryKeyId(), "k2");
  EXPECT_EQ(rotated.KeyIds(), (std::vector<std::string>{"k2", "k1"}));
  Result<std::string> opened = rotated.Decrypt(old_blob, "shop");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, "old token");

  const std::string new_blob = rotated.Encrypt("new token", "shop");
  EXPECT_EQ(KeyRing::KeyIdOf(new_blob), "k2");

  // Once k1 is dropped, its blobs are refused with an error naming the missing key.
  const KeyRing only_new = MustParse(KeyEntry("k2", 'b'));
  EXPECT_TRUE(only_new.Decrypt(new_blob, "shop").ok());
  Result<std::string> refused = only_new.Decrypt(old_blob, "shop");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("'k1'"), std::string::npos) << refused.error().message;
}

TEST(KeyRingTest, SameIdDifferentKeyFails) {
  const std::string blob = MustParse(KeyEntry("k1", 'a')).Encrypt("token", "aad");
  EXPECT_FALSE(MustParse(KeyEntry("k1", 'c')).Decrypt(blob, "aad").ok());
}

TEST(KeyRingTest, KeyIdOfMalformed) {
  EXPECT_FALSE(KeyRing::KeyIdOf("").has_value());
  EXPECT_FALSE(KeyRing::KeyIdOf("\x02\x02k1").has_value());                  // unknown version
  EXPECT_FALSE(KeyRing::KeyIdOf(std::string("\x01\x02k1", 4)).has_value());  // too short for nonce and tag
}

TEST(KeyRingTest, ParseAcceptsSpacesAroundEntries) {
  const KeyRing ring = MustParse(" " + KeyEntry("new", 'b') + " , " + KeyEntry("old.1", 'a') + " ");
  EXPECT_EQ(ring.KeyIds(), (std::vector<std::string>{"new", "old.1"}));
}

TEST(KeyRingTest, GeneratedEntryParses) {
  const std::string entry = KeyRing::GenerateEntry("demo");
  EXPECT_EQ(entry.rfind("demo:", 0), 0u);
  const KeyRing ring = MustParse(entry);
  EXPECT_EQ(*ring.Decrypt(ring.Encrypt("x", "y"), "y"), "x");
  EXPECT_NE(KeyRing::GenerateEntry("demo"), entry);
}

TEST(KeyRingTest, MalformedSpecsAreRefusedWithoutRevealingKeys) {
  const std::string short_key = Base64Encode(std::string(16, 's'));  // "c3Nz…"
  const std::string good = KeyEntry("k1", 'a');
  struct Case {
    std::string spec;
    std::string message_part;
  };
  const Case cases[] = {
      {"", "entry 1"},
      {" ", "entry 1"},
      {good + ",", "entry 2"},
      {good + ",," + KeyEntry("k2", 'b'), "entry 2"},
      {"k1", "no ':'"},
      {":" + Base64Encode(std::string(32, 'a')), "invalid key id"},
      {"k 1:" + Base64Encode(std::string(32, 'a')), "invalid key id"},
      {std::string(33, 'k') + ":" + Base64Encode(std::string(32, 'a')), "invalid key id"},
      {"k1:not base64!", "not valid standard base64"},
      {"k1:" + Base64UrlEncode(std::string(32, '\xff')), "not valid standard base64"},
      {"k1:" + short_key, "16 bytes, expected 32"},
      {"k1:" + Base64Encode(std::string(33, 'a')), "33 bytes, expected 32"},
      {"k1:", "0 bytes"},
      {good + "," + KeyEntry("k1", 'b'), "repeats a key id"},
  };
  for (const Case& c : cases) {
    Result<KeyRing> ring = KeyRing::Parse(c.spec);
    ASSERT_FALSE(ring.ok()) << c.spec;
    EXPECT_EQ(ring.error().code, ErrorCode::kBadRequest);
    const std::string& message = ring.error().message;
    EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
    EXPECT_EQ(message.find(short_key), std::string::npos) << message;
    EXPECT_EQ(message.find(Base64Encode(std::string(32, 'a'))), std::string::npos) << message;
    EXPECT_EQ(message.find("YWFh"), std::string::npos) << message;  // no fragment of a key's base64 either
  }
}

}  // namespace
}  // namespace pagelift::crypto
