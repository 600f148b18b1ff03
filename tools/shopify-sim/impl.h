// The simulator's internals, shared by simulator.cpp (wiring, OAuth), admin_api.cpp (Admin GraphQL) and
// control_api.cpp (/_sim/...). Not part of the public interface: include "shopify-sim/simulator.h" instead.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "shopify-sim/catalog.h"
#include "shopify-sim/cost.h"
#include "shopify-sim/shapes.h"
#include "shopify-sim/simulator.h"
#include "shopify-sim/webhooks.h"

namespace pagelift::shopify_sim {

using SteadyClock = std::chrono::steady_clock;

struct Subscription {
  std::int64_t id = 0;
  std::string topic_enum;  // PRODUCTS_UPDATE
  std::string topic;       // products/update
  std::string uri;
  std::string format = "JSON";
  TimePoint created_at;
};

struct BulkOperation {
  std::int64_t id = 0;
  std::string query;
  std::string status = "CREATED";  // CREATED, RUNNING, COMPLETED
  TimePoint created_at;
  std::optional<TimePoint> completed_at;
  BulkResult result;
};

struct Metafield {
  std::int64_t id = 0;
  std::string owner_id;  // gid
  std::string owner_type;
  std::string namespace_;
  std::string key;
  std::string type;
  std::string value;
  TimePoint created_at;
  TimePoint updated_at;
};

struct WebPixel {
  std::int64_t id = 0;
  std::string settings;  // serialized JSON
};

struct Faults {
  int fail_next = 0;  // Admin API requests still to fail
  int fail_status = 503;
  int retry_after_seconds = 1;
  std::chrono::milliseconds delay{0};
  int drop_next_webhooks = 0;
  double drop_probability = 0;
  int duplicate_next_webhooks = 0;
};

struct Shop {
  std::string domain;
  std::string name;
  std::int64_t id = 0;
  std::string currency = "USD";
  Catalog catalog;
  CostBucket bucket;
  std::vector<Subscription> subscriptions;
  std::vector<BulkOperation> bulk_operations;
  std::optional<WebPixel> web_pixel;
  std::vector<Metafield> metafields;
  // The published theme's app embed of this app (config/settings_data.json, MainThemeSettings): seeded on; tests turn
  // it off with POST /_sim/shops/{shop}/theme. other_app_embed_enabled: another app's embed block, also named
  // "app-embed", is on in the same theme (seeded absent), the case where only the app segment tells them apart.
  bool app_embed_enabled = true;
  bool other_app_embed_enabled = false;
  Faults faults;
  std::deque<boost::json::object> deliveries;  // webhook attempts, oldest first (capped)
  std::deque<boost::json::object> calls;       // Admin API calls, oldest first (capped)

  Shop(std::string shop_domain, CostBucket cost_bucket) : domain(std::move(shop_domain)), bucket(cost_bucket) {}
  Product* FindProduct(std::int64_t product_id);
};

struct AccessToken {
  std::string shop;
  std::string scope;
  std::optional<TimePoint> expires_at;  // nullopt: a non-expiring (legacy) offline token
  bool online = false;
};

struct RefreshToken {
  std::string shop;
  std::string scope;
  TimePoint expires_at;
  std::string predecessor;  // invalidated when this one is first used
};

struct AuthorizationCode {
  std::string shop;
  std::string scope;
  TimePoint expires_at;
  bool online = false;
};

// What an Admin GraphQL operation produced: data (with the request's cost charged) or top-level errors.
struct OperationResult {
  boost::json::value data;
  boost::json::array errors;  // non-empty: a top-level GraphQL error; the cost is refunded
};

class Simulator::Impl {
 public:
  explicit Impl(SimulatorOptions options);
  ~Impl();

  void Start();
  void Shutdown();
  unsigned short port() const { return server_ ? server_->port() : 0; }
  std::string BaseUrl() const;
  bool WaitForDeliveries(std::chrono::milliseconds timeout) { return dispatcher_.WaitIdle(timeout); }

 private:
  // simulator.cpp: OAuth and tokens.
  http::Response Authorize(const http::Request& request, const std::string& shop_param);
  http::Response AccessTokenEndpoint(const http::Request& request, const std::string& shop_param);
  boost::json::object IssueTokens(const std::string& shop, const std::string& scope, bool expiring, bool online);
  // The shop an Admin API token belongs to; nullopt when missing, unknown, expired or revoked.
  std::optional<std::string> Authenticate(const http::Request& request);

  // admin_api.cpp
  void RegisterAdminRoutes();
  std::chrono::milliseconds TakeDelay(const std::string& shop);
  http::Response Graphql(const http::Request& request, const std::string& shop_param);
  OperationResult RunOperation(Shop& shop, const std::string& name, const std::string& query,
                               const boost::json::object& variables);
  OperationResult ShopInfo(Shop& shop);
  OperationResult WebhookSubscriptionCreate(Shop& shop, const boost::json::object& variables);
  OperationResult BulkOperationRunQuery(Shop& shop, const boost::json::object& variables);
  OperationResult CurrentBulkOperation(Shop& shop, const boost::json::object& variables);
  OperationResult ProductsPage(Shop& shop, const std::string& query, const boost::json::object& variables);
  OperationResult OrdersPage(Shop& shop, const std::string& query, const boost::json::object& variables);
  OperationResult ProductUpdate(Shop& shop, const std::string& query, const boost::json::object& variables);
  OperationResult ProductVariantsBulkUpdate(Shop& shop, const std::string& query, const boost::json::object& variables);
  OperationResult MetafieldsSet(Shop& shop, const boost::json::object& variables);
  // Reads and writes recommend/patches uses: product(id:), node(id:){...on HasMetafields{metafield}},
  // metafieldsDelete, fileUpdate (media alt text).
  OperationResult ProductForPatch(Shop& shop, const std::string& query, const boost::json::object& variables);
  OperationResult AppMetafield(Shop& shop, const boost::json::object& variables);
  OperationResult MediaForPatch(Shop& shop, const boost::json::object& variables);
  OperationResult MetafieldsDelete(Shop& shop, const boost::json::object& variables);
  OperationResult FileUpdate(Shop& shop, const boost::json::object& variables);
  // "$app" / "$app:suffix" → the app's reserved namespace ("app--{api_key}[--suffix]"); others unchanged.
  std::string ResolveNamespace(const std::string& name) const;
  OperationResult WebPixelCreate(Shop& shop, const boost::json::object& variables);
  // themes(roles: [MAIN]) with its config/settings_data.json holding the app embed block.
  OperationResult MainThemeSettings(Shop& shop);
  void FinishBulkOperation(const std::string& shop, std::int64_t id);

  // control_api.cpp
  void RegisterControlRoutes();

  // Shared helpers (simulator.cpp).
  Shop* FindShop(const std::string& domain);
  std::int64_t NewId() { return ++next_runtime_id_; }
  // Queues `payload` for every subscription of `topic` on the shop, applying the webhook faults.
  void Emit(Shop& shop, const std::string& topic, const boost::json::object& payload);
  // Queues one delivery to `url` (compliance topics go to a configured URL, not to subscriptions).
  void DeliverTo(Shop& shop, const std::string& topic, const std::string& url, const std::string& body,
                 const std::string& event_id, const std::string& triggered_at);
  void RecordCall(Shop& shop, boost::json::object entry);
  boost::json::object BulkOperationJson(const BulkOperation& operation) const;
  // Applies ProductUpdateInput-shaped fields (and, for the control API, variants/images) to a product.
  // Returns userErrors (empty on success); nothing is changed when there are any.
  boost::json::array ApplyProductInput(Product& product, const boost::json::object& input, bool allow_nested);
  void RevokeShopTokens(const std::string& shop);

  SimulatorOptions options_;
  mutable std::mutex mutex_;  // guards everything below (and the options' timing fields)
  std::map<std::string, std::unique_ptr<Shop>, std::less<>> shops_;
  std::map<std::string, AccessToken, std::less<>> access_tokens_;
  std::map<std::string, RefreshToken, std::less<>> refresh_tokens_;
  std::map<std::string, AuthorizationCode, std::less<>> codes_;
  std::int64_t next_runtime_id_ = 9000000000000;
  Rng fault_rng_;

  Dispatcher dispatcher_;
  http::Router router_;
  http::Metrics metrics_;
  std::unique_ptr<http::Server> server_;
};

// Helpers shared by the .cpp files.
std::string QueryOf(const http::Request& request);
// A JSON object from a JSON or application/x-www-form-urlencoded body; nullopt when it is neither.
std::optional<boost::json::object> ObjectBody(const http::Request& request);
http::Response Json(http::Status status, const boost::json::value& body);
std::string Uuid();
TimePoint Now();

}  // namespace pagelift::shopify_sim
