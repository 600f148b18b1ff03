// The Shopify side of a running pagelift process, built once by RunService: the app's credentials, the token key ring,
// the job registry and queue, the webhook dispatcher with the install/compliance handlers, the token store, and the
// HTTP routes /auth/*, /webhooks/shopify, /api/shop, /api/settings. Other capabilities register their job kinds and
// webhook topics on registry() / dispatcher() after construction and before StartWorkers().
#pragma once

#include <memory>
#include <optional>

#include "api/session.h"
#include "api/webhooks.h"
#include "core/config.h"
#include "core/crypto.h"
#include "db/database.h"
#include "http/metrics.h"
#include "http/router.h"
#include "jobs/queue.h"
#include "shopify/oauth.h"
#include "shopify/token_store.h"
#include "shopify/webhooks.h"

namespace pagelift::app {

class ShopifyComponent {
 public:
  // PAGELIFT_TOKEN_KEYS is validated by RunService for `serve`; a `worker` without it gets a throwaway key (tokens then
  // fail to decrypt, with an error naming the missing key, rather than the process refusing to start).
  ShopifyComponent(const Config& config, db::Database& database);
  ~ShopifyComponent();  // Stop()
  ShopifyComponent(const ShopifyComponent&) = delete;
  ShopifyComponent& operator=(const ShopifyComponent&) = delete;

  const shopify::AppCredentials& app() const { return app_; }
  const crypto::KeyRing& keys() const { return *keys_; }
  jobs::JobRegistry& registry() { return registry_; }
  shopify::WebhookDispatcher& dispatcher() { return dispatcher_; }
  shopify::TokenStore& tokens() { return tokens_; }
  // The session-token dependencies for further /api/* routes (api::WithSession).
  const api::AuthDeps& auth_deps() const { return auth_deps_; }

  void RegisterRoutes(http::Router& router);
  void AddMetrics(http::Metrics& metrics);
  // Starts the job queue's worker threads; call after every job kind and topic is registered.
  void StartWorkers();
  void Stop();

 private:
  void Wake();

  db::Database& database_;
  shopify::AppCredentials app_;
  std::optional<crypto::KeyRing> keys_;
  jobs::JobRegistry registry_;
  shopify::WebhookDispatcher dispatcher_;
  shopify::TokenStore tokens_;
  api::AuthDeps auth_deps_;
  api::WebhookRouteDeps webhook_deps_;
  std::unique_ptr<jobs::JobQueue> queue_;
};

}  // namespace pagelift::app
