// Bulk sync of products and orders; the install and sync jobs; the reconcile task. See bulk_sync.h.
#include "shopify/bulk_sync.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <span>
#include <thread>

#include "core/log.h"
#include "shopify/graphql_documents.h"
#include "shopify/json_path.h"
#include "shopify/oauth.h"
#include "shopify/shops_repository.h"
#include "shopify/storefront_metafields.h"
#include "shopify/sync_runs.h"
#include "shopify/tombstones.h"

namespace pagelift::shopify {
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

std::string_view InnerQueryName(SyncKind kind) { return kind == SyncKind::kProducts ? "BulkProducts" : "BulkOrders"; }

std::string DedupeKey(std::string_view shop_id, SyncKind kind) {
  return fmt::format("{}:{}", shop_id, SyncKindName(kind));
}

// Longer than Shopify's webhook retries (4 h) and a bulk result's life (7 days): no stale write can come after it.
constexpr std::chrono::hours kTombstoneLifetime{24 * 30};

bool Stopping(const std::function<bool()>& stopping) { return stopping && stopping(); }

// Sleeps up to `duration` in short steps so that a stopping queue is noticed.
void SleepUnlessStopping(milliseconds duration, const std::function<bool()>& stopping) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until && !Stopping(stopping)) {
    std::this_thread::sleep_for(std::min<milliseconds>(milliseconds(200), duration));
  }
}

// "Address for this topic has already been taken": the subscription exists (a re-run of shop_installed).
bool AlreadySubscribed(const Error& error) {
  const auto* user_errors = error.details.if_contains("user_errors");
  if (user_errors == nullptr || !user_errors->is_array()) return false;
  for (const auto& e : user_errors->get_array()) {
    const auto* message = e.is_object() ? e.get_object().if_contains("message") : nullptr;
    if (message && message->is_string() &&
        (message->get_string().find("already been taken") != json::string::npos ||
         message->get_string().find("already exists") != json::string::npos)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view SyncKindName(SyncKind kind) { return kind == SyncKind::kProducts ? "products" : "orders"; }

std::optional<SyncKind> ParseSyncKind(std::string_view name) {
  if (name == "products") return SyncKind::kProducts;
  if (name == "orders") return SyncKind::kOrders;
  return std::nullopt;
}

// ---- waiter -------------------------------------------------------------------------------------------------------

void BulkOperationWaiter::Notify(std::string_view bulk_operation_id) {
  {
    std::lock_guard lock(mutex_);
    // Bounded: notices nobody waits for (another copy's operations) must not pile up.
    if (finished_.size() > 1000) finished_.clear();
    finished_.emplace(bulk_operation_id);
  }
  changed_.notify_all();
}

bool BulkOperationWaiter::WaitFor(std::string_view bulk_operation_id, milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool notified = changed_.wait_for(lock, timeout, [&] { return finished_.contains(bulk_operation_id); });
  if (notified) finished_.erase(finished_.find(bulk_operation_id));
  return notified;
}

// ---- cache writer -------------------------------------------------------------------------------------------------

CacheWriter::CacheWriter(db::Database& database, const CatalogRepository& catalog, const OrdersRepository& orders,
                         std::string shop_id, SyncKind kind, std::optional<std::int64_t> run_id,
                         std::size_t batch_size, std::size_t log_every)
    : database_(database),
      catalog_(catalog),
      orders_(orders),
      shop_id_(std::move(shop_id)),
      kind_(kind),
      run_id_(run_id),
      batch_size_(std::max<std::size_t>(1, batch_size)),
      log_every_(std::max<std::size_t>(1, log_every)),
      next_log_(static_cast<long long>(log_every_)) {}

void CacheWriter::Add(json::object root) {
  ++seen_;
  if (kind_ == SyncKind::kProducts) {
    auto record = ProductFromGraphql(std::move(root));
    if (!record) {
      ++errors_;
      return;
    }
    products_.push_back(std::move(record).value());
    if (products_.size() >= batch_size_) Flush();
  } else {
    auto record = OrderFromGraphql(root);
    if (!record) {
      ++errors_;
      return;
    }
    orders_batch_.push_back(std::move(record).value());
    if (orders_batch_.size() >= batch_size_) Flush();
  }
}

void CacheWriter::Flush() {
  const std::size_t count = kind_ == SyncKind::kProducts ? products_.size() : orders_batch_.size();
  if (count == 0) return;
  // Each batch commits on its own with the run's progress: an interrupted sync keeps what it wrote (upserts are
  // idempotent, so a resumed one rewrites without duplicating).
  database_.Run([&](pqxx::work& tx) {
    if (kind_ == SyncKind::kProducts) {
      catalog_.Upsert(tx, shop_id_, std::move(products_), WriteMode::kReplace, run_id_);
    } else {
      orders_.Upsert(tx, shop_id_, std::move(orders_batch_));
    }
    if (run_id_) RecordSyncRunProgress(tx, shop_id_, *run_id_, written_ + static_cast<long long>(count), errors_);
  });
  products_.clear();
  orders_batch_.clear();
  written_ += static_cast<long long>(count);
  if (written_ >= next_log_) {
    log::Info("bulk sync: progress", {{"shop_id", shop_id_},
                                      {"kind", SyncKindName(kind_)},
                                      {"objects", written_},
                                      {"errors", errors_}});
    next_log_ = written_ + static_cast<long long>(log_every_);
  }
}

// ---- bulk sync ----------------------------------------------------------------------------------------------------

BulkSync::BulkSync(db::Database& database, AdminClient& client, BulkSyncOptions options)
    : database_(database), client_(client), options_(options), catalog_(database), orders_(database) {}

Result<std::string> BulkSync::StartBulkOperation(const ShopRef& shop, SyncKind kind,
                                                 const std::function<bool()>& stopping) {
  const auto inner = GraphqlDocument(InnerQueryName(kind));
  if (!inner) return MakeError(ErrorCode::kInternal, "bulk inner query document missing");
  const auto give_up_at = std::chrono::steady_clock::now() + options_.max_in_progress_wait;
  for (;;) {
    auto started = client_.Execute(shop, "BulkOperationRunQuery", {{"query", *inner}});
    if (started) {
      if (auto id = StringAt(*started, {"bulkOperationRunQuery", "bulkOperation", "id"})) return *id;
      return MakeError(ErrorCode::kInternal, "bulkOperationRunQuery returned no operation");
    }
    // One bulk query per shop at a time: another one (ours of the other kind, or the merchant's other apps') runs.
    if (started.error().code != ErrorCode::kConflict || std::chrono::steady_clock::now() > give_up_at ||
        Stopping(stopping)) {
      return std::move(started).error();
    }
    log::Info("bulk sync: another bulk operation is running; waiting",
              {{"shop", shop.domain}, {"kind", SyncKindName(kind)}});
    SleepUnlessStopping(options_.in_progress_retry, stopping);
  }
}

Result<BulkSync::CompletedOperation> BulkSync::AwaitCompletion(const ShopRef& shop, const std::string& id,
                                                             const std::function<bool()>& stopping) {
  const auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
  milliseconds delay = options_.poll_initial;
  for (;;) {
    auto polled = client_.Execute(shop, "CurrentBulkOperation", {{"id", id}});
    if (!polled && polled.error().code != ErrorCode::kUnavailable &&
        polled.error().code != ErrorCode::kTooManyRequests) {
      return std::move(polled).error();
    }
    if (polled) {
      const auto* operation = polled->if_contains("currentBulkOperation");
      if (operation == nullptr || !operation->is_object()) {
        return MakeError(ErrorCode::kNotFound, "the bulk operation is unknown to Shopify", {{"id", id}});
      }
      const auto& op = operation->get_object();
      const std::string status = StringAt(op, {"status"}).value_or("");
      if (status == "COMPLETED") return CompletedOperation{StringAt(op, {"url"}), StringAt(op, {"createdAt"})};
      if (status == "FAILED" || status == "CANCELED" || status == "CANCELLED" || status == "EXPIRED") {
        return MakeError(ErrorCode::kUnavailable, fmt::format("bulk operation {}", status),
                         {{"id", id}, {"status", status}, {"error_code", StringAt(op, {"errorCode"}).value_or("")}});
      }
    }
    if (Stopping(stopping)) {
      return MakeError(ErrorCode::kUnavailable, "stopping while waiting for the bulk operation (resumed later)");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return MakeError(ErrorCode::kUnavailable, "the bulk operation did not finish in time", {{"id", id}});
    }
    // Woken early by the bulk_operations/finish webhook; otherwise poll again after the backoff.
    waiter_.WaitFor(id, delay);
    delay = std::min(options_.poll_max, delay * 2);
  }
}

Result<SyncSummary> BulkSync::Ingest(const ShopRef& shop, SyncKind kind, const std::string& url,
                                     std::optional<std::int64_t> run_id) {
  Error last = MakeError(ErrorCode::kUnavailable, "download failed");
  for (int attempt = 1; attempt <= options_.download_attempts; ++attempt) {
    CacheWriter writer(database_, catalog_, orders_, shop.id, kind, run_id, options_.batch_size, options_.log_every);
    JsonlReassembler reassembler([&writer](json::object root) { writer.Add(std::move(root)); });
    // Exceptions must not cross libcurl's C callback: keep the first one and abort the transfer.
    std::exception_ptr failure;
    auto downloaded = client_.transport().Download(url, [&](std::string_view chunk) {
      try {
        reassembler.Feed(chunk);
        return true;
      } catch (...) {
        failure = std::current_exception();
        return false;
      }
    });
    if (failure) std::rethrow_exception(failure);
    if (downloaded && downloaded->status == 200) {
      reassembler.Finish();
      writer.AddErrors(static_cast<long long>(reassembler.errors()));
      writer.Flush();
      SyncSummary summary;
      summary.objects = writer.written();
      summary.errors = writer.errors();
      return summary;
    }
    last = downloaded ? MakeError(ErrorCode::kUnavailable, fmt::format("bulk result download: HTTP {}", downloaded->status))
                      : downloaded.error();
    log::Warn("bulk sync: download failed; starting over",
              {{"shop", shop.domain}, {"attempt", attempt}, {"error", last.message}});
    std::this_thread::sleep_for(milliseconds(500) * attempt);
  }
  return last;
}

Result<SyncSummary> BulkSync::Run(const ShopRef& shop, SyncKind kind, const std::function<bool()>& stopping) {
  const auto run = database_.Run([&](pqxx::work& tx) { return StartOrResumeSyncRun(tx, shop.id, SyncKindName(kind)); });
  auto fail = [&](Error error) -> Result<SyncSummary> {
    database_.Run([&](pqxx::work& tx) {
      // A stop is not a failure: the run stays open for the retried job to resume.
      if (Stopping(stopping) && run.bulk_operation_id) return;
      FinishSyncRun(tx, shop.id, run.id, "failed", error.message);
    });
    log::Warn("bulk sync failed", {{"shop", shop.domain}, {"kind", SyncKindName(kind)}, {"error", error.message}});
    return error;
  };

  std::string operation_id;
  if (run.bulk_operation_id) {
    operation_id = *run.bulk_operation_id;
    log::Info("bulk sync: resuming", {{"shop", shop.domain}, {"kind", SyncKindName(kind)}, {"id", operation_id}});
  } else {
    auto started = StartBulkOperation(shop, kind, stopping);
    if (!started) return fail(std::move(started).error());
    operation_id = *started;
    database_.Run([&](pqxx::work& tx) { SetSyncRunBulkOperation(tx, shop.id, run.id, operation_id); });
  }
  auto completed = AwaitCompletion(shop, operation_id, stopping);
  if (!completed) {
    auto error = std::move(completed).error();
    if (!Stopping(stopping)) {
      // The operation itself is lost (failed, expired, unknown): forget it so that the retry starts a new one.
      database_.Run([&](pqxx::work& tx) { FinishSyncRun(tx, shop.id, run.id, "failed", error.message); });
    }
    return error;
  }
  SyncSummary summary;
  if (completed->url) {
    database_.Run([&](pqxx::work& tx) { SetSyncRunState(tx, shop.id, run.id, "downloading"); });
    auto ingested = Ingest(shop, kind, *completed->url, run.id);
    if (!ingested) return fail(std::move(ingested).error());
    summary = *ingested;
  }
  summary.bulk_operation_id = operation_id;
  database_.Run([&](pqxx::work& tx) {
    // The result is the whole catalog as of the operation's creation: what it lacks was deleted in Shopify. Orders
    // are not swept: the bulk result holds only the orders the scopes reach (60 days without read_all_orders), and
    // older ones stay pagelift's attribution history.
    if (kind == SyncKind::kProducts && completed->created_at) {
      summary.removed = catalog_.RemoveUnseen(tx, shop.id, run.id, *completed->created_at);
      PurgeTombstones(tx, kTombstoneLifetime);
    }
    RecordSyncRunProgress(tx, shop.id, run.id, summary.objects, summary.errors);
    FinishSyncRun(tx, shop.id, run.id, "done", std::nullopt);
  });
  log::Info("bulk sync done", {{"shop", shop.domain},
                               {"kind", SyncKindName(kind)},
                               {"objects", summary.objects},
                               {"removed", summary.removed},
                               {"errors", summary.errors}});
  return summary;
}

// ---- jobs ---------------------------------------------------------------------------------------------------------

bool EnqueueSync(pqxx::work& tx, std::string_view shop_id, SyncKind kind, std::optional<SyncKind> then) {
  json::object payload{{"kind", SyncKindName(kind)}};
  if (then) payload["then"] = SyncKindName(*then);
  jobs::EnqueueOptions options;
  options.shop_id = std::string(shop_id);
  options.dedupe_key = DedupeKey(shop_id, kind);
  return jobs::Enqueue(tx, kBulkSyncJobKind, payload, options).has_value();
}

namespace {

// The installed shop a job is about; nullopt when it is gone or uninstalled (the job has nothing to do).
std::optional<ShopRef> LoadShop(jobs::JobContext& ctx) {
  std::optional<std::string> shop_id = ctx.job.shop_id;
  if (!shop_id) {
    if (const auto* id = ctx.job.payload.if_contains("shop_id"); id && id->is_string()) {
      shop_id = std::string(id->get_string());
    }
  }
  if (!shop_id) return std::nullopt;
  auto row = ctx.database.Run([&](pqxx::work& tx) { return FindShopById(tx, *shop_id); });
  if (!row || !row->installed()) return std::nullopt;
  return ShopRef{row->id, row->domain};
}

Result<void> RunShopInstalled(jobs::JobContext& ctx, AdminClient& client, const SyncJobSettings& settings) {
  const auto shop = LoadShop(ctx);
  if (!shop) return {};
  const std::string uri = settings.app_url + "/webhooks/shopify";
  if (settings.app_url.empty()) {
    // Without SHOPIFY_APP_URL there is no address Shopify could deliver to; the sync still runs.
    log::Warn("SHOPIFY_APP_URL is not set: webhook subscriptions skipped", {{"shop", shop->domain}});
  }
  for (const auto topic : settings.app_url.empty() ? std::span<const std::string_view>{}
                                                   : std::span<const std::string_view>(kSubscribedTopics)) {
    auto created = client.Execute(
        *shop, "WebhookSubscriptionCreate",
        {{"topic", topic}, {"webhookSubscription", json::object{{"uri", uri}, {"format", "JSON"}}}});
    if (!created && !AlreadySubscribed(created.error())) {
      log::Warn("webhook subscription failed", {{"shop", shop->domain}, {"topic", topic}, {"error", created.error().message}});
      return std::move(created).error();
    }
  }
  // Two jobs rather than a products → orders chain: a products sync already queued (the reconcile's) would swallow the
  // chained one by its dedupe key, and the orders would never sync. The second waits while the first's bulk
  // operation runs (one per shop).
  // And the storefront's metafields: the app embed reads the shop's public id from $app.shop_public_id.
  ctx.database.Run([&](pqxx::work& tx) {
    EnqueueSync(tx, shop->id, SyncKind::kProducts);
    EnqueueSync(tx, shop->id, SyncKind::kOrders);
    EnqueueStorefrontMetafields(tx, shop->id);
  });
  log::Info("shop installed: webhooks subscribed, sync and storefront metafields enqueued", {{"shop", shop->domain}});
  return {};
}

Result<void> RunBulkSync(jobs::JobContext& ctx, BulkSync& sync) {
  const auto* kind_name = ctx.job.payload.if_contains("kind");
  const auto kind = kind_name && kind_name->is_string() ? ParseSyncKind(kind_name->get_string()) : std::nullopt;
  if (!kind) return MakeError(ErrorCode::kBadRequest, "bulk_sync job without a valid kind");
  const auto shop = LoadShop(ctx);
  if (!shop) return {};
  auto summary = sync.Run(*shop, *kind, ctx.stopping);
  if (!summary) return std::move(summary).error();
  const auto* then = ctx.job.payload.if_contains("then");
  if (then && then->is_string()) {
    if (const auto next = ParseSyncKind(then->get_string())) {
      ctx.database.Run([&](pqxx::work& tx) { EnqueueSync(tx, shop->id, *next); });
    }
  }
  return {};
}

}  // namespace

void RegisterSyncJobs(jobs::JobRegistry& registry, BulkSync& sync, AdminClient& client, SyncJobSettings settings) {
  registry.Register(std::string(kShopInstalledJobKind),
                    [&client, settings](jobs::JobContext& ctx) { return RunShopInstalled(ctx, client, settings); });
  registry.Register(std::string(kBulkSyncJobKind), [&sync](jobs::JobContext& ctx) { return RunBulkSync(ctx, sync); });
}

long long EnqueueStaleProductSyncs(pqxx::work& tx, std::chrono::hours max_age) {
  const auto shops = tx.exec_params(
      "SELECT s.id::text FROM shops s "
      "WHERE s.uninstalled_at IS NULL AND NOT EXISTS ("
      "  SELECT 1 FROM sync_runs r WHERE r.shop_id = s.id AND r.kind = 'products' "
      "    AND (r.finished_at IS NULL OR (r.state = 'done' AND r.finished_at > now() - make_interval(hours => $1))))",
      static_cast<int>(max_age.count()));
  long long enqueued = 0;
  for (const auto& row : shops) {
    if (EnqueueSync(tx, row[0].c_str(), SyncKind::kProducts)) ++enqueued;
  }
  return enqueued;
}

void ScheduleReconcile(jobs::Scheduler& scheduler, db::Database& database, std::chrono::hours max_age) {
  scheduler.Every("shopify_reconcile", std::chrono::hours(1), [&database, max_age] {
    const auto enqueued = database.Run([&](pqxx::work& tx) { return EnqueueStaleProductSyncs(tx, max_age); });
    if (enqueued > 0) log::Info("reconcile: product syncs enqueued", {{"shops", enqueued}});
  });
}

}  // namespace pagelift::shopify
