// The traffic simulator: visitors of a storefront running a pagelift experiment, with a planted truth.
// It reads the shop's SDK document (GET /v1/sdk/{shop}.json) as pagelift.js does, assigns each visitor with the same
// GrowthBook-compatible hashing (experiments/hashing.h), and produces what a real storefront would send: /v1/collect
// batches (exposure, page and product views, add to cart, begin checkout, and — when the scenario says so —
// checkout_completed events) and Shopify orders/paid payloads that carry the visitor id in note_attributes.
// The purchase probability of each visitor depends on their variant and device (the planted lift), so a test knows
// what the results must find. Everything is deterministic for a given seed.
//
// Used by tests/e2e/experiments_traffic_test.cpp and meant for the demo (a shop with live-looking results).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "experiments/hashing.h"

namespace pagelift::traffic_sim {

// One experiment of an SDK document, as pagelift.js reads it.
struct SdkExperiment {
  std::string key;  // the experiment id
  std::string target;
  std::vector<std::string> variants;  // keys, control first
  experiments::AssignmentSpec spec;
};

// The experiments of GET /v1/sdk/{shop}.json (400-style error naming the part that does not parse).
Result<std::vector<SdkExperiment>> ParseSdkDocument(const boost::json::value& document);

enum class PurchaseChannel {
  kOrders,  // orders/paid webhook payloads (orders_cache attribution): what a real shop produces
  kEvents,  // checkout_completed events through /v1/collect (the fallback when orders are not synced)
};

struct Scenario {
  std::uint64_t seed = 1;
  int visitors = 4000;
  // Devices and their share of visitors (normalised).
  std::vector<std::pair<std::string, double>> devices = {{"mobile", 0.6}, {"desktop", 0.35}, {"tablet", 0.05}};
  double control_purchase_rate = 0.10;
  // Relative lift of every non-control variant on the purchase probability; per device when listed there.
  double lift = 0.0;
  std::map<std::string, double> device_lift;
  double add_to_cart_rate = 0.3;  // of visitors who do not buy (buyers always add to cart)
  double order_value = 60.0;      // mean order total; totals vary ±50 %, whole cents
  PurchaseChannel channel = PurchaseChannel::kOrders;
  // A broken allocation (sample-ratio mismatch): this share of the last variant's visitors never sends its exposure
  // (e.g. a script error in that variant), so they are missing from the results. 0 = healthy.
  double lost_exposure_share = 0.0;
  // Visitors arrive uniformly over the last `days` days (≤ 6: the collector refuses events older than 7 days).
  int days = 3;
  // Traffic sources: share of visitors arriving from a search engine (the rest direct).
  double search_share = 0.3;
};

// What the simulator planted, for the test to compare with the results.
struct Truth {
  std::map<std::string, int> assigned;    // variant → visitors assigned (including those whose exposure was lost)
  std::map<std::string, int> exposed;     // variant → visitors whose exposure was sent
  std::map<std::string, int> purchasers;  // variant → exposed visitors who bought
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> by_device;  // (variant, device) → (n, buyers)
  int not_in_experiment = 0;              // coverage gaps
};

struct Traffic {
  std::vector<boost::json::object> batches;  // /v1/collect bodies {"shop", "events": [...]} of at most 500 events
  std::vector<boost::json::object> orders;   // orders/paid payloads (REST shape), when channel is kOrders
  std::size_t events = 0;
  Truth truth;
};

inline constexpr std::size_t kMaxEventsPerBatch = 500;

// Generates the traffic of `scenario` for `experiment` of shop `shop_public_id`; timestamps end at `now`.
Traffic Generate(const Scenario& scenario, const std::string& shop_public_id, const SdkExperiment& experiment,
                 TimePoint now);

// A minimal blocking HTTP/1.1 client for 127.0.0.1 (one connection, kept alive).
class HttpTransport {
 public:
  explicit HttpTransport(unsigned short port);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;
  struct Reply {
    int status = 0;
    std::string body;
  };
  Reply Request(const std::string& method, const std::string& target, const std::string& body = "",
                const std::string& content_type = "application/json");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct SendReport {
  int batches = 0;
  std::size_t events = 0;
  std::vector<std::string> failures;  // "status: body" of each refused batch
};

// GET /v1/sdk/{shop}.json and parse it.
Result<std::vector<SdkExperiment>> FetchSdkDocument(HttpTransport& http, const std::string& shop_public_id);

// POSTs every batch to /v1/collect.
SendReport SendEvents(HttpTransport& http, const Traffic& traffic);

}  // namespace pagelift::traffic_sim
