// App Bridge session tokens: the HS256 JWT the embedded admin sends as `Authorization: Bearer …` (and as `id_token`
// on the first document load). Verification does every check of ../shared/spec/shopify-platform.md, including the
// `dest`/`iss` checks that go beyond Shopify's own library; signing exists for the simulator and tests.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/error.h"

namespace pagelift::shopify {

// Clock skew tolerated on `exp` and `nbf`.
inline constexpr std::chrono::seconds kSessionTokenLeeway{10};
// Longer input is refused before any decoding (a real token is well under 1 KiB).
inline constexpr std::size_t kMaxSessionTokenLength = 8192;

// What a verified token says.
struct SessionToken {
  std::string shop;        // `dest`'s host, canonical "{name}.myshopify.com": the shop every request is scoped to
  std::string user_id;     // `sub` (empty when absent)
  std::string session_id;  // `sid` (empty when absent)
  std::string jti;         // `jti` (empty when absent)
  std::chrono::system_clock::time_point expires_at;  // `exp`
};

// Verifies a session token. Every failure is ErrorCode::kUnauthorized with a message saying which check failed (never
// the token or the secret): the JWT is not three base64url segments or its JSON is malformed; `alg` is not exactly
// "HS256" ("none", "RS256" and a missing alg are refused); the signature over "header.payload" matches none of
// `secrets` (constant-time); `exp` is missing or not a number; now ≥ exp + leeway; now < nbf − leeway; `aud` is not
// the string `api_key` (an array is refused); `dest` is not "https://{shop}" with a valid shop domain; `iss` is not
// "https://{the same shop}/admin".
Result<SessionToken> VerifySessionToken(std::string_view jwt, std::string_view api_key,
                                        const std::vector<std::string>& secrets,
                                        std::chrono::system_clock::time_point now);

// The claims Shopify would put in a token for `shop` (canonical) and `api_key`: iss, dest, aud, sub, exp
// (issued_at + lifetime), nbf and iat (issued_at), jti and sid (random). For the simulator and tests.
struct SessionTokenClaims {
  std::string shop;
  std::string api_key;
  std::string user_id = "1";
  std::chrono::system_clock::time_point issued_at;
  std::chrono::seconds lifetime{60};
};
boost::json::object MakeSessionTokenClaims(const SessionTokenClaims& claims);

// An HS256 JWT: base64url({"alg":"HS256","typ":"JWT"}) "." base64url(claims) "." base64url(HMAC-SHA256).
std::string SignSessionToken(const boost::json::object& claims, std::string_view secret);

}  // namespace pagelift::shopify
