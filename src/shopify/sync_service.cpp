// Construction and registration of the Admin API client and bulk sync. See sync_service.h.
#include "shopify/sync_service.h"

#include "shopify/webhook_handlers.h"

namespace pagelift::shopify {

SyncService::SyncService(const Config& config, db::Database& database, TokenStore& tokens) : database_(database) {
  settings_.app_url = config.shopify_app_url;
  while (!settings_.app_url.empty() && settings_.app_url.back() == '/') settings_.app_url.pop_back();
  AdminClientOptions options;
  options.admin_base_url = config.shopify_admin_base_url;
  options.api_version = config.shopify_api_version;
  client_ = std::make_unique<AdminClient>(MakeCurlTransport(), TokenProviderFor(tokens), options);
  sync_ = std::make_unique<BulkSync>(database, *client_);
}

void SyncService::Register(jobs::JobRegistry& registry, WebhookDispatcher& dispatcher) {
  RegisterSyncJobs(registry, *sync_, *client_, settings_);
  RegisterSyncWebhookHandlers(dispatcher, database_, *sync_);
}

void SyncService::ScheduleReconcile(jobs::Scheduler& scheduler) { shopify::ScheduleReconcile(scheduler, database_); }

}  // namespace pagelift::shopify
