// The Admin API and sync side of a running process, built once by app/service.cpp: the Admin GraphQL client (libcurl,
// tokens from the TokenStore), the bulk sync, and their registrations — the shop_installed and bulk_sync jobs, the
// products/orders/bulk_operations webhook handlers, and (on workers) the hourly reconcile.
#pragma once

#include <memory>

#include "core/config.h"
#include "db/database.h"
#include "jobs/queue.h"
#include "jobs/scheduler.h"
#include "shopify/admin_client.h"
#include "shopify/bulk_sync.h"
#include "shopify/token_store.h"
#include "shopify/webhooks.h"

namespace pagelift::shopify {

class SyncService {
 public:
  // `database` and `tokens` must outlive this object.
  SyncService(const Config& config, db::Database& database, TokenStore& tokens);

  // Registers the job kinds and webhook topics; call before the job queue starts.
  void Register(jobs::JobRegistry& registry, WebhookDispatcher& dispatcher);
  // The nightly product reconcile (checked hourly); call on processes that run workers, before scheduler.Start().
  void ScheduleReconcile(jobs::Scheduler& scheduler);

  AdminClient& client() { return *client_; }
  BulkSync& sync() { return *sync_; }

 private:
  db::Database& database_;
  SyncJobSettings settings_;
  std::unique_ptr<AdminClient> client_;
  std::unique_ptr<BulkSync> sync_;
};

}  // namespace pagelift::shopify
