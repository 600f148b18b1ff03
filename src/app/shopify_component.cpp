#include "app/shopify_component.h"

#include "api/auth.h"
#include "api/shop.h"
#include "core/log.h"
#include "shopify/compliance.h"

namespace pagelift::app {

namespace {

std::optional<crypto::KeyRing> LoadKeys(const Config& config) {
  if (config.token_keys) {
    auto keys = crypto::KeyRing::Parse(*config.token_keys);
    if (keys) return std::move(*keys);
    log::Error("PAGELIFT_TOKEN_KEYS is malformed; using a throwaway key", {{"error", keys.error().message}});
  } else {
    log::Warn("PAGELIFT_TOKEN_KEYS is not set; stored Shopify tokens cannot be decrypted by this process");
  }
  return *crypto::KeyRing::Parse(crypto::KeyRing::GenerateEntry("ephemeral"));
}

}  // namespace

ShopifyComponent::ShopifyComponent(const Config& config, db::Database& database)
    : database_(database),
      app_(shopify::AppCredentials::FromConfig(config)),
      keys_(LoadKeys(config)),
      tokens_(database, *keys_, app_),
      auth_deps_{database, app_, *keys_, [this] { Wake(); }},
      webhook_deps_{database, app_.secrets, [this] { Wake(); }},
      // Built now, started by StartWorkers: the queue reads the registry only when it claims a job.
      queue_(std::make_unique<jobs::JobQueue>(database, registry_)) {
  shopify::RegisterWebhookJob(registry_, dispatcher_, database_);
  shopify::RegisterComplianceHandlers(dispatcher_, database_);
}

ShopifyComponent::~ShopifyComponent() { Stop(); }

void ShopifyComponent::RegisterRoutes(http::Router& router) {
  api::RegisterAuthRoutes(router, auth_deps_);
  api::RegisterWebhookRoutes(router, webhook_deps_);
  api::RegisterShopRoutes(router, auth_deps_);
}

void ShopifyComponent::AddMetrics(http::Metrics& metrics) {
  metrics.AddSource([this](std::string& out) { queue_->AppendMetrics(out); });
}

void ShopifyComponent::StartWorkers() {
  if (!registry_.Find(shopify::kShopInstalledJobKind)) {
    log::Warn("no handler for shop_installed jobs: new installs will not subscribe webhooks or sync");
  }
  queue_->Start();
}

void ShopifyComponent::Stop() { queue_->Stop(); }

void ShopifyComponent::Wake() { queue_->Notify(); }

}  // namespace pagelift::app
