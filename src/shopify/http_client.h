// Outbound HTTPS to Shopify (and the simulator) with libcurl: one blocking POST (or GET) per call, a bounded timeout, no
// redirects, TLS verification on. Blocking: call it from job threads, or from a coroutine through
// db::Database::Offload. Nothing here logs request or response bodies (they carry tokens and secrets).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "core/error.h"

namespace pagelift::shopify {

struct HttpReply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; the last value of a repeated header
};

struct HttpCallOptions {
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_response_bytes = 64 << 20;
};

// POSTs `body` to `url` with the given headers (e.g. {"Content-Type", "application/json"}). Any HTTP status is a
// reply; a transport failure (DNS, connect, TLS, timeout, a response over the limit) is kUnavailable naming the
// host's failure, never the body.
Result<HttpReply> HttpPost(const std::string& url, const std::string& body,
                           const std::map<std::string, std::string>& headers, const HttpCallOptions& options = {});
// GETs `url`; a redirect is a reply (its Location in headers), never followed.
Result<HttpReply> HttpGet(const std::string& url, const std::map<std::string, std::string>& headers = {},
                          const HttpCallOptions& options = {});

}  // namespace pagelift::shopify
