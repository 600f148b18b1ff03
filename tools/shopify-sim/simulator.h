// shopify_sim::Simulator: an in-memory Shopify for tests and the demo (ARCHITECTURE.md, "The Shopify simulator").
// It serves, on pagelift's own HTTP server, what pagelift reaches at {base}/{shop} (shopify/urls.h):
//   GET  /{shop}/admin/oauth/authorize          → 302 to the app with a signed code (or a 400 page)
//   POST /{shop}/admin/oauth/access_token       code exchange, token exchange, refresh (JSON or form)
//   POST /{shop}/admin/api/{version}/graphql.json  the Admin GraphQL operations pagelift sends, with extensions.cost
//                                               and leaky-bucket throttling
//   GET  /_sim/bulk/{id}.jsonl                  bulk-operation results
//   /_sim/...                                   the control API: edit data, trigger webhooks, inject faults, inspect
// and it delivers webhooks with real signatures and retries. Everything is deterministic from the seed except ids of
// things created at run time (tokens, webhook ids). docs/simulator.md is the user's guide.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace pagelift::shopify_sim {

struct SimulatorOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;  // 0 = any free port
  int io_threads = 1;
  // The URL the simulator gives out for itself (bulk result URLs); empty = "http://{host}:{bound port}".
  std::string public_url;

  // The app it knows (Shopify's app configuration).
  std::string api_key = "sim-api-key";
  std::vector<std::string> api_secrets = {"sim-api-secret"};  // the first signs; any is accepted as client_secret
  std::vector<std::string> redirect_urls;  // allowed redirect_uri values (a redirect_uri must start with one)
  std::string compliance_url;              // where compliance webhooks go ("" = nowhere)
  std::string scopes = "read_products,write_products,read_orders,write_pixels,read_customer_events,read_themes";
  std::string api_version = "2026-10";     // reported in X-Shopify-API-Version

  // The data.
  std::uint64_t seed = 1;
  int products = 300;  // per shop, ≤ 20,000
  int orders = 1000;
  TimePoint epoch;     // "now" of the generated history; default: a fixed date (byte-for-byte reproducible)
  std::vector<std::string> shops = {"demo-store.myshopify.com"};

  // Timing (all adjustable at run time through POST /_sim/config).
  std::chrono::seconds access_token_lifetime{3600};
  std::chrono::seconds refresh_token_lifetime{90 * 24 * 3600};
  std::chrono::seconds authorization_code_lifetime{600};
  std::chrono::milliseconds bulk_running_after{50};    // CREATED → RUNNING
  std::chrono::milliseconds bulk_completed_after{300};  // → COMPLETED
  std::vector<std::chrono::milliseconds> webhook_retry_delays;  // empty = CompressedRetrySchedule()
  std::chrono::milliseconds webhook_timeout{5000};

  // The Admin API's leaky bucket (Standard plan).
  double bucket_maximum = 2000;
  double bucket_restore_rate = 100;
};

class Simulator {
 public:
  explicit Simulator(SimulatorOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Generates the shops' data and starts serving. Throws std::system_error when it cannot bind.
  void Start();
  // Stops serving and stops webhook delivery (pending deliveries are dropped).
  void Shutdown();
  unsigned short port() const;
  // "http://127.0.0.1:{port}": what pagelift's SHOPIFY_ADMIN_BASE_URL should be.
  std::string base_url() const;

  // Test helper: waits until no webhook delivery or timed task is pending.
  bool WaitForDeliveries(std::chrono::milliseconds timeout);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pagelift::shopify_sim
