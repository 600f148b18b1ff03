#include "shopify/signatures.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "core/crypto.h"
#include "shopify/shop_domain.h"

namespace pagelift::shopify {
namespace {

using Clock = std::chrono::system_clock;

std::string HexHmac(std::string_view secret, std::string_view message) {
  return crypto::HexEncode(crypto::HmacSha256(secret, message));
}

// True when `provided` equals the hex HMAC of `message` under one of the (non-empty) secrets. An empty secret would
// make the signature forgeable by anyone, so it never counts.
bool MatchesAnySecret(std::string_view provided, std::string_view message, const std::vector<std::string>& secrets) {
  bool matched = false;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    // No early exit: the time taken does not depend on which secret matched.
    matched |= crypto::ConstantTimeEquals(HexHmac(secret, message), provided);
  }
  return matched;
}

// Values grouped by key; keys in byte order, values in the order they appeared.
std::map<std::string, std::vector<std::string>> GroupByKey(const QueryParams& params) {
  std::map<std::string, std::vector<std::string>> grouped;
  for (const auto& [key, value] : params) grouped[key].push_back(value);
  return grouped;
}

std::string EncodeParams(const QueryParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += EncodeQueryComponent(key);
    out += '=';
    out += EncodeQueryComponent(value);
  }
  return out;
}

// `params` with their signature appended as parameter `key`, encoded: how Shopify sends a signed query.
std::string EncodeSigned(const QueryParams& params, const char* key, std::string signature) {
  QueryParams signed_params = params;
  signed_params.emplace_back(key, std::move(signature));
  return EncodeParams(signed_params);
}

Error BadRequest(std::string message) { return MakeError(ErrorCode::kBadRequest, std::move(message)); }
Error Unauthorized(std::string message) { return MakeError(ErrorCode::kUnauthorized, std::move(message)); }

// Decimal Unix seconds, digits only.
std::optional<std::int64_t> ParseUnixSeconds(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool IsAlphanumeric(unsigned char b) {
  return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9');
}

// Copies `text`, replacing every byte for which keep_literal is false by %XX (uppercase hex).
template <class KeepLiteral>
std::string PercentEncode(std::string_view text, KeepLiteral keep_literal) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (keep_literal(b)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0F]);
    }
  }
  return out;
}

// Browsers send some bytes raw that RFC 3986 forbids in a query ("grant_options[]=…", "|", "^"), and Boost.URL
// rightly refuses them. They have no structural meaning, so they are escaped here and read as themselves; "%", "&",
// "=" and "+" are left alone, so a malformed escape still fails and the structure is unchanged.
std::string EscapeIllegalQueryBytes(std::string_view raw) {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?%";
  return PercentEncode(raw, [](unsigned char b) {
    return IsAlphanumeric(b) || kAllowed.find(static_cast<char>(b)) != std::string_view::npos;
  });
}

}  // namespace

std::optional<QueryParams> ParseQuery(std::string_view raw_query) {
  const std::string query = EscapeIllegalQueryBytes(raw_query);
  if (!boost::urls::parse_query(query)) return std::nullopt;
  boost::urls::encoding_opts options;
  options.space_as_plus = true;
  const boost::urls::params_view view(query, options);
  QueryParams params;
  params.reserve(view.size());
  for (const boost::urls::param& param : view) {
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2"
    params.emplace_back(param.key, param.value);
  }
  return params;
}

std::string EncodeQueryComponent(std::string_view text) {
  return PercentEncode(
      text, [](unsigned char b) { return IsAlphanumeric(b) || b == '*' || b == '-' || b == '.' || b == '_'; });
}

// --- OAuth
// -------------------------------------------------------------------------------------------------------------

std::string OAuthMessage(const QueryParams& params) {
  QueryParams signed_params;
  for (const auto& param : params) {
    if (param.first != "hmac" && param.first != "signature") signed_params.push_back(param);
  }
  // Stable: keeps a repeated key's values in order (VerifyOAuthQuery refuses those anyway).
  std::stable_sort(signed_params.begin(), signed_params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return EncodeParams(signed_params);
}

std::string ComputeOAuthHmac(const QueryParams& params, std::string_view secret) {
  return HexHmac(secret, OAuthMessage(params));
}

std::string SignOAuthQuery(const QueryParams& params, std::string_view secret) {
  return EncodeSigned(params, "hmac", ComputeOAuthHmac(params, secret));
}

bool VerifyOAuthQuery(std::string_view raw_query, const std::vector<std::string>& secrets) {
  const std::optional<QueryParams> params = ParseQuery(raw_query);
  if (!params) return false;
  const auto grouped = GroupByKey(*params);
  if (grouped.size() != params->size()) return false;  // a repeated key
  const auto hmac = grouped.find("hmac");
  if (hmac == grouped.end()) return false;
  return MatchesAnySecret(hmac->second.front(), OAuthMessage(*params), secrets);
}

Result<void> CheckRequestTimestamp(std::string_view timestamp, Clock::time_point now) {
  const std::optional<std::int64_t> seconds = ParseUnixSeconds(timestamp);
  if (!seconds) return BadRequest("timestamp is not an integer number of seconds");
  const auto now_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // Both sides are far from the int64 limits for any real clock; ParseUnixSeconds bounds the input.
  const std::int64_t skew = *seconds > now_seconds ? *seconds - now_seconds : now_seconds - *seconds;
  if (skew > kTimestampTolerance.count()) {
    return Unauthorized(
        fmt::format("timestamp is {} s from now (at most {} s allowed)", skew, kTimestampTolerance.count()));
  }
  return {};
}

// --- App proxy
// ---------------------------------------------------------------------------------------------------------

std::string AppProxyMessage(const QueryParams& params) {
  std::vector<std::string> parts;
  for (const auto& [key, values] : GroupByKey(params)) {
    if (key == "signature") continue;
    std::string part = key + "=";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) part += ',';
      part += values[i];
    }
    parts.push_back(std::move(part));
  }
  // The docs sort the "k=v" strings (Shopify's JS library sorts keys; they differ only when a key prefixes another).
  std::sort(parts.begin(), parts.end());
  std::string message;
  for (const std::string& part : parts) message += part;
  return message;
}

std::string ComputeAppProxySignature(const QueryParams& params, std::string_view secret) {
  return HexHmac(secret, AppProxyMessage(params));
}

std::string SignAppProxyQuery(const QueryParams& params, std::string_view secret) {
  return EncodeSigned(params, "signature", ComputeAppProxySignature(params, secret));
}

Result<AppProxyRequest> VerifyAppProxyQuery(std::string_view raw_query, const std::vector<std::string>& secrets,
                                            Clock::time_point now) {
  const std::optional<QueryParams> params = ParseQuery(raw_query);
  if (!params) return BadRequest("app proxy query is malformed");
  const auto grouped = GroupByKey(*params);
  // Exactly one of each: a repeated value would be joined with "," into the signed message, so "shop=a&shop=b"
  // could carry a valid signature and still leave the reader unsure which shop was meant.
  auto single = [&grouped](const char* key) -> Result<std::string> {
    const auto it = grouped.find(key);
    if (it == grouped.end()) return BadRequest(fmt::format("app proxy query has no '{}'", key));
    if (it->second.size() != 1) return BadRequest(fmt::format("app proxy query repeats '{}'", key));
    return it->second.front();
  };
  Result<std::string> signature = single("signature");
  if (!signature) return signature.error();
  Result<std::string> shop_text = single("shop");
  if (!shop_text) return shop_text.error();
  Result<std::string> timestamp_text = single("timestamp");
  if (!timestamp_text) return timestamp_text.error();
  // The other parameters Shopify adds are single-valued too; refusing repeats keeps the value read unambiguous.
  for (const char* key : {"path_prefix", "logged_in_customer_id"}) {
    if (const auto it = grouped.find(key); it != grouped.end() && it->second.size() != 1) {
      return BadRequest(fmt::format("app proxy query repeats '{}'", key));
    }
  }

  std::optional<std::string> shop = NormalizeMyshopifyDomain(*shop_text);
  if (!shop) return BadRequest("app proxy 'shop' is not a shop domain");
  const std::optional<std::int64_t> timestamp = ParseUnixSeconds(*timestamp_text);
  if (!timestamp) return BadRequest("app proxy 'timestamp' is not an integer");

  if (!MatchesAnySecret(*signature, AppProxyMessage(*params), secrets)) {
    return Unauthorized("app proxy signature does not match");
  }
  if (Result<void> fresh = CheckRequestTimestamp(*timestamp_text, now); !fresh) return fresh.error();

  AppProxyRequest request;
  request.shop = std::move(*shop);
  request.timestamp = *timestamp;
  if (const auto it = grouped.find("path_prefix"); it != grouped.end()) request.path_prefix = it->second.front();
  if (const auto it = grouped.find("logged_in_customer_id"); it != grouped.end() && !it->second.front().empty()) {
    request.logged_in_customer_id = it->second.front();
  }
  return request;
}

// --- Webhooks
// ----------------------------------------------------------------------------------------------------------

std::string ComputeWebhookHmac(std::string_view raw_body, std::string_view secret) {
  return crypto::Base64Encode(crypto::HmacSha256(secret, raw_body));
}

bool VerifyWebhookHmac(std::string_view raw_body, std::string_view header_b64,
                       const std::vector<std::string>& secrets) {
  const std::optional<std::string> provided = crypto::Base64Decode(header_b64);
  if (!provided) return false;
  bool matched = false;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    matched |= crypto::ConstantTimeEquals(crypto::HmacSha256(secret, raw_body), *provided);
  }
  return matched;
}

}  // namespace pagelift::shopify
