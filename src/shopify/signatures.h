// Verifying (and, for the simulator and tests, producing) the three HMAC signatures Shopify puts on requests:
// the OAuth redirect's `hmac` query parameter, the app proxy's `signature` parameter and the webhook's
// X-Shopify-Hmac-Sha256 header. Exact algorithms: ../shared/spec/shopify-platform.md. Every check accepts any of the
// configured secrets (SHOPIFY_API_SECRET is comma-separated during a rotation) and compares in constant time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pagelift::shopify {

// Decoded query parameters, in the order they appeared.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Parses a raw query string (without "?") with Boost.URL, percent-decoding keys and values and reading "+" as a space
// (form encoding). A parameter without "=" has an empty value; empty "&&" segments are skipped. Bytes RFC 3986 forbids
// in a query but browsers send raw (e.g. "[]") are read as themselves. nullopt on malformed percent-encoding.
std::optional<QueryParams> ParseQuery(std::string_view raw_query);

// Percent-encodes as Shopify's HMAC message does: only A-Z a-z 0-9 * - . _ stay literal, a space is "%20", every
// other byte is %XX with uppercase hex digits.
std::string EncodeQueryComponent(std::string_view text);

// --- OAuth redirect (`hmac`)
// -------------------------------------------------------------------------------------------

// The signed message: drop `hmac` and `signature`, sort by key (byte order), "key=value" with both re-encoded by
// EncodeQueryComponent, joined with "&".
std::string OAuthMessage(const QueryParams& params);
// Lowercase hex HMAC-SHA256 of OAuthMessage(params).
std::string ComputeOAuthHmac(const QueryParams& params, std::string_view secret);
// The params encoded as a query string with "&hmac=…" appended (what Shopify's redirect carries). For the simulator.
std::string SignOAuthQuery(const QueryParams& params, std::string_view secret);
// True when the query carries exactly one `hmac` equal (lowercase hex) to the HMAC under one of `secrets`. How Shopify
// encoded the values does not matter ("a%2Fb" and "a/b" sign the same). A query that repeats any key is refused:
// Shopify never sends one, and a repeated key would make the signed message ambiguous.
bool VerifyOAuthQuery(std::string_view raw_query, const std::vector<std::string>& secrets);

// The freshness window for signed `timestamp` parameters (OAuth and app proxy), in either direction.
inline constexpr std::chrono::seconds kTimestampTolerance{90};
// Checks a signed `timestamp` parameter: decimal Unix seconds (digits only) within kTimestampTolerance of now.
// kBadRequest when it is not an integer, kUnauthorized when it is too old or too far in the future.
Result<void> CheckRequestTimestamp(std::string_view timestamp, std::chrono::system_clock::time_point now);

// --- App proxy (`signature`) -----------------------------------------------------------------------------------------

// The signed message: drop `signature`; values of a repeated key joined with ","; "key=value" from decoded text;
// the strings sorted (byte order) and concatenated with no separator.
std::string AppProxyMessage(const QueryParams& params);
// Lowercase hex HMAC-SHA256 of AppProxyMessage(params).
std::string ComputeAppProxySignature(const QueryParams& params, std::string_view secret);
// The params encoded as a query string with "&signature=…" appended. For the simulator.
std::string SignAppProxyQuery(const QueryParams& params, std::string_view secret);

// What a verified app proxy request tells the app.
struct AppProxyRequest {
  std::string shop;                                  // canonical "{name}.myshopify.com"
  std::string path_prefix;                           // e.g. "/apps/pagelift"
  std::optional<std::string> logged_in_customer_id;  // nullopt when Shopify sent it empty (no customer logged in)
  std::int64_t timestamp = 0;                        // Unix seconds
};

// Verifies a request forwarded by Shopify's app proxy. kBadRequest: malformed query; `signature`, `shop` or
// `timestamp` missing or repeated; `path_prefix` or `logged_in_customer_id` repeated; `shop` not a shop domain;
// `timestamp` not an integer. kUnauthorized: the signature matches none of the secrets, or the timestamp is outside
// kTimestampTolerance.
Result<AppProxyRequest> VerifyAppProxyQuery(std::string_view raw_query, const std::vector<std::string>& secrets,
                                            std::chrono::system_clock::time_point now);

// --- Webhooks (X-Shopify-Hmac-Sha256)
// ----------------------------------------------------------------------------------

// base64(HMAC-SHA256(secret, raw body bytes)), the header value Shopify sends. For the simulator and tests.
std::string ComputeWebhookHmac(std::string_view raw_body, std::string_view secret);
// True when `header_b64` (canonical padded base64) is the HMAC of the raw body under one of `secrets`. Call it on the
// bytes as received, before any parsing.
bool VerifyWebhookHmac(std::string_view raw_body, std::string_view header_b64, const std::vector<std::string>& secrets);

}  // namespace pagelift::shopify
