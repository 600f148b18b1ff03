// Tests for shopify/token_cipher: tokens are bound to their shop and kind, and rotation is visible.
#include "shopify/token_cipher.h"

#include <gtest/gtest.h>

namespace pagelift::shopify {
namespace {

crypto::KeyRing Ring(const std::string& spec) {
  Result<crypto::KeyRing> ring = crypto::KeyRing::Parse(spec);
  if (!ring.ok()) ADD_FAILURE() << ring.error().message;
  return std::move(ring).value();
}

const std::string kOldEntry = "k1:" + crypto::Base64Encode(std::string(32, '\x01'));
const std::string kNewEntry = "k2:" + crypto::Base64Encode(std::string(32, '\x02'));

TEST(TokenCipherTest, RoundTrip) {
  const crypto::KeyRing keys = Ring(kOldEntry);
  const std::string blob = EncryptShopToken(keys, "a.myshopify.com", TokenKind::kAccess, "shpat_secret");
  const Result<std::string> token = DecryptShopToken(keys, "a.myshopify.com", TokenKind::kAccess, blob);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(*token, "shpat_secret");
}

TEST(TokenCipherTest, RowCopiedToAnotherShopFails) {
  const crypto::KeyRing keys = Ring(kOldEntry);
  const std::string blob = EncryptShopToken(keys, "a.myshopify.com", TokenKind::kAccess, "shpat_secret");
  EXPECT_FALSE(DecryptShopToken(keys, "b.myshopify.com", TokenKind::kAccess, blob).ok());
}

TEST(TokenCipherTest, AccessAndRefreshAreNotInterchangeable) {
  const crypto::KeyRing keys = Ring(kOldEntry);
  const std::string blob = EncryptShopToken(keys, "a.myshopify.com", TokenKind::kRefresh, "shprt_secret");
  EXPECT_FALSE(DecryptShopToken(keys, "a.myshopify.com", TokenKind::kAccess, blob).ok());
  EXPECT_TRUE(DecryptShopToken(keys, "a.myshopify.com", TokenKind::kRefresh, blob).ok());
}

TEST(TokenCipherTest, Rotation) {
  const std::string old_blob = EncryptShopToken(Ring(kOldEntry), "a.myshopify.com", TokenKind::kAccess, "old");
  const crypto::KeyRing rotated = Ring(kNewEntry + "," + kOldEntry);
  EXPECT_TRUE(NeedsReencryption(rotated, old_blob));
  EXPECT_EQ(*DecryptShopToken(rotated, "a.myshopify.com", TokenKind::kAccess, old_blob), "old");
  const std::string new_blob = EncryptShopToken(rotated, "a.myshopify.com", TokenKind::kAccess, "old");
  EXPECT_FALSE(NeedsReencryption(rotated, new_blob));
  EXPECT_TRUE(NeedsReencryption(rotated, "garbage"));
}

}  // namespace
}  // namespace pagelift::shopify
