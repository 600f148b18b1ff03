#include "shopify/session_token.h"

#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/crypto.h"
#include "shopify/shop_domain.h"

namespace pagelift::shopify {
namespace {

using Clock = std::chrono::system_clock;

Error Unauthorized(std::string message) {
  return MakeError(ErrorCode::kUnauthorized, "session token " + std::move(message));
}

// Decodes one base64url segment and parses it as a JSON object.
std::optional<boost::json::object> DecodeJsonSegment(std::string_view segment) {
  const std::optional<std::string> text = crypto::Base64UrlDecode(segment);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// A NumericDate claim (RFC 7519: seconds since the epoch, possibly fractional) as a time point. nullopt when the claim
// is absent; `invalid` set when it is present but not a plausible number.
std::optional<Clock::time_point> NumericDate(const boost::json::object& claims, std::string_view name, bool& invalid) {
  const boost::json::value* value = claims.if_contains(name);
  if (value == nullptr) return std::nullopt;
  double seconds = 0;
  if (value->is_int64()) {
    seconds = static_cast<double>(value->get_int64());
  } else if (value->is_uint64()) {
    seconds = static_cast<double>(value->get_uint64());
  } else if (value->is_double()) {
    seconds = value->get_double();
  } else {
    invalid = true;
    return std::nullopt;
  }
  // Bounded so the conversion below cannot overflow: 0 … 1e11 s (the year 5138).
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e11) {
    invalid = true;
    return std::nullopt;
  }
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}

// An optional string claim; a number is accepted for `sub` and rendered in decimal. `invalid` set for other types.
std::string StringClaim(const boost::json::object& claims, std::string_view name, bool& invalid) {
  const boost::json::value* value = claims.if_contains(name);
  if (value == nullptr) return {};
  if (value->is_string()) return std::string(value->get_string());
  if (value->is_int64()) return std::to_string(value->get_int64());
  if (value->is_uint64()) return std::to_string(value->get_uint64());
  invalid = true;
  return {};
}

// The shop of "https://{shop}{suffix}", or nullopt.
std::optional<std::string> ShopOfUrl(const boost::json::value* value, std::string_view suffix) {
  constexpr std::string_view kScheme = "https://";
  if (value == nullptr || !value->is_string()) return std::nullopt;
  std::string_view url = value->get_string();
  if (!url.starts_with(kScheme) || !url.ends_with(suffix) || url.size() < kScheme.size() + suffix.size()) {
    return std::nullopt;
  }
  return NormalizeMyshopifyDomain(url.substr(kScheme.size(), url.size() - kScheme.size() - suffix.size()));
}

}  // namespace

Result<SessionToken> VerifySessionToken(std::string_view jwt, std::string_view api_key,
                                        const std::vector<std::string>& secrets, Clock::time_point now) {
  if (jwt.empty()) return Unauthorized("is missing");
  if (jwt.size() > kMaxSessionTokenLength) return Unauthorized("is too long");

  // header.payload.signature
  const std::size_t first_dot = jwt.find('.');
  const std::size_t second_dot = first_dot == std::string_view::npos ? first_dot : jwt.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || jwt.find('.', second_dot + 1) != std::string_view::npos) {
    return Unauthorized("is not a JWT (expected three dot-separated segments)");
  }
  const std::string_view signing_input = jwt.substr(0, second_dot);
  const std::string_view header_segment = jwt.substr(0, first_dot);
  const std::string_view payload_segment = jwt.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_segment = jwt.substr(second_dot + 1);

  const std::optional<boost::json::object> header = DecodeJsonSegment(header_segment);
  if (!header) return Unauthorized("header is not base64url-encoded JSON");
  // Exactly HS256: "none" would skip the signature and an asymmetric alg would misuse the secret as a public key.
  const boost::json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") {
    return Unauthorized("algorithm is not HS256");
  }

  const std::optional<std::string> signature = crypto::Base64UrlDecode(signature_segment);
  if (!signature) return Unauthorized("signature is not base64url");
  bool signature_ok = false;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;  // an empty key would let anyone sign
    signature_ok |= crypto::ConstantTimeEquals(crypto::HmacSha256(secret, signing_input), *signature);
  }
  if (!signature_ok) return Unauthorized("signature does not match");

  const std::optional<boost::json::object> claims = DecodeJsonSegment(payload_segment);
  if (!claims) return Unauthorized("payload is not base64url-encoded JSON");

  bool invalid = false;
  const std::optional<Clock::time_point> exp = NumericDate(*claims, "exp", invalid);
  const std::optional<Clock::time_point> nbf = NumericDate(*claims, "nbf", invalid);
  if (invalid) return Unauthorized("has a time claim that is not a number of seconds");
  if (!exp) return Unauthorized("has no exp");
  if (now >= *exp + kSessionTokenLeeway) return Unauthorized("has expired");
  if (nbf && now < *nbf - kSessionTokenLeeway) return Unauthorized("is not valid yet (nbf)");

  const boost::json::value* aud = claims->if_contains("aud");
  if (aud == nullptr || !aud->is_string() || aud->get_string() != api_key || api_key.empty()) {
    return Unauthorized("audience is not this app");
  }

  const std::optional<std::string> shop = ShopOfUrl(claims->if_contains("dest"), "");
  if (!shop) return Unauthorized("dest is not https://{shop}.myshopify.com");
  if (ShopOfUrl(claims->if_contains("iss"), "/admin") != shop) {
    return Unauthorized("iss is not https://{dest shop}/admin");
  }

  SessionToken token;
  token.shop = *shop;
  token.user_id = StringClaim(*claims, "sub", invalid);
  token.session_id = StringClaim(*claims, "sid", invalid);
  token.jti = StringClaim(*claims, "jti", invalid);
  if (invalid) return Unauthorized("has a sub, sid or jti that is not a string");
  token.expires_at = *exp;
  return token;
}

boost::json::object MakeSessionTokenClaims(const SessionTokenClaims& claims) {
  const auto issued = std::chrono::duration_cast<std::chrono::seconds>(claims.issued_at.time_since_epoch()).count();
  return boost::json::object{
      {"iss", "https://" + claims.shop + "/admin"},
      {"dest", "https://" + claims.shop},
      {"aud", claims.api_key},
      {"sub", claims.user_id},
      {"exp", issued + claims.lifetime.count()},
      {"nbf", issued},
      {"iat", issued},
      {"jti", crypto::RandomHex(16)},
      {"sid", crypto::RandomHex(16)},
  };
}

std::string SignSessionToken(const boost::json::object& claims, std::string_view secret) {
  std::string token = crypto::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                      crypto::Base64UrlEncode(boost::json::serialize(claims));
  const std::string signature = crypto::HmacSha256(secret, token);
  token += ".";
  token += crypto::Base64UrlEncode(signature);
  return token;
}

}  // namespace pagelift::shopify
