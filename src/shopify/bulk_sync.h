// Full syncs of a shop's products and orders into products_cache / orders_cache through Shopify bulk operations
// (ARCHITECTURE.md, "Data flow" 1): start the bulk query (BulkProducts / BulkOrders), wait for it to finish — woken by
// the bulk_operations/finish webhook, or by polling with backoff — then stream the JSONL result line by line into
// batched, stale-safe upserts. Memory stays flat in the file size: only the current root object and its children, and
// one batch of records, are held. Progress is recorded in sync_runs.
//
// Jobs (src/jobs/queue.h): `shop_installed` subscribes the shop's webhooks and enqueues `bulk_sync` of products,
// which enqueues orders when it is done (one bulk operation per shop at a time, as Shopify allows). The reconcile
// task (scheduler) re-syncs the products of every shop whose last product sync is older than a day.
// Everything here is blocking and runs on job threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/database.h"
#include "jobs/queue.h"
#include "jobs/scheduler.h"
#include "shopify/admin_client.h"
#include "shopify/bulk_jsonl.h"
#include "shopify/catalog_repository.h"
#include "shopify/orders_repository.h"

namespace pagelift::shopify {

inline constexpr std::string_view kBulkSyncJobKind = "bulk_sync";  // payload {"kind": "products"|"orders", "then"?}

enum class SyncKind { kProducts, kOrders };
std::string_view SyncKindName(SyncKind kind);
std::optional<SyncKind> ParseSyncKind(std::string_view name);

// The webhook topics pagelift subscribes to at install (GraphQL enum names).
inline constexpr std::string_view kSubscribedTopics[] = {
    "APP_UNINSTALLED", "PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE",
    "ORDERS_CREATE",   "ORDERS_PAID",     "BULK_OPERATIONS_FINISH"};

// Wakes syncs of this process waiting for a bulk operation when its bulk_operations/finish webhook is processed.
// A webhook handled by another copy does not reach it; the waiting sync then notices by polling.
class BulkOperationWaiter {
 public:
  void Notify(std::string_view bulk_operation_id);
  // True when Notify(id) came (before or during the wait) — the notice is consumed — false after `timeout`.
  bool WaitFor(std::string_view bulk_operation_id, std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string, std::less<>> finished_;
};

struct SyncSummary {
  long long objects = 0;  // root objects written (products or orders)
  long long errors = 0;   // lines or objects skipped
  long long removed = 0;  // cached products the completed sync did not see (deleted in Shopify)
  std::string bulk_operation_id;
};

// Receives reassembled root objects, converts them to cache records and upserts them in batches, each batch in its
// own transaction together with the run's progress. The ingest path of the sync, also driven by the benchmark.
class CacheWriter {
 public:
  CacheWriter(db::Database& database, const CatalogRepository& catalog, const OrdersRepository& orders,
              std::string shop_id, SyncKind kind, std::optional<std::int64_t> run_id, std::size_t batch_size = 500,
              std::size_t log_every = 5000);
  void Add(boost::json::object root);
  // Writes what is left.
  void Flush();
  long long written() const { return written_; }
  long long seen() const { return seen_; }
  long long errors() const { return errors_; }
  void AddErrors(long long n) { errors_ += n; }

 private:
  db::Database& database_;
  const CatalogRepository& catalog_;
  const OrdersRepository& orders_;
  std::string shop_id_;
  SyncKind kind_;
  std::optional<std::int64_t> run_id_;
  std::size_t batch_size_;
  std::size_t log_every_;
  std::vector<ProductRecord> products_;
  std::vector<OrderRecord> orders_batch_;
  long long seen_ = 0;
  long long written_ = 0;
  long long errors_ = 0;
  long long next_log_ = 0;
};

struct BulkSyncOptions {
  std::size_t batch_size = 500;
  std::size_t log_every = 5000;
  std::chrono::milliseconds poll_initial{1000};
  std::chrono::milliseconds poll_max{30000};
  std::chrono::milliseconds max_wait{std::chrono::hours(6)};          // for the bulk operation to finish
  std::chrono::milliseconds in_progress_retry{5000};                  // another bulk operation of the shop runs
  std::chrono::milliseconds max_in_progress_wait{std::chrono::minutes(30)};
  int download_attempts = 3;
};

class BulkSync {
 public:
  BulkSync(db::Database& database, AdminClient& client, BulkSyncOptions options = {});

  // One full sync. `stopping` (the job queue's) makes a wait give up with kUnavailable; the retried job resumes the
  // same bulk operation (sync_runs.bulk_operation_id).
  Result<SyncSummary> Run(const ShopRef& shop, SyncKind kind, const std::function<bool()>& stopping = {});

  // Streams a JSONL result URL into the cache (no sync_runs row when run_id is nullopt).
  Result<SyncSummary> Ingest(const ShopRef& shop, SyncKind kind, const std::string& url,
                             std::optional<std::int64_t> run_id);

  BulkOperationWaiter& waiter() { return waiter_; }
  const CatalogRepository& catalog() const { return catalog_; }
  const OrdersRepository& orders() const { return orders_; }

 private:
  Result<std::string> StartBulkOperation(const ShopRef& shop, SyncKind kind, const std::function<bool()>& stopping);
  struct CompletedOperation {
    std::optional<std::string> url;         // nullopt: it completed with no objects
    std::optional<std::string> created_at;  // Shopify's createdAt: the snapshot's time
  };
  Result<CompletedOperation> AwaitCompletion(const ShopRef& shop, const std::string& bulk_operation_id,
                                                     const std::function<bool()>& stopping);

  db::Database& database_;
  AdminClient& client_;
  BulkSyncOptions options_;
  CatalogRepository catalog_;
  OrdersRepository orders_;
  BulkOperationWaiter waiter_;
};

struct SyncJobSettings {
  std::string app_url;  // SHOPIFY_APP_URL: webhooks are delivered to {app_url}/webhooks/shopify
};

// Registers `shop_installed` and `bulk_sync`. `sync` and `client` must outlive the queue.
void RegisterSyncJobs(jobs::JobRegistry& registry, BulkSync& sync, AdminClient& client, SyncJobSettings settings);

// Enqueues a sync of `kind` for the shop (followed by `then` when it is done), unless one of that kind is queued or
// running. False when deduplicated.
bool EnqueueSync(pqxx::work& tx, std::string_view shop_id, SyncKind kind, std::optional<SyncKind> then = std::nullopt);

// Hourly: enqueues a products sync for every installed shop whose last finished products sync is older than
// `max_age` (the nightly reconcile). Returns how many were enqueued.
long long EnqueueStaleProductSyncs(pqxx::work& tx, std::chrono::hours max_age);
void ScheduleReconcile(jobs::Scheduler& scheduler, db::Database& database,
                       std::chrono::hours max_age = std::chrono::hours(24));

}  // namespace pagelift::shopify
