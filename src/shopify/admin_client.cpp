// Admin GraphQL client: transport (libcurl), pacing, retries, error mapping. See admin_client.h.
#include "shopify/admin_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "shopify/graphql_documents.h"
#include "shopify/token_store.h"
#include "shopify/urls.h"

namespace pagelift::shopify {
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

double NumberOr(const json::value* v, double fallback) {
  if (v == nullptr) return fallback;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return fallback;
}

// ---- libcurl ------------------------------------------------------------------------------------------------------

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per thread: curl_easy_reset keeps its connection cache, so consecutive calls to the same host reuse
// the TLS connection (keep-alive) without sharing a handle across threads.
struct ThreadCurl {
  CURL* handle = nullptr;
  ThreadCurl() {
    InitCurlOnce();
    handle = curl_easy_init();
  }
  ~ThreadCurl() {
    if (handle != nullptr) curl_easy_cleanup(handle);
  }
  ThreadCurl(const ThreadCurl&) = delete;
  ThreadCurl& operator=(const ThreadCurl&) = delete;
};

CURL* ThisThreadsCurl() {
  thread_local ThreadCurl curl;
  if (curl.handle == nullptr) throw std::runtime_error("curl_easy_init failed");
  curl_easy_reset(curl.handle);
  return curl.handle;
}

struct CurlSlist {
  curl_slist* list = nullptr;
  ~CurlSlist() { curl_slist_free_all(list); }
  void Add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) throw std::bad_alloc();
    list = next;
  }
};

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::vector<HttpHeader>*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (after a 100 Continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    headers->push_back({std::string(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1)))});
  }
  return size * count;
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t StreamBody(char* data, size_t size, size_t count, void* user) {
  auto* on_chunk = static_cast<const std::function<bool(std::string_view)>*>(user);
  return (*on_chunk)(std::string_view(data, size * count)) ? size * count : 0;
}

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlOptions options) : options_(options) { InitCurlOnce(); }

  Result<HttpResponse> Post(const std::string& url, const std::vector<HttpHeader>& headers,
                            const std::string& body) override {
    CURL* curl = ThisThreadsCurl();
    HttpResponse response;
    CurlSlist list;
    for (const auto& h : headers) list.Add(h.name + ": " + h.value);
    list.Add("Expect:");  // no 100-continue round trip
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.list);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    SetCommon(curl, response, options_.request_timeout);
    return Perform(curl, response);
  }

  Result<HttpResponse> Download(const std::string& url,
                                const std::function<bool(std::string_view chunk)>& on_chunk) override {
    CURL* curl = ThisThreadsCurl();
    HttpResponse response;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);  // result URLs may redirect to storage
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip if the server offers it
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, StreamBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &on_chunk);
    // A stalled download fails after a minute below 1 byte/s instead of hanging for the whole timeout.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    SetCommon(curl, response, options_.download_timeout);
    return Perform(curl, response);
  }

 private:
  void SetCommon(CURL* curl, HttpResponse& response, milliseconds total) const {
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "pagelift/0.1");
  }

  // `response` is the object the callbacks write into: it must stay in place until the transfer ends.
  static Result<HttpResponse> Perform(CURL* curl, HttpResponse& response) {
    const CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
      return MakeError(ErrorCode::kUnavailable, fmt::format("HTTP request failed: {}", curl_easy_strerror(code)),
                       {{"curl_code", static_cast<int>(code)}});
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return std::move(response);
  }

  CurlOptions options_;
};

std::string Truncated(std::string_view text, std::size_t limit = 300) {
  return std::string(text.substr(0, std::min(limit, text.size())));
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

TokenProvider TokenProviderFor(TokenStore& store) {
  TokenProvider provider;
  provider.access_token = [&store](const std::string& shop_id) { return store.AccessTokenFor(shop_id); };
  provider.refresh = [&store](const std::string& shop_id, const std::string& rejected_token) {
    store.Invalidate(shop_id, rejected_token);
    return store.AccessTokenFor(shop_id);
  };
  return provider;
}

std::unique_ptr<HttpTransport> MakeCurlTransport(CurlOptions options) {
  return std::make_unique<CurlTransport>(options);
}

// ---- pacing -------------------------------------------------------------------------------------------------------

void CostBucket::Observe(double maximum_available, double currently_available, double restore_rate,
                         Clock::time_point now) {
  known_ = maximum_available > 0;
  maximum_ = maximum_available;
  available_ = currently_available;
  restore_rate_ = restore_rate;
  at_ = now;
}

double CostBucket::Available(Clock::time_point now) const {
  if (!known_) return 0;
  const double elapsed = std::chrono::duration<double>(now - at_).count();
  return std::min(maximum_, available_ + std::max(0.0, elapsed) * restore_rate_);
}

milliseconds CostBucket::WaitFor(double cost, Clock::time_point now) const {
  if (!known_) return milliseconds(0);
  // A request can never need more than a full bucket; asking for more would wait forever.
  const double needed = std::min(cost, maximum_);
  const double available = Available(now);
  if (available >= needed) return milliseconds(0);
  if (restore_rate_ <= 0) return milliseconds(1000);
  return milliseconds(static_cast<long long>(std::ceil((needed - available) / restore_rate_ * 1000.0)));
}

void CostBucket::Spend(double cost, Clock::time_point now) {
  if (!known_) return;
  available_ = Available(now) - cost;
  at_ = now;
}

std::optional<milliseconds> ParseRetryAfter(std::string_view value, std::chrono::system_clock::time_point now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    // delta-seconds; Shopify sends whole seconds, a decimal is accepted rather than misread as milliseconds.
    double seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || !(seconds >= 0) || seconds > 86400) {
      return std::nullopt;
    }
    return milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0)));
  }
  const std::string text(value);
  const time_t at = curl_getdate(text.c_str(), nullptr);  // RFC 7231 HTTP-date
  if (at < 0) return std::nullopt;
  const auto delta = std::chrono::system_clock::from_time_t(at) - now;
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(delta));
}

json::array CollectUserErrors(const json::value& data) {
  json::array out;
  if (!data.is_object()) return out;
  for (const auto& [name, field] : data.get_object()) {
    if (!field.is_object()) continue;
    const auto* errors = field.get_object().if_contains("userErrors");
    if (errors == nullptr || !errors->is_array()) continue;
    for (const auto& e : errors->get_array()) out.push_back(e);
  }
  return out;
}

// ---- client -------------------------------------------------------------------------------------------------------

AdminClient::AdminClient(std::unique_ptr<HttpTransport> transport, TokenProvider tokens, AdminClientOptions options)
    : transport_(std::move(transport)), tokens_(std::move(tokens)), options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
}

double AdminClient::LearnedCost(std::string_view operation_name) const {
  std::lock_guard lock(mutex_);
  const auto it = learned_costs_.find(operation_name);
  return it == learned_costs_.end() ? options_.default_cost : it->second;
}

milliseconds AdminClient::Backoff(int attempt) const {
  // Exponential from backoff_base, capped; with jitter so that workers retrying together spread out.
  const double factor = std::pow(2.0, std::max(0, attempt - 1));
  const double base = std::min<double>(static_cast<double>(options_.backoff_max.count()),
                                       static_cast<double>(options_.backoff_base.count()) * factor);
  thread_local unsigned seed = static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  seed = seed * 1103515245u + 12345u;
  const double jitter = 0.75 + 0.5 * ((seed >> 16) % 1000) / 1000.0;
  return milliseconds(static_cast<long long>(base * jitter));
}

void AdminClient::Sleep(milliseconds duration) const {
  if (duration.count() > 0) options_.sleep(duration);
}

void AdminClient::PaceBefore(const std::string& shop, const std::string& operation) {
  const double cost = LearnedCost(operation);
  std::unique_lock lock(mutex_);
  auto& bucket = buckets_[shop];
  const auto wait = bucket.WaitFor(cost, CostBucket::Clock::now());
  if (wait.count() > 0) {
    lock.unlock();
    log::Debug("admin api: pacing", {{"shop", shop}, {"operation", operation}, {"wait_ms", wait.count()}});
    Sleep(wait);
    lock.lock();
  }
  buckets_[shop].Spend(cost, CostBucket::Clock::now());
}

void AdminClient::ObserveCost(const std::string& shop, const std::string& operation, const json::value& response) {
  const auto* root = response.if_object();
  const json::value* extensions = root ? root->if_contains("extensions") : nullptr;
  const json::value* cost = extensions && extensions->is_object() ? extensions->get_object().if_contains("cost")
                                                                 : nullptr;
  if (cost == nullptr || !cost->is_object()) return;
  const auto& c = cost->get_object();
  std::lock_guard lock(mutex_);
  if (const double requested = NumberOr(c.if_contains("requestedQueryCost"), -1); requested >= 0) {
    learned_costs_[operation] = requested;
  }
  const auto* status = c.if_contains("throttleStatus");
  if (status != nullptr && status->is_object()) {
    const auto& s = status->get_object();
    buckets_[shop].Observe(NumberOr(s.if_contains("maximumAvailable"), 0), NumberOr(s.if_contains("currentlyAvailable"), 0),
                           NumberOr(s.if_contains("restoreRate"), 0), CostBucket::Clock::now());
  }
}

Result<json::object> AdminClient::Execute(const ShopRef& shop, std::string_view operation_name,
                                          const json::object& variables) {
  const auto document = GraphqlDocument(operation_name);
  if (!document) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no GraphQL document named {}", operation_name),
                     {{"operation", operation_name}});
  }
  return ExecuteDocument(shop, *document, operation_name, variables);
}

Result<json::object> AdminClient::ExecuteDocument(const ShopRef& shop, std::string_view document,
                                                  std::string_view operation_name, const json::object& variables) {
  const std::string operation(operation_name);
  const std::string url = AdminGraphqlUrl(options_.admin_base_url, shop.domain, options_.api_version);
  const std::string body =
      json::serialize(json::object{{"query", document}, {"operationName", operation}, {"variables", variables}});
  const json::object log_fields{{"shop", shop.domain}, {"operation", operation}};

  bool refreshed = false;
  std::optional<Error> last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    PaceBefore(shop.domain, operation);
    auto token = tokens_.access_token(shop.id);
    if (!token) return std::move(token).error();
    auto sent = transport_->Post(url,
                                 {{"Content-Type", "application/json"},
                                  {"Accept", "application/json"},
                                  {"X-Shopify-Access-Token", *token}},
                                 body);
    if (!sent) {
      last = sent.error();
      auto fields = log_fields;
      fields["attempt"] = attempt;
      fields["error"] = sent.error().message;
      log::Warn("admin api: network error", fields);
      Sleep(Backoff(attempt));
      continue;
    }
    const HttpResponse& response = *sent;
    if (auto reason = response.Header("X-Shopify-API-Deprecated-Reason")) {
      auto fields = log_fields;
      fields["reason"] = *reason;
      log::Warn("admin api: deprecated usage", fields);
    }

    if (response.status == 401) {
      if (!refreshed && tokens_.refresh) {
        refreshed = true;
        if (auto fresh = tokens_.refresh(shop.id, *token); !fresh) return std::move(fresh).error();
        --attempt;  // a refresh is not a failed attempt
        continue;
      }
      return MakeError(ErrorCode::kUnauthorized, "Shopify refused the access token", {{"shop", shop.domain}});
    }
    if (response.status == 429 || response.status >= 500) {
      const auto retry_after = response.Header("Retry-After");
      const auto hinted = retry_after ? ParseRetryAfter(*retry_after, std::chrono::system_clock::now()) : std::nullopt;
      const milliseconds wait = hinted ? *hinted : (response.status == 429 ? milliseconds(1000) : Backoff(attempt));
      Error error = MakeError(response.status == 429 ? ErrorCode::kTooManyRequests : ErrorCode::kUnavailable,
                              fmt::format("Shopify answered HTTP {}", response.status),
                              {{"status", response.status}, {"shop", shop.domain}});
      error.retry_after_seconds = static_cast<int>(std::max<long long>(1, (wait.count() + 999) / 1000));
      last = std::move(error);
      auto fields = log_fields;
      fields["status"] = response.status;
      fields["attempt"] = attempt;
      fields["wait_ms"] = wait.count();
      log::Warn("admin api: retrying", fields);
      Sleep(wait);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      const ErrorCode code = response.status == 403   ? ErrorCode::kForbidden
                             : response.status == 404 ? ErrorCode::kNotFound
                                                      : ErrorCode::kBadRequest;
      return MakeError(code, fmt::format("Shopify answered HTTP {}", response.status),
                       {{"status", response.status}, {"body", Truncated(response.body)}});
    }

    json::value parsed;
    try {
      parsed = json::parse(response.body);
    } catch (const std::exception&) {
      last = MakeError(ErrorCode::kUnavailable, "Shopify answered with malformed JSON",
                       {{"body", Truncated(response.body)}});
      Sleep(Backoff(attempt));
      continue;
    }
    ObserveCost(shop.domain, operation, parsed);
    const auto* root = parsed.if_object();
    if (root == nullptr) {
      return MakeError(ErrorCode::kInternal, "Shopify answered with a non-object JSON body");
    }
    if (const auto* errors = root->if_contains("errors"); errors && errors->is_array() && !errors->get_array().empty()) {
      bool throttled = false;
      for (const auto& e : errors->get_array()) {
        const auto* ext = e.is_object() ? e.get_object().if_contains("extensions") : nullptr;
        const auto* code = ext && ext->is_object() ? ext->get_object().if_contains("code") : nullptr;
        if (code && code->is_string() && code->get_string() == "THROTTLED") throttled = true;
      }
      if (throttled) {
        milliseconds wait;
        {
          std::lock_guard lock(mutex_);
          wait = buckets_[shop.domain].WaitFor(learned_costs_.count(operation) ? learned_costs_[operation]
                                                                               : options_.default_cost,
                                               CostBucket::Clock::now());
        }
        if (wait.count() == 0) wait = Backoff(attempt);
        Error error = MakeError(ErrorCode::kTooManyRequests, "Shopify throttled the request", {{"shop", shop.domain}});
        error.retry_after_seconds = static_cast<int>(std::max<long long>(1, (wait.count() + 999) / 1000));
        last = std::move(error);
        auto fields = log_fields;
        fields["attempt"] = attempt;
        fields["wait_ms"] = wait.count();
        log::Warn("admin api: throttled", fields);
        Sleep(wait);
        continue;
      }
      return MakeError(ErrorCode::kBadRequest, "the Admin API rejected the query", {{"errors", *errors}});
    }
    const auto* data = root->if_contains("data");
    if (data == nullptr || !data->is_object()) {
      return MakeError(ErrorCode::kInternal, "Shopify answered without data");
    }
    if (auto user_errors = CollectUserErrors(*data); !user_errors.empty()) {
      bool in_progress = false;
      for (const auto& e : user_errors) {
        if (!e.is_object()) continue;
        const auto* message = e.get_object().if_contains("message");
        const auto* code = e.get_object().if_contains("code");
        if ((message && message->is_string() && ContainsIgnoreCase(message->get_string(), "in progress")) ||
            (code && code->is_string() && ContainsIgnoreCase(code->get_string(), "IN_PROGRESS"))) {
          in_progress = true;
        }
      }
      const std::string first_message = user_errors.front().is_object() &&
                                                user_errors.front().get_object().contains("message") &&
                                                user_errors.front().get_object().at("message").is_string()
                                            ? std::string(user_errors.front().get_object().at("message").get_string())
                                            : std::string("user error");
      return MakeError(in_progress ? ErrorCode::kConflict : ErrorCode::kBadRequest,
                       fmt::format("{}: {}", operation, first_message),
                       {{"user_errors", std::move(user_errors)}, {"operation", operation}});
    }
    return data->get_object();
  }
  Error error = last ? *last : MakeError(ErrorCode::kUnavailable, "Admin API call failed");
  error.message = fmt::format("{} (gave up after {} attempts)", error.message, options_.max_attempts);
  return error;
}

Result<void> AdminClient::Paginate(const ShopRef& shop, std::string_view operation_name, json::object variables,
                                   const std::vector<std::string>& connection_path,
                                   const std::function<Result<void>(const json::array& nodes)>& on_page,
                                   int page_size) {
  variables["first"] = std::clamp(page_size, 1, 250);
  for (;;) {
    auto data = Execute(shop, operation_name, variables);
    if (!data) return std::move(data).error();
    const json::value* at = &data.value().at(connection_path.front());
    for (std::size_t i = 1; i < connection_path.size() && at->is_object(); ++i) {
      at = at->get_object().if_contains(connection_path[i]);
      if (at == nullptr) break;
    }
    if (at == nullptr || !at->is_object()) {
      return MakeError(ErrorCode::kInternal, "paginated response lacks its connection",
                       {{"operation", operation_name}});
    }
    const auto& connection = at->get_object();
    json::array nodes;
    if (const auto* n = connection.if_contains("nodes"); n && n->is_array()) {
      nodes = n->get_array();
    } else if (const auto* edges = connection.if_contains("edges"); edges && edges->is_array()) {
      for (const auto& edge : edges->get_array()) {
        if (edge.is_object() && edge.get_object().contains("node")) nodes.push_back(edge.get_object().at("node"));
      }
    }
    if (auto page = on_page(nodes); !page) return page;
    const auto* info = connection.if_contains("pageInfo");
    const bool more = info && info->is_object() && info->get_object().contains("hasNextPage") &&
                      info->get_object().at("hasNextPage").is_bool() && info->get_object().at("hasNextPage").get_bool();
    if (!more) return {};
    const auto* cursor = info->get_object().if_contains("endCursor");
    if (cursor == nullptr || !cursor->is_string()) {
      return MakeError(ErrorCode::kInternal, "hasNextPage without endCursor", {{"operation", operation_name}});
    }
    variables["after"] = *cursor;
  }
}

}  // namespace pagelift::shopify
