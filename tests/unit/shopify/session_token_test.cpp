// Tests for shopify/session_token: a valid token, and one failing token per check of the spec.
#include "shopify/session_token.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "core/crypto.h"

namespace pagelift::shopify {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr char kApiKey[] = "client-id-123";
constexpr char kSecret[] = "hush";
const std::vector<std::string> kSecrets = {kSecret};
const system_clock::time_point kNow = system_clock::time_point(seconds(1'700'000'000));

boost::json::object ValidClaims() {
  SessionTokenClaims claims;
  claims.shop = "some-shop.myshopify.com";
  claims.api_key = kApiKey;
  claims.user_id = "42";
  claims.issued_at = kNow;
  return MakeSessionTokenClaims(claims);
}

// A token with an arbitrary header, signed (or not) with the secret.
std::string TokenWithHeader(std::string_view header_json, const boost::json::object& claims,
                            std::string_view secret = kSecret) {
  const std::string input =
      crypto::Base64UrlEncode(header_json) + "." + crypto::Base64UrlEncode(boost::json::serialize(claims));
  return input + "." + crypto::Base64UrlEncode(crypto::HmacSha256(secret, input));
}

Result<SessionToken> Verify(std::string_view jwt, system_clock::time_point now = kNow) {
  return VerifySessionToken(jwt, kApiKey, kSecrets, now);
}

// Expects a 401 whose message mentions `part`.
void ExpectRefused(const Result<SessionToken>& result, std::string_view part) {
  ASSERT_FALSE(result.ok()) << "expected refusal mentioning: " << part;
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(result.error().message.find(part), std::string::npos) << result.error().message;
}

TEST(SessionTokenTest, ValidToken) {
  const boost::json::object claims = ValidClaims();
  const Result<SessionToken> token = Verify(SignSessionToken(claims, kSecret));
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->shop, "some-shop.myshopify.com");
  EXPECT_EQ(token->user_id, "42");
  EXPECT_EQ(token->session_id, claims.at("sid").as_string());
  EXPECT_EQ(token->jti, claims.at("jti").as_string());
  EXPECT_EQ(token->expires_at, kNow + seconds(60));
  EXPECT_NE(claims.at("jti").as_string(), ValidClaims().at("jti").as_string());
}

TEST(SessionTokenTest, ShapeMatchesShopify) {
  const boost::json::object claims = ValidClaims();
  EXPECT_EQ(claims.at("iss").as_string(), "https://some-shop.myshopify.com/admin");
  EXPECT_EQ(claims.at("dest").as_string(), "https://some-shop.myshopify.com");
  EXPECT_EQ(claims.at("aud").as_string(), kApiKey);
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("nbf").as_int64(), 60);
  const std::string jwt = SignSessionToken(claims, kSecret);
  const std::string header = *crypto::Base64UrlDecode(jwt.substr(0, jwt.find('.')));
  EXPECT_EQ(header, R"({"alg":"HS256","typ":"JWT"})");
}

TEST(SessionTokenTest, SecondSecretAccepted) {
  const std::string jwt = SignSessionToken(ValidClaims(), "old-secret");
  EXPECT_TRUE(VerifySessionToken(jwt, kApiKey, {"new-secret", "old-secret"}, kNow).ok());
  ExpectRefused(VerifySessionToken(jwt, kApiKey, {"new-secret"}, kNow), "signature");
  ExpectRefused(VerifySessionToken(jwt, kApiKey, {}, kNow), "signature");
  ExpectRefused(VerifySessionToken(SignSessionToken(ValidClaims(), ""), kApiKey, {""}, kNow), "signature");
}

TEST(SessionTokenTest, Expiry) {
  const std::string jwt = SignSessionToken(ValidClaims(), kSecret);  // exp = now + 60
  EXPECT_TRUE(Verify(jwt, kNow + seconds(60)).ok());                 // at exp, within leeway
  EXPECT_TRUE(Verify(jwt, kNow + seconds(69)).ok());                 // 9 s past exp
  ExpectRefused(Verify(jwt, kNow + seconds(70)), "expired");         // 10 s past exp: beyond the leeway
  ExpectRefused(Verify(jwt, kNow + seconds(3600)), "expired");
}

TEST(SessionTokenTest, NotYetValid) {
  const std::string jwt = SignSessionToken(ValidClaims(), kSecret);  // nbf = now
  EXPECT_TRUE(Verify(jwt, kNow - seconds(10)).ok());                 // clock 10 s behind: within leeway
  ExpectRefused(Verify(jwt, kNow - seconds(11)), "not valid yet");
  ExpectRefused(Verify(jwt, kNow - seconds(600)), "not valid yet");
}

TEST(SessionTokenTest, FractionalTimesAccepted) {
  boost::json::object claims = ValidClaims();
  claims["exp"] = 1'700'000'060.5;
  claims["nbf"] = 1'699'999'999.5;
  EXPECT_TRUE(Verify(SignSessionToken(claims, kSecret)).ok());
  ExpectRefused(Verify(SignSessionToken(claims, kSecret), kNow + seconds(71)), "expired");
}

TEST(SessionTokenTest, MissingOrInvalidExp) {
  boost::json::object claims = ValidClaims();
  claims.erase("exp");
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "no exp");
  claims["exp"] = "1700000060";
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "not a number");
  claims["exp"] = nullptr;
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "not a number");
  claims["exp"] = -5;
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "not a number");
  claims["exp"] = 1e300;
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "not a number");
  boost::json::object bad_nbf = ValidClaims();
  bad_nbf["nbf"] = "soon";
  ExpectRefused(Verify(SignSessionToken(bad_nbf, kSecret)), "not a number");
  boost::json::object no_nbf = ValidClaims();
  no_nbf.erase("nbf");
  EXPECT_TRUE(Verify(SignSessionToken(no_nbf, kSecret)).ok());  // nbf is optional
}

TEST(SessionTokenTest, Audience) {
  boost::json::object claims = ValidClaims();
  claims["aud"] = "another-app";
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "audience");
  claims["aud"] = boost::json::array{kApiKey};
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "audience");
  claims.erase("aud");
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "audience");
  // An app configured without an api key accepts nothing.
  boost::json::object empty_aud = ValidClaims();
  empty_aud["aud"] = "";
  ExpectRefused(VerifySessionToken(SignSessionToken(empty_aud, kSecret), "", kSecrets, kNow), "audience");
}

TEST(SessionTokenTest, Algorithm) {
  const boost::json::object claims = ValidClaims();
  EXPECT_TRUE(Verify(TokenWithHeader(R"({"typ":"JWT","alg":"HS256"})", claims)).ok());
  ExpectRefused(Verify(TokenWithHeader(R"({"alg":"RS256","typ":"JWT"})", claims)), "HS256");
  ExpectRefused(Verify(TokenWithHeader(R"({"alg":"HS512","typ":"JWT"})", claims)), "HS256");
  ExpectRefused(Verify(TokenWithHeader(R"({"alg":"hs256","typ":"JWT"})", claims)), "HS256");
  ExpectRefused(Verify(TokenWithHeader(R"({"typ":"JWT"})", claims)), "HS256");
  ExpectRefused(Verify(TokenWithHeader(R"({"alg":null})", claims)), "HS256");
  // alg none with an empty signature, the classic forgery.
  const std::string none = crypto::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                           crypto::Base64UrlEncode(boost::json::serialize(claims)) + ".";
  ExpectRefused(Verify(none), "HS256");
}

TEST(SessionTokenTest, SignatureAndTampering) {
  const std::string jwt = SignSessionToken(ValidClaims(), kSecret);
  ExpectRefused(Verify(SignSessionToken(ValidClaims(), "wrong")), "signature does not match");

  // Payload swapped for another shop's, signature kept.
  boost::json::object evil = ValidClaims();
  evil["dest"] = "https://evil-shop.myshopify.com";
  evil["iss"] = "https://evil-shop.myshopify.com/admin";
  const std::size_t first = jwt.find('.');
  const std::size_t second = jwt.find('.', first + 1);
  const std::string tampered =
      jwt.substr(0, first + 1) + crypto::Base64UrlEncode(boost::json::serialize(evil)) + jwt.substr(second);
  ExpectRefused(Verify(tampered), "signature does not match");

  // Signature cut short or with a flipped character.
  ExpectRefused(Verify(jwt.substr(0, jwt.size() - 2)), "signature");
  std::string flipped = jwt;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  ExpectRefused(Verify(flipped), "signature");
}

TEST(SessionTokenTest, DestAndIss) {
  auto with = [](std::string_view dest, std::string_view iss) {
    boost::json::object claims = ValidClaims();
    if (!dest.empty()) claims["dest"] = dest;
    if (!iss.empty()) claims["iss"] = iss;
    return SignSessionToken(claims, kSecret);
  };
  // Case does not matter, and the shop comes out canonical.
  const Result<SessionToken> upper =
      Verify(with("https://Some-Shop.myshopify.com", "https://some-shop.MYSHOPIFY.com/admin"));
  ASSERT_TRUE(upper.ok()) << upper.error().message;
  EXPECT_EQ(upper->shop, "some-shop.myshopify.com");

  ExpectRefused(Verify(with("https://some-shop.myshopify.com", "https://other-shop.myshopify.com/admin")), "iss");
  ExpectRefused(Verify(with("https://some-shop.myshopify.com", "https://some-shop.myshopify.com")), "iss");
  ExpectRefused(Verify(with("https://some-shop.myshopify.com", "http://some-shop.myshopify.com/admin")), "iss");
  ExpectRefused(Verify(with("https://evil.com", "https://evil.com/admin")), "dest");
  ExpectRefused(
      Verify(with("https://some-shop.myshopify.com.evil.com", "https://some-shop.myshopify.com.evil.com/admin")),
      "dest");
  ExpectRefused(Verify(with("http://some-shop.myshopify.com", "https://some-shop.myshopify.com/admin")), "dest");
  ExpectRefused(Verify(with("https://some-shop.myshopify.com/", "https://some-shop.myshopify.com/admin")), "dest");
  ExpectRefused(Verify(with("some-shop.myshopify.com", "https://some-shop.myshopify.com/admin")), "dest");
  ExpectRefused(Verify(with("https://admin.shopify.com/store/some-shop", "https://some-shop.myshopify.com/admin")),
                "dest");
  ExpectRefused(Verify(with("https://some-shop.myshopify.com:8443", "https://some-shop.myshopify.com/admin")), "dest");

  boost::json::object no_dest = ValidClaims();
  no_dest.erase("dest");
  ExpectRefused(Verify(SignSessionToken(no_dest, kSecret)), "dest");
  boost::json::object no_iss = ValidClaims();
  no_iss.erase("iss");
  ExpectRefused(Verify(SignSessionToken(no_iss, kSecret)), "iss");
  boost::json::object numeric_dest = ValidClaims();
  numeric_dest["dest"] = 5;
  ExpectRefused(Verify(SignSessionToken(numeric_dest, kSecret)), "dest");
}

TEST(SessionTokenTest, NumericSubAccepted) {
  boost::json::object claims = ValidClaims();
  claims["sub"] = 42;
  const Result<SessionToken> token = Verify(SignSessionToken(claims, kSecret));
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->user_id, "42");
  claims["sub"] = boost::json::object{};
  ExpectRefused(Verify(SignSessionToken(claims, kSecret)), "sub");
}

TEST(SessionTokenTest, GarbageTokens) {
  const std::string valid = SignSessionToken(ValidClaims(), kSecret);
  const std::string header = valid.substr(0, valid.find('.'));
  const std::string signed_garbage_payload = [&] {
    const std::string input = header + "." + crypto::Base64UrlEncode("not json");
    return input + "." + crypto::Base64UrlEncode(crypto::HmacSha256(kSecret, input));
  }();
  const std::string signed_array_payload = [&] {
    const std::string input = header + "." + crypto::Base64UrlEncode("[1,2]");
    return input + "." + crypto::Base64UrlEncode(crypto::HmacSha256(kSecret, input));
  }();
  const std::string padded = [&] {
    std::string t = valid;
    return t.substr(0, t.find('.')) + "=" + t.substr(t.find('.'));
  }();

  ExpectRefused(Verify(""), "missing");
  ExpectRefused(Verify("abc"), "three");
  ExpectRefused(Verify("a.b"), "three");
  ExpectRefused(Verify(valid + ".extra"), "three");
  ExpectRefused(Verify(".."), "header");
  ExpectRefused(Verify("Bearer " + valid), "header");
  ExpectRefused(Verify(padded), "header");
  ExpectRefused(Verify(crypto::Base64UrlEncode("not json") + ".e30.sig"), "header");
  ExpectRefused(Verify(crypto::Base64UrlEncode("[]") + ".e30.sig"), "header");
  ExpectRefused(Verify(header + ".e30.!!!"), "signature is not base64url");
  ExpectRefused(Verify(signed_garbage_payload), "payload");
  ExpectRefused(Verify(signed_array_payload), "payload");
  ExpectRefused(Verify(std::string(kMaxSessionTokenLength + 1, 'a')), "too long");
}

TEST(SessionTokenTest, RandomInputIsRefusedNotCrashed) {
  // Random bytes, and random mutations of a valid token: always a 401, never a crash or an acceptance.
  const std::string valid = SignSessionToken(ValidClaims(), kSecret);
  for (int i = 0; i < 2000; ++i) {
    const std::string random = crypto::RandomBytes(static_cast<std::size_t>(i % 300));
    EXPECT_FALSE(Verify(random).ok());
    std::string mutated = valid;
    const std::string noise = crypto::RandomBytes(3);
    mutated[static_cast<unsigned char>(noise[0]) * mutated.size() / 256] = noise[1];
    if (mutated != valid) {
      EXPECT_FALSE(Verify(mutated).ok()) << mutated;
    }
  }
}

}  // namespace
}  // namespace pagelift::shopify
