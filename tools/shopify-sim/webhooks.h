// Webhook delivery as Shopify does it: an HTTPS POST of the JSON payload with X-Shopify-* headers and a base64
// HMAC-SHA256 of the raw body; answered within 5 s (1 s to connect) with a 2xx or it counts as failed; failed
// deliveries are retried with backoff (Shopify: 8 retries over 4 hours; here a configurable, compressed schedule),
// always with the same payload and the same X-Shopify-Webhook-Id.
//
// One background thread (never an I/O thread) runs a timer queue: delivery attempts through libcurl, and other
// timed simulator work (a bulk operation finishing).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

namespace pagelift::shopify_sim {

// One event for one subscription.
struct Delivery {
  std::string shop;
  std::string topic;  // "products/update"
  std::string url;
  std::string body;   // the raw JSON payload, signed as is
  std::string hmac;   // X-Shopify-Hmac-Sha256
  std::string api_version;
  std::string webhook_id;
  std::string event_id;
  std::string triggered_at;  // RFC 3339
  bool drop = false;         // fault injection: log it as dropped and never send it
  bool duplicate = false;    // fault injection: deliver it twice (same ids)
};

struct DispatcherOptions {
  std::vector<std::chrono::milliseconds> retry_delays;  // delay before retry i (the last repeats); ≤ max_retries used
  int max_retries = 8;
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds connect_timeout{1000};
};

// Shopify's published cadence is 8 retries over 4 hours; tests and the demo use this compressed schedule instead.
std::vector<std::chrono::milliseconds> CompressedRetrySchedule();

class Dispatcher {
 public:
  // `record` receives one log entry per attempt (and per dropped delivery), on the dispatcher thread.
  using Recorder = std::function<void(const std::string& shop, boost::json::object entry)>;

  Dispatcher(DispatcherOptions options, Recorder record);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Deliver(Delivery delivery);
  // Runs `task` on the dispatcher thread at `when` (or soon after).
  void RunAt(std::chrono::steady_clock::time_point when, std::function<void()> task);
  // Stops the thread; queued work is abandoned.
  void Stop();
  void SetRetryDelays(std::vector<std::chrono::milliseconds> delays);
  // Test helper: true once nothing is queued or running (waits up to `timeout`).
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  struct Item {
    std::chrono::steady_clock::time_point when;
    unsigned long long sequence;
    std::function<void()> task;
    bool operator>(const Item& other) const {
      return when != other.when ? when > other.when : sequence > other.sequence;
    }
  };
  void Loop();
  void Attempt(std::shared_ptr<const Delivery> delivery, int attempt);
  // POSTs once; the HTTP status, or 0 with `error` set on a transport failure or timeout.
  long Post(const Delivery& delivery, std::string& error) const;

  DispatcherOptions options_;
  Recorder record_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue_;
  unsigned long long next_sequence_ = 0;
  bool running_task_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pagelift::shopify_sim
