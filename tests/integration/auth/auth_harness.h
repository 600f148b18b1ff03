// Shared by the auth integration tests: a migrated test database, the install/webhook/session routes behind a real
// http::Server, the job registry + dispatcher + queue as `serve` wires them (driven with RunOnce), and a fake Shopify
// token endpoint (another http::Server) that counts and answers code, token-exchange and refresh grants.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/auth.h"
#include "api/session.h"
#include "api/shop.h"
#include "api/sync.h"
#include "api/webhooks.h"
#include "core/crypto.h"
#include "core/time.h"
#include "db/database.h"
#include "http/metrics.h"
#include "http/responses.h"
#include "http/server.h"
#include "jobs/queue.h"
#include "shopify/compliance.h"
#include "shopify/oauth.h"
#include "shopify/session_token.h"
#include "shopify/shop_domain.h"
#include "shopify/shops_repository.h"
#include "shopify/signatures.h"
#include "shopify/token_cipher.h"
#include "shopify/token_store.h"
#include "shopify/webhooks.h"
#include "support/admin_session.h"
#include "support/http_client.h"
#include "support/test_database.h"
#include "support/test_server.h"

namespace pagelift::testing {

namespace json = boost::json;

inline constexpr const char* kSecret = "hush";
inline constexpr const char* kApiKey = "test-key";
inline constexpr const char* kKeysV1 = kTestTokenKeys;

// Shopify's token endpoint, as far as pagelift uses it. Access tokens are "access-<n>", refresh tokens "refresh-<n>".
class FakeTokenEndpoint {
 public:
  FakeTokenEndpoint() {
    server_.router().Add(http::Verb::post, "/{shop}/admin/oauth/access_token",
                [this](http::Request& request, http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
                  const std::string shop = context.params["shop"];
                  auto body = json::parse(request.body()).as_object();
                  const std::string grant =
                      body.contains("grant_type") ? std::string(body["grant_type"].as_string()) : "authorization_code";
                  {
                    std::lock_guard lock(mutex_);
                    ++calls_[grant];
                    last_body_ = body;
                  }
                  if (body["client_id"] != kApiKey || body["client_secret"] != kSecret) {
                    co_return http::JsonResponse(http::Status::bad_request, {{"error", "invalid_client"}});
                  }
                  if (grant == "refresh_token") {
                    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                                    refresh_delay_);
                    co_await timer.async_wait(boost::asio::use_awaitable);
                    if (refuse_refresh_) {
                      co_return http::JsonResponse(http::Status::bad_request, {{"error", "invalid_grant"}});
                    }
                  }
                  if (grant == "authorization_code" && body["code"] != "good-code") {
                    co_return http::JsonResponse(http::Status::bad_request, {{"error", "invalid_grant"}});
                  }
                  const int n = ++issued_;
                  co_return http::JsonResponse(http::Status::ok, {{"access_token", "access-" + std::to_string(n)},
                                                                  {"scope", "read_products,write_products"},
                                                                  {"expires_in", expires_in_},
                                                                  {"refresh_token", "refresh-" + std::to_string(n)},
                                                                  {"refresh_token_expires_in", 7776000}});
                });
    server_.Start();
  }
  ~FakeTokenEndpoint() { server_.Shutdown(); }  // before the counters its handler writes go

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  int calls(const std::string& grant) {
    std::lock_guard lock(mutex_);
    return calls_[grant];
  }
  json::object last_body() {
    std::lock_guard lock(mutex_);
    return last_body_;
  }
  std::atomic<bool> refuse_refresh_{false};
  std::chrono::milliseconds refresh_delay_{200};
  long long expires_in_ = 3600;

 private:
  TestServer server_;
  std::mutex mutex_;
  std::map<std::string, int> calls_;
  json::object last_body_;
  std::atomic<int> issued_{0};
};

class AuthHarness : public ::testing::Test {
 protected:
  AuthHarness()
      : database_(db_.conninfo(), 4),
        admin_(database_, TestApp(kApiKey, kSecret)),
        webhook_deps_{database_, secrets_, {}} {
    app_.scopes = "read_products,write_products";
    app_.admin_base_url = shopify_.base_url();
    shopify::RegisterWebhookJob(registry_, dispatcher_, database_);
    shopify::RegisterComplianceHandlers(dispatcher_, database_);
    registry_.Register(std::string(shopify::kShopInstalledJobKind), [](jobs::JobContext&) -> Result<void> {
      return {};
    });
    queue_.emplace(database_, registry_);
    api::RegisterAuthRoutes(server_.router(), admin_.deps());
    api::RegisterWebhookRoutes(server_.router(), webhook_deps_);
    api::RegisterShopRoutes(server_.router(), admin_.deps());
    api::RegisterSyncRoutes(server_.router(), admin_.deps());
    server_.Start();
    app_.app_url = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  ~AuthHarness() override {
    server_.Shutdown();
    queue_.reset();
  }

  HttpResult Get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return server_.Get(target, headers);
  }
  HttpResult Send(const std::string& method, const std::string& target, const std::string& body,
                  const std::map<std::string, std::string>& headers) {
    return server_.Request(method, target, body, headers);
  }

  // A webhook as Shopify sends it; `overrides` replace (or, with an empty value, drop) headers.
  HttpResult PostWebhook(const std::string& topic, const std::string& shop, const std::string& body,
                         const std::string& webhook_id, std::map<std::string, std::string> overrides = {}) {
    std::map<std::string, std::string> headers = {
        {"Content-Type", "application/json"},
        {"X-Shopify-Hmac-Sha256", shopify::ComputeWebhookHmac(body, kSecret)},
        {"X-Shopify-Topic", topic},
        {"X-Shopify-Shop-Domain", shop},
        {"X-Shopify-API-Version", "2026-10"},
        {"X-Shopify-Webhook-Id", webhook_id},
        {"X-Shopify-Triggered-At", FormatRfc3339Millis(Clock::now())}};
    for (auto& [name, value] : overrides) {
      if (value.empty()) {
        headers.erase(name);
      } else {
        headers[name] = value;
      }
    }
    return Send("POST", "/webhooks/shopify", body, headers);
  }

  // Runs queued jobs until none is due.
  int DrainJobs() {
    int ran = 0;
    while (queue_->RunOnce()) ++ran;
    return ran;
  }

  long long Count(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<long long>(); });
  }
  std::string Scalar(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) {
      auto r = tx.exec(sql);
      return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
    });
  }

  // Installs `domain` directly (as a successful callback would) and returns its shops row.
  shopify::ShopRow Install(const std::string& domain, const std::string& access_token = "access-direct",
                           std::optional<std::chrono::seconds> expires_in = std::chrono::seconds(3600)) {
    shopify::ShopTokens tokens;
    tokens.access_token = access_token;
    tokens.scope = "read_products";
    tokens.expires_in = expires_in;
    tokens.refresh_token = "refresh-direct";
    tokens.refresh_token_expires_in = std::chrono::seconds(7776000);
    return admin_.Install(domain, tokens);
  }

  std::string SessionToken(const std::string& shop, const std::string& secret = kSecret) {
    return admin_.SessionToken(shop, secret);
  }

  FakeTokenEndpoint shopify_;
  TestDatabase db_;
  db::Database database_;
  AdminSession admin_;
  shopify::AppCredentials& app_ = admin_.app();
  const crypto::KeyRing& keys_ = admin_.keys();
  std::vector<std::string> secrets_{kSecret};
  api::WebhookRouteDeps webhook_deps_;
  jobs::JobRegistry registry_;
  shopify::WebhookDispatcher dispatcher_;
  std::optional<jobs::JobQueue> queue_;
  TestServer server_;
};

}  // namespace pagelift::testing
