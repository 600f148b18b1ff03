// Tests for shopify/signatures: the published OAuth, app proxy and webhook vectors, the encoding rules of the OAuth
// message, secret rotation, and the refusals (repeated keys, stale timestamps, uppercase hex, bad base64).
#include "shopify/signatures.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/crypto.h"

namespace pagelift::shopify {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const std::vector<std::string> kHush = {"hush"};

system_clock::time_point At(std::int64_t unix_seconds) { return system_clock::time_point(seconds(unix_seconds)); }

std::string ToUpper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// --- OAuth
// -------------------------------------------------------------------------------------------------------------

constexpr char kOAuthQuery[] =
    "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173";
constexpr char kOAuthHmac[] = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf";
constexpr char kOAuthQueryWithoutState[] =
    "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&timestamp=1337178173";
constexpr char kOAuthHmacWithoutState[] = "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20";

TEST(OAuthHmacTest, PublishedVectors) {
  EXPECT_EQ(ComputeOAuthHmac(*ParseQuery(kOAuthQuery), "hush"), kOAuthHmac);
  EXPECT_EQ(ComputeOAuthHmac(*ParseQuery(kOAuthQueryWithoutState), "hush"), kOAuthHmacWithoutState);
  EXPECT_TRUE(VerifyOAuthQuery(std::string(kOAuthQuery) + "&hmac=" + kOAuthHmac, kHush));
  EXPECT_TRUE(VerifyOAuthQuery(std::string(kOAuthQueryWithoutState) + "&hmac=" + kOAuthHmacWithoutState, kHush));
  // The hmac may be anywhere in the query; the order of the others does not matter either.
  EXPECT_TRUE(VerifyOAuthQuery(std::string("hmac=") + kOAuthHmac +
                                   "&timestamp=1337178173&state=0.6784241404160823&shop=some-shop.myshopify.com"
                                   "&code=0907a61c0c8d55e99db179b68161bc00",
                               kHush));
}

TEST(OAuthHmacTest, RefusesWrongSignatures) {
  const std::string base = kOAuthQuery;
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=" + kOAuthHmacWithoutState, kHush));             // another message's hmac
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=" + ToUpper(kOAuthHmac), kHush));                // uppercase hex
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=" + std::string(kOAuthHmac).substr(1), kHush));  // truncated
  EXPECT_FALSE(VerifyOAuthQuery(base, kHush));                                                 // no hmac
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=", kHush));
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=" + kOAuthHmac, {"other"}));  // wrong secret
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=" + kOAuthHmac, {}));         // no secret configured
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=" + kOAuthHmac, {""}));
  // A changed value breaks it.
  std::string tampered = base + "&hmac=" + kOAuthHmac;
  tampered.replace(tampered.find("some-shop"), 9, "evil-shop");
  EXPECT_FALSE(VerifyOAuthQuery(tampered, kHush));
  // Repeated keys are refused, even hmac itself.
  EXPECT_FALSE(VerifyOAuthQuery(base + "&hmac=" + kOAuthHmac + "&hmac=" + kOAuthHmac, kHush));
  EXPECT_FALSE(VerifyOAuthQuery(base + "&shop=evil.myshopify.com&hmac=" + kOAuthHmac, kHush));
  // Malformed percent-encoding.
  EXPECT_FALSE(VerifyOAuthQuery(base + "&x=%zz&hmac=" + kOAuthHmac, kHush));
}

TEST(OAuthHmacTest, SignatureParameterIsIgnoredLikeHmac) {
  EXPECT_TRUE(VerifyOAuthQuery(std::string(kOAuthQuery) + "&signature=legacy&hmac=" + kOAuthHmac, kHush));
}

TEST(OAuthHmacTest, SecondSecretAcceptedDuringRotation) {
  const std::string query = std::string(kOAuthQuery) + "&hmac=" + kOAuthHmac;
  EXPECT_TRUE(VerifyOAuthQuery(query, {"new-secret", "hush"}));
  EXPECT_TRUE(VerifyOAuthQuery(query, {"hush", "new-secret"}));
  EXPECT_FALSE(VerifyOAuthQuery(query, {"new-secret", "older-secret"}));
}

TEST(OAuthHmacTest, EncodingRules) {
  EXPECT_EQ(EncodeQueryComponent("AZaz09*-._"), "AZaz09*-._");
  EXPECT_EQ(EncodeQueryComponent("~"), "%7E");
  EXPECT_EQ(EncodeQueryComponent("/"), "%2F");
  EXPECT_EQ(EncodeQueryComponent("="), "%3D");
  EXPECT_EQ(EncodeQueryComponent("[]"), "%5B%5D");
  EXPECT_EQ(EncodeQueryComponent(" "), "%20");
  EXPECT_EQ(EncodeQueryComponent("+&%!'()"), "%2B%26%25%21%27%28%29");
  EXPECT_EQ(EncodeQueryComponent("\xe2\x82\xac"), "%E2%82%AC");  // UTF-8 bytes, uppercase hex
  EXPECT_EQ(OAuthMessage({{"b", "2"}, {"hmac", "x"}, {"a", "x~y z"}, {"grant_options[]", "per-user"}}),
            "a=x%7Ey%20z&b=2&grant_options%5B%5D=per-user");
}

TEST(OAuthHmacTest, KeysSortByteOrder) {
  // Uppercase sorts before lowercase, "_" between them, and a prefix before its extensions.
  EXPECT_EQ(OAuthMessage({{"b", "1"}, {"a_b", "2"}, {"ab", "3"}, {"a", "4"}, {"B", "5"}}), "B=5&a=4&a_b=2&ab=3&b=1");
}

// Signs the decoded params, then checks that the raw spellings all verify with that one hmac.
void ExpectSpellingsVerify(const QueryParams& decoded, const std::vector<std::string>& raw_spellings) {
  const std::string hmac = ComputeOAuthHmac(decoded, "hush");
  for (const std::string& raw : raw_spellings) {
    EXPECT_TRUE(VerifyOAuthQuery(raw + "&hmac=" + hmac, kHush)) << raw;
  }
}

TEST(OAuthHmacTest, HowShopifyEncodedTheQueryDoesNotMatter) {
  ExpectSpellingsVerify(
      {{"path", "a/b"}, {"shop", "s.myshopify.com"}},
      {"path=a/b&shop=s.myshopify.com", "path=a%2Fb&shop=s.myshopify.com", "path=a%2fb&shop=s%2Emyshopify%2Ecom"});
  ExpectSpellingsVerify({{"x", "a b"}}, {"x=a+b", "x=a%20b"});
  ExpectSpellingsVerify({{"x", "a~b"}}, {"x=a~b", "x=a%7Eb", "x=a%7eb"});
  ExpectSpellingsVerify({{"x", "k=v"}}, {"x=k=v", "x=k%3Dv"});
  ExpectSpellingsVerify({{"grant_options[]", "per-user"}},
                        {"grant_options[]=per-user", "grant_options%5B%5D=per-user"});
  // And the hmac is the one over the spec's encoding: computed independently here.
  const std::string expected = crypto::HexEncode(crypto::HmacSha256("hush", "path=a%2Fb&x=a%7Eb%20c"));
  EXPECT_TRUE(VerifyOAuthQuery("x=a~b+c&path=a/b&hmac=" + expected, kHush));
  const std::string plus_as_literal = crypto::HexEncode(crypto::HmacSha256("hush", "x=a%2Bb"));
  EXPECT_TRUE(VerifyOAuthQuery("x=a%2Bb&hmac=" + plus_as_literal, kHush));
  EXPECT_FALSE(VerifyOAuthQuery("x=a+b&hmac=" + plus_as_literal, kHush));  // "+" is a space, not a plus
}

TEST(OAuthHmacTest, SignOAuthQueryRoundTrips) {
  const QueryParams params = {{"code", "abc"}, {"shop", "s.myshopify.com"}, {"state", "n/o~nce"}, {"timestamp", "1"}};
  const std::string query = SignOAuthQuery(params, "hush");
  EXPECT_NE(query.find("&hmac=" + ComputeOAuthHmac(params, "hush")), std::string::npos);
  EXPECT_TRUE(VerifyOAuthQuery(query, kHush));
  EXPECT_FALSE(VerifyOAuthQuery(query, {"nope"}));
}

TEST(ParseQueryTest, DecodesFormEncoding) {
  const auto params = ParseQuery("a=1+2&b=%2F&c&d=&&e=x%3Dy");
  ASSERT_TRUE(params.has_value());
  const QueryParams expected = {{"a", "1 2"}, {"b", "/"}, {"c", ""}, {"d", ""}, {"e", "x=y"}};
  EXPECT_EQ(*params, expected);
  EXPECT_EQ(ParseQuery("")->size(), 0u);
  EXPECT_FALSE(ParseQuery("a=%").has_value());
  EXPECT_FALSE(ParseQuery("a=%G0").has_value());
}

// --- timestamps ----------------------------------------------------------------------------------------------------

TEST(TimestampTest, WithinNinetySecondsEitherDirection) {
  const auto now = At(1'700'000'000);
  EXPECT_TRUE(CheckRequestTimestamp("1700000000", now).ok());
  EXPECT_TRUE(CheckRequestTimestamp("1699999910", now).ok());
  EXPECT_TRUE(CheckRequestTimestamp("1700000090", now).ok());
  EXPECT_EQ(CheckRequestTimestamp("1699999909", now).error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(CheckRequestTimestamp("1700000091", now).error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(CheckRequestTimestamp("0", now).error().code, ErrorCode::kUnauthorized);
}

TEST(TimestampTest, MustBeAnInteger) {
  const auto now = At(1'700'000'000);
  for (const char* bad : {"", "abc", "1700000000.5", "-1700000000", "+1700000000", " 1700000000", "1700000000 ", "1e9",
                          "0x10", "99999999999999999999999"}) {
    const Result<void> result = CheckRequestTimestamp(bad, now);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code, ErrorCode::kBadRequest) << bad;
  }
}

// --- App proxy -----------------------------------------------------------------------------------------------------

constexpr char kProxyMessage[] =
    "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviewsshop=shop-name.myshopify.comtimestamp=1317327555";
constexpr char kProxySignature[] = "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb";
constexpr char kProxyQuery[] =
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews"
    "&timestamp=1317327555";
const auto kProxyNow = At(1317327555);

TEST(AppProxyTest, PublishedVector) {
  const QueryParams params = *ParseQuery(kProxyQuery);
  EXPECT_EQ(AppProxyMessage(params), kProxyMessage);
  EXPECT_EQ(ComputeAppProxySignature(params, "hush"), kProxySignature);
  EXPECT_EQ(crypto::HexEncode(crypto::HmacSha256("hush", kProxyMessage)), kProxySignature);

  const Result<AppProxyRequest> request =
      VerifyAppProxyQuery(std::string(kProxyQuery) + "&signature=" + kProxySignature, kHush, kProxyNow);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->shop, "shop-name.myshopify.com");
  EXPECT_EQ(request->path_prefix, "/apps/awesome_reviews");
  EXPECT_EQ(request->logged_in_customer_id, "1");
  EXPECT_EQ(request->timestamp, 1317327555);
}

TEST(AppProxyTest, SortsKeyValueStringsNotKeys) {
  // As keys "a" < "a-b", but as strings "a-b=1" < "a=2" ('-' 0x2D < '=' 0x3D): the docs' order is the second.
  EXPECT_EQ(AppProxyMessage({{"a", "2"}, {"a-b", "1"}}), "a-b=1a=2");
}

TEST(AppProxyTest, Refusals) {
  const std::string signed_query = std::string(kProxyQuery) + "&signature=" + kProxySignature;
  auto code_of = [](const Result<AppProxyRequest>& r) { return r.ok() ? std::optional<ErrorCode>() : r.error().code; };

  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query, {"other"}, kProxyNow)), ErrorCode::kUnauthorized);
  EXPECT_EQ(code_of(VerifyAppProxyQuery(std::string(kProxyQuery) + "&signature=" + ToUpper(kProxySignature), kHush,
                                        kProxyNow)),
            ErrorCode::kUnauthorized);
  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query + "&extra=3", kHush, kProxyNow)), ErrorCode::kUnauthorized);
  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query, kHush, kProxyNow + seconds(91))), ErrorCode::kUnauthorized);
  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query, kHush, kProxyNow - seconds(91))), ErrorCode::kUnauthorized);
  EXPECT_TRUE(VerifyAppProxyQuery(signed_query, kHush, kProxyNow + seconds(90)).ok());
  EXPECT_TRUE(VerifyAppProxyQuery(signed_query, {"rotated", "hush"}, kProxyNow).ok());

  EXPECT_EQ(code_of(VerifyAppProxyQuery(kProxyQuery, kHush, kProxyNow)), ErrorCode::kBadRequest);  // no signature
  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query + "&signature=" + kProxySignature, kHush, kProxyNow)),
            ErrorCode::kBadRequest);
  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query + "&shop=evil.myshopify.com", kHush, kProxyNow)),
            ErrorCode::kBadRequest);
  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query + "&timestamp=1317327555", kHush, kProxyNow)),
            ErrorCode::kBadRequest);
  EXPECT_EQ(code_of(VerifyAppProxyQuery(signed_query + "&a=%", kHush, kProxyNow)), ErrorCode::kBadRequest);
}

TEST(AppProxyTest, RepeatedShopWouldOtherwiseVerify) {
  // A signer who joined "shop" values would produce a valid signature; the verifier still refuses the ambiguity.
  const QueryParams params = {{"shop", "a.myshopify.com"}, {"shop", "b.myshopify.com"}, {"timestamp", "1317327555"}};
  const std::string query = SignAppProxyQuery(params, "hush");
  const Result<AppProxyRequest> result = VerifyAppProxyQuery(query, kHush, kProxyNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kBadRequest);
}

TEST(AppProxyTest, SignRoundTripsAndEmptyCustomerIsAbsent) {
  const QueryParams params = {{"shop", "s.myshopify.com"},
                              {"logged_in_customer_id", ""},
                              {"path_prefix", "/apps/pagelift"},
                              {"timestamp", "1317327555"}};
  const Result<AppProxyRequest> request = VerifyAppProxyQuery(SignAppProxyQuery(params, "hush"), kHush, kProxyNow);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_FALSE(request->logged_in_customer_id.has_value());
  EXPECT_EQ(request->path_prefix, "/apps/pagelift");
}

// --- Webhooks --------------------------------------------------------------------------------------------------------

constexpr char kWebhookHmac[] = "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=";

TEST(WebhookHmacTest, PublishedVector) {
  EXPECT_EQ(ComputeWebhookHmac(R"({"id":1})", "hush"), kWebhookHmac);
  EXPECT_TRUE(VerifyWebhookHmac(R"({"id":1})", kWebhookHmac, kHush));
}

TEST(WebhookHmacTest, Refusals) {
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id": 1})", kWebhookHmac, kHush));  // bytes differ, JSON equal
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id":2})", kWebhookHmac, kHush));
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id":1})", kWebhookHmac, {"other"}));
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id":1})", kWebhookHmac, {}));
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id":1})", "", kHush));
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id":1})", "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY", kHush));   // unpadded
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id":1})", "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1_GSeY=", kHush));  // url-safe
  EXPECT_FALSE(VerifyWebhookHmac(R"({"id":1})", crypto::HexEncode(*crypto::Base64Decode(kWebhookHmac)), kHush));
  EXPECT_FALSE(VerifyWebhookHmac("", ComputeWebhookHmac("", ""), {""}));  // an empty secret never counts
}

TEST(WebhookHmacTest, EitherSecretDuringRotation) {
  const std::string body = R"({"id":1,"title":"Café"})";
  const std::string old_hmac = ComputeWebhookHmac(body, "old");
  const std::string new_hmac = ComputeWebhookHmac(body, "new");
  EXPECT_TRUE(VerifyWebhookHmac(body, old_hmac, {"new", "old"}));
  EXPECT_TRUE(VerifyWebhookHmac(body, new_hmac, {"new", "old"}));
  EXPECT_FALSE(VerifyWebhookHmac(body, old_hmac, {"new"}));
}

TEST(SignaturesTest, RandomInputIsRefusedNotCrashed) {
  for (int i = 0; i < 2000; ++i) {
    const std::string random = crypto::RandomBytes(static_cast<std::size_t>(i % 200));
    EXPECT_FALSE(VerifyOAuthQuery(random, kHush));
    EXPECT_FALSE(VerifyAppProxyQuery(random, kHush, kProxyNow).ok());
    EXPECT_FALSE(VerifyWebhookHmac(R"({"id":1})", random, kHush));
  }
}

}  // namespace
}  // namespace pagelift::shopify
