// The Admin GraphQL client: sends the embedded documents (src/shopify/graphql/*.graphql, graphql_documents.h) to
// {shop}/admin/api/{version}/graphql.json with the shop's access token, and owns everything Shopify asks of a
// well-behaved client (docs: shopify-platform.md, "Admin GraphQL API"):
//   - pacing from extensions.cost.throttleStatus: a per-shop estimate of the leaky bucket; a request whose cost
//     (learned per operation from requestedQueryCost) exceeds what is available waits for the bucket to restore,
//     so throttling errors are the exception rather than the control loop;
//   - bounded retries with backoff on THROTTLED, HTTP 429 (Retry-After in SECONDS), 5xx and network errors;
//   - one token refresh and retry after a 401;
//   - userErrors of a mutation surfaced as an Error (kConflict for "already in progress", else kBadRequest) with
//     details.user_errors;
//   - X-Shopify-API-Deprecated-Reason logged. The access token is never logged.
// Blocking: it runs in jobs and webhook handlers, never on an I/O thread. Thread-safe; one instance per process.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pagelift::shopify {

// The shop a call is for: its shops.id (for the token) and its myshopify domain (for the URL).
struct ShopRef {
  std::string id;
  std::string domain;
};

// Where the client gets a shop's access token. `refresh` is called once after a 401 with the token Shopify rejected
// (the token store refreshes an expiring token, serialised per shop) and returns the new token.
struct TokenProvider {
  std::function<Result<std::string>(const std::string& shop_id)> access_token;
  std::function<Result<std::string>(const std::string& shop_id, const std::string& rejected_token)> refresh;
};

class TokenStore;
// The production provider: TokenStore::AccessTokenFor, and Invalidate + AccessTokenFor after a 401. `store` must
// outlive the provider.
TokenProvider TokenProviderFor(TokenStore& store);

// ---- HTTP transport (libcurl in production; a fake in unit tests) ----------------------------------------------
struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;  // names as received
  std::string body;
  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string> Header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs `body`; a network failure (DNS, connect, TLS, timeout) is an Error of code kUnavailable.
  virtual Result<HttpResponse> Post(const std::string& url, const std::vector<HttpHeader>& headers,
                                    const std::string& body) = 0;
  // GETs `url`, handing the body to `on_chunk` piece by piece as it arrives (never buffered whole). A false return
  // from on_chunk aborts the transfer. Returns the status with an empty body.
  virtual Result<HttpResponse> Download(const std::string& url,
                                        const std::function<bool(std::string_view chunk)>& on_chunk) = 0;
};

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};   // whole exchange of one GraphQL call
  std::chrono::milliseconds download_timeout{3600 * 1000};  // a bulk result file can be large
};

// libcurl with one easy handle per thread (connections are kept alive between calls on the same thread).
std::unique_ptr<HttpTransport> MakeCurlTransport(CurlOptions options = {});

// ---- pacing -------------------------------------------------------------------------------------------------------
// One shop's leaky bucket as the client believes it to be, corrected by every response's throttleStatus.
class CostBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // From extensions.cost.throttleStatus of a response received at `now`.
  void Observe(double maximum_available, double currently_available, double restore_rate, Clock::time_point now);
  // Points available at `now` (restored linearly since the last observation, capped at the maximum).
  double Available(Clock::time_point now) const;
  // How long to wait before a request costing `cost` fits (zero when it fits now or nothing is known yet).
  std::chrono::milliseconds WaitFor(double cost, Clock::time_point now) const;
  // Deducts a request's cost as it is sent, so concurrent callers do not all spend the same points.
  void Spend(double cost, Clock::time_point now);
  bool known() const { return known_; }

 private:
  bool known_ = false;
  double maximum_ = 0;
  double available_ = 0;
  double restore_rate_ = 0;
  Clock::time_point at_{};
};

// Parses Retry-After: delta-seconds ("2", also "1.5") or an HTTP-date, relative to `now`. nullopt when malformed.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

// Collects the userErrors of every mutation field under `data` (each {field, message, code?}); empty when none.
boost::json::array CollectUserErrors(const boost::json::value& data);

// ---- client -------------------------------------------------------------------------------------------------------
struct AdminClientOptions {
  std::optional<std::string> admin_base_url;  // SHOPIFY_ADMIN_BASE_URL (simulator); nullopt → https://{shop}
  std::string api_version = "2026-10";
  int max_attempts = 6;                       // per Execute, across all retry causes
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{20000};
  double default_cost = 10;                   // assumed cost of an operation before its first response
  // Waiting (tests replace it to run fast); receives how long to sleep.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class AdminClient {
 public:
  AdminClient(std::unique_ptr<HttpTransport> transport, TokenProvider tokens, AdminClientOptions options);

  // Runs the embedded document `operation_name` with `variables`; returns the response's `data` object.
  // Errors: kNotFound (no such document), kUnauthorized (401 after a refresh, or no token), kBadRequest (GraphQL
  // errors; userErrors with details.user_errors), kConflict (userErrors saying an operation is in progress),
  // kTooManyRequests / kUnavailable when retries are exhausted (retry_after_seconds set when known).
  Result<boost::json::object> Execute(const ShopRef& shop, std::string_view operation_name,
                                      const boost::json::object& variables = {});

  // Like Execute, but for a document given in full (operation_name must match its operation).
  Result<boost::json::object> ExecuteDocument(const ShopRef& shop, std::string_view document,
                                              std::string_view operation_name, const boost::json::object& variables);

  // Cursor pagination over a connection at `connection_path` under data (e.g. {"products"}): calls `on_page` with
  // each page's nodes (from `nodes` or `edges[].node`), sending $first = page_size (≤ 250) and $after.
  Result<void> Paginate(const ShopRef& shop, std::string_view operation_name, boost::json::object variables,
                        const std::vector<std::string>& connection_path,
                        const std::function<Result<void>(const boost::json::array& nodes)>& on_page,
                        int page_size = 250);

  HttpTransport& transport() { return *transport_; }
  const AdminClientOptions& options() const { return options_; }

  // The learned cost of an operation (tests and metrics).
  double LearnedCost(std::string_view operation_name) const;

 private:
  std::chrono::milliseconds Backoff(int attempt) const;
  void Sleep(std::chrono::milliseconds duration) const;
  void PaceBefore(const std::string& shop, const std::string& operation);
  void ObserveCost(const std::string& shop, const std::string& operation, const boost::json::value& response);

  std::unique_ptr<HttpTransport> transport_;
  TokenProvider tokens_;
  AdminClientOptions options_;

  mutable std::mutex mutex_;
  std::map<std::string, CostBucket, std::less<>> buckets_;     // shop domain → bucket
  std::map<std::string, double, std::less<>> learned_costs_;  // operation → requestedQueryCost
};

}  // namespace pagelift::shopify
