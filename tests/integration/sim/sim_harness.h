// Shared set-up for the simulator's integration tests: a Simulator on a free port, a local webhook receiver built on
// pagelift's own HTTP server (it records every delivery and can be told to fail), and small helpers to call both.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "http/responses.h"
#include "shopify-sim/simulator.h"
#include "support/http_client.h"

namespace pagelift::shopify_sim::testing {

inline constexpr const char* kShop = "demo-store.myshopify.com";
inline constexpr const char* kApiKey = "test-api-key";
inline constexpr const char* kSecret = "test-secret";

struct ReceivedWebhook {
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// A webhook endpoint: POST /hooks records the delivery and answers `next_statuses` front first (then 200).
class Receiver {
 public:
  Receiver() {
    router_.Add(http::Verb::post, "/hooks",
                [this](http::Request& request, http::RequestContext&) -> boost::asio::awaitable<http::Response> {
                  ReceivedWebhook received;
                  for (const auto& field : request) {
                    std::string name(field.name_string());
                    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    received.headers[name] = std::string(field.value());
                  }
                  received.body = request.body();
                  int status = 200;
                  {
                    std::lock_guard lock(mutex_);
                    received_.push_back(std::move(received));
                    if (!next_statuses_.empty()) {
                      status = next_statuses_.front();
                      next_statuses_.pop_front();
                    }
                  }
                  co_return http::TextResponse(static_cast<http::Status>(status), "ok");
                });
    http::ServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    server_ = std::make_unique<http::Server>(options, router_, metrics_);
    server_->Start();
  }
  ~Receiver() { server_->Shutdown(std::chrono::milliseconds(200)); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hooks"; }
  void FailNext(std::initializer_list<int> statuses) {
    std::lock_guard lock(mutex_);
    next_statuses_.insert(next_statuses_.end(), statuses);
  }
  std::vector<ReceivedWebhook> Received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Waits until at least `count` deliveries arrived (true) or `timeout` passed.
  bool WaitFor(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Received().size() >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  http::Router router_;
  http::Metrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::mutex mutex_;
  std::vector<ReceivedWebhook> received_;
  std::deque<int> next_statuses_;
};

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimulatorOptions options;
    options.api_key = kApiKey;
    options.api_secrets = {kSecret};
    options.redirect_urls = {"http://app.test/auth/callback"};
    options.compliance_url = receiver_.url();
    options.products = 60;
    options.orders = 80;
    options.seed = 42;
    options.webhook_retry_delays = {std::chrono::milliseconds(50)};
    sim_ = std::make_unique<Simulator>(options);
    sim_->Start();
    client_ = std::make_unique<pagelift::testing::HttpClient>(sim_->port());
  }
  void TearDown() override {
    client_.reset();
    sim_->Shutdown();
  }

  pagelift::testing::HttpResult PostJson(const std::string& target, const boost::json::value& body,
                                         std::map<std::string, std::string> headers = {}) {
    headers["Content-Type"] = "application/json";
    return client_->Request("POST", target, boost::json::serialize(body), headers);
  }

  static boost::json::object Parse(const std::string& text) {
    auto value = boost::json::parse(text);
    return value.as_object();
  }

  // An expiring offline token through token exchange (the embedded app's path).
  std::string AccessToken() {
    auto token = Parse(PostJson("/_sim/shops/" + std::string(kShop) + "/session-token", boost::json::object{}).body);
    auto response = PostJson("/" + std::string(kShop) + "/admin/oauth/access_token",
                             {{"client_id", kApiKey},
                              {"client_secret", kSecret},
                              {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                              {"subject_token", token.at("token")},
                              {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"},
                              {"requested_token_type", "urn:shopify:params:oauth:token-type:offline-access-token"},
                              {"expiring", "1"}});
    EXPECT_EQ(response.status, 200) << response.body;
    return std::string(Parse(response.body).at("access_token").as_string());
  }

  pagelift::testing::HttpResult Graphql(const std::string& token, const std::string& operation, const std::string& query,
                                        const boost::json::object& variables = {}) {
    return PostJson("/" + std::string(kShop) + "/admin/api/2026-10/graphql.json",
                    {{"query", query}, {"operationName", operation}, {"variables", variables}},
                    {{"X-Shopify-Access-Token", token}});
  }

  pagelift::testing::HttpResult Control(const std::string& path, const boost::json::value& body) {
    return PostJson("/_sim/shops/" + std::string(kShop) + path, body);
  }

  boost::json::object GetJson(const std::string& target) { return Parse(client_->Get(target).body); }

  Receiver receiver_;
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<pagelift::testing::HttpClient> client_;
};

}  // namespace pagelift::shopify_sim::testing
