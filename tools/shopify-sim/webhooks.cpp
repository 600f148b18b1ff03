#include "shopify-sim/webhooks.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <mutex>

#include "core/log.h"
#include "core/time.h"

namespace pagelift::shopify_sim {

namespace json = boost::json;

std::vector<std::chrono::milliseconds> CompressedRetrySchedule() {
  using std::chrono::milliseconds;
  return {milliseconds(200), milliseconds(400), milliseconds(800), milliseconds(1600),
          milliseconds(3200), milliseconds(6400), milliseconds(12800), milliseconds(25600)};
}

namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t DiscardBody(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

Dispatcher::Dispatcher(DispatcherOptions options, Recorder record)
    : options_(std::move(options)), record_(std::move(record)) {
  if (options_.retry_delays.empty()) options_.retry_delays = CompressedRetrySchedule();
  InitCurlOnce();
  thread_ = std::thread([this] { Loop(); });
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::SetRetryDelays(std::vector<std::chrono::milliseconds> delays) {
  if (delays.empty()) return;
  std::lock_guard lock(mutex_);
  options_.retry_delays = std::move(delays);
}

void Dispatcher::RunAt(std::chrono::steady_clock::time_point when, std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push(Item{when, next_sequence_++, std::move(task)});
  }
  changed_.notify_all();
}

void Dispatcher::Deliver(Delivery delivery) {
  auto shared = std::make_shared<const Delivery>(std::move(delivery));
  if (shared->drop) {
    RunAt(std::chrono::steady_clock::now(), [this, shared] {
      record_(shared->shop, {{"webhook_id", shared->webhook_id}, {"event_id", shared->event_id},
                             {"topic", shared->topic}, {"url", shared->url}, {"attempt", 0},
                             {"outcome", "dropped"}, {"status", 0},
                             {"at", FormatRfc3339Millis(std::chrono::system_clock::now())}});
    });
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  RunAt(now, [this, shared] { Attempt(shared, 0); });
  if (shared->duplicate) RunAt(now, [this, shared] { Attempt(shared, 0); });
}

bool Dispatcher::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return queue_.empty() && !running_task_; });
}

void Dispatcher::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto when = queue_.top().when;
    if (std::chrono::steady_clock::now() < when) {
      changed_.wait_until(lock, when);
      continue;
    }
    auto task = queue_.top().task;
    queue_.pop();
    running_task_ = true;
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      log::Error("shopify-sim: timed task failed", {{"error", e.what()}});
    }
    lock.lock();
    running_task_ = false;
    changed_.notify_all();
  }
}

void Dispatcher::Attempt(std::shared_ptr<const Delivery> delivery, int attempt) {
  std::string error;
  const long status = Post(*delivery, error);
  const bool ok = status >= 200 && status < 300;
  json::object entry{{"webhook_id", delivery->webhook_id},
                     {"event_id", delivery->event_id},
                     {"topic", delivery->topic},
                     {"url", delivery->url},
                     {"attempt", attempt},
                     {"status", status},
                     {"outcome", ok ? "delivered" : "failed"},
                     {"at", FormatRfc3339Millis(std::chrono::system_clock::now())}};
  if (!error.empty()) entry["error"] = error;
  record_(delivery->shop, std::move(entry));
  if (ok) return;
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    if (attempt >= options_.max_retries) return;  // Shopify gives up after the 8th retry
    const auto& delays = options_.retry_delays;
    delay = delays[std::min<size_t>(static_cast<size_t>(attempt), delays.size() - 1)];
  }
  RunAt(std::chrono::steady_clock::now() + delay, [this, delivery, attempt] { Attempt(delivery, attempt + 1); });
}

long Dispatcher::Post(const Delivery& delivery, std::string& error) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    error = "curl_easy_init failed";
    return 0;
  }
  curl_slist* raw_headers = nullptr;
  const std::vector<std::string> lines = {
      "Content-Type: application/json",
      "X-Shopify-Topic: " + delivery.topic,
      "X-Shopify-Hmac-Sha256: " + delivery.hmac,
      "X-Shopify-Shop-Domain: " + delivery.shop,
      "X-Shopify-API-Version: " + delivery.api_version,
      "X-Shopify-Webhook-Id: " + delivery.webhook_id,
      "X-Shopify-Event-Id: " + delivery.event_id,
      "X-Shopify-Triggered-At: " + delivery.triggered_at,
      "User-Agent: Shopify-Captain-Hook",
      "Expect:",
  };
  for (const auto& line : lines) raw_headers = curl_slist_append(raw_headers, line.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers, curl_slist_free_all);
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, delivery.url.c_str());
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, delivery.body.data());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(delivery.body.size()));
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, DiscardBody);
  const CURLcode rc = curl_easy_perform(handle);
  if (rc != CURLE_OK) {
    error = curl_easy_strerror(rc);
    return 0;
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace pagelift::shopify_sim
