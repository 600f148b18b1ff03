#include "shopify/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace pagelift::shopify {

namespace {

// curl_global_init is not thread-safe; run it once before the first handle.
void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string* body;
  std::size_t limit;
  bool overflow = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl fail the transfer
  }
  sink->body->append(data, bytes);
  return bytes;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  const size_t bytes = size * count;
  std::string line(data, bytes);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    const auto last = value.find_last_not_of(" \t\r\n");
    value = first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
    (*headers)[name] = value;
  }
  return bytes;
}

// One request: a POST of `body`, or a GET when there is none.
Result<HttpReply> Perform(const std::string& url, const std::string* body,
                          const std::map<std::string, std::string>& headers, const HttpCallOptions& options) {
  GlobalInit();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return MakeError(ErrorCode::kUnavailable, "cannot create an HTTP client handle");
  curl_slist* raw_list = nullptr;
  for (const auto& [name, value] : headers) raw_list = curl_slist_append(raw_list, (name + ": " + value).c_str());
  raw_list = curl_slist_append(raw_list, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(raw_list, &curl_slist_free_all);

  HttpReply reply;
  Sink sink{&reply.body, options.max_response_bytes};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  if (body != nullptr) {
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &reply.headers);
  const CURLcode code = curl_easy_perform(handle);
  if (sink.overflow) return MakeError(ErrorCode::kUnavailable, "the response from Shopify was too large");
  if (code != CURLE_OK) {
    return MakeError(ErrorCode::kUnavailable, std::string("cannot reach Shopify: ") + curl_easy_strerror(code));
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace

Result<HttpReply> HttpPost(const std::string& url, const std::string& body,
                           const std::map<std::string, std::string>& headers, const HttpCallOptions& options) {
  return Perform(url, &body, headers, options);
}

Result<HttpReply> HttpGet(const std::string& url, const std::map<std::string, std::string>& headers,
                          const HttpCallOptions& options) {
  return Perform(url, nullptr, headers, options);
}

}  // namespace pagelift::shopify
