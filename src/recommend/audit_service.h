// Running the audit for a shop against the database: load the shop's settings and cached products, audit, reconcile
// the recommendations (repository.h), and record what was audited. Triggers:
//   - on demand: POST /api/recommendations/audit calls AuditShop;
//   - after a sync or a products/create|update|delete webhook: the shopify capability only writes products_cache
//     (it knows nothing of the audit — the two are peers). The watcher (every few seconds, on worker processes) finds
//     shops whose cached products differ from what the audit last saw (`product_audits`: new, updated or deleted rows)
//     and enqueues one `recommend_audit` job per shop (deduplicated), which re-audits that shop; shops last audited
//     more than a day ago are re-audited too (shop-wide facts such as storefront events change on their own).
// Whole-shop audits are cheap (bench/audit: thousands of products per second) and needed anyway by the rules that
// compare products (duplicate titles and descriptions), so every run audits the whole shop.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/database.h"
#include "db/statement.h"
#include "jobs/queue.h"
#include "jobs/scheduler.h"
#include "recommend/repository.h"

namespace pagelift::recommend {

inline constexpr std::string_view kAuditJobKind = "recommend_audit";  // payload {} (shop in jobs.shop_id)

struct AuditRunSummary {
  std::size_t products = 0;  // audited (active) products
  std::size_t findings = 0;
  ReconcileSummary changes;
  long long duration_ms = 0;
};

boost::json::object AuditRunToJson(const AuditRunSummary& summary);

class AuditService {
 public:
  // `api_key` (SHOPIFY_API_KEY) goes into the app-embed deep links. `database` must outlive this object.
  AuditService(db::Database& database, std::string api_key);

  // Audits the whole shop in the caller's transaction (kNotFound for an unknown or uninstalled shop).
  Result<AuditRunSummary> AuditShop(pqxx::work& tx, std::string_view shop_id) const;

  // Shops whose products changed since their last audit (at most `limit`).
  std::vector<std::string> ShopsNeedingAudit(pqxx::work& tx, int limit) const;
  // Enqueues a recommend_audit job for each of them; returns how many were enqueued.
  long long EnqueueStaleAudits(pqxx::work& tx, int limit = 100) const;

  const RecommendationRepository& repository() const { return repository_; }

  // Registers the recommend_audit job kind.
  void Register(jobs::JobRegistry& registry);
  // The watcher; call on processes that run workers, before scheduler.Start().
  void ScheduleWatcher(jobs::Scheduler& scheduler, std::chrono::milliseconds period = std::chrono::seconds(10));

 private:
  db::Database& database_;
  std::string api_key_;
  RecommendationRepository repository_;
  db::Statement load_shop_;
  db::Statement load_products_;
  db::Statement events_seen_;
  db::Statement clear_product_audits_;
  db::Statement insert_product_audits_;
  db::Statement upsert_shop_audit_;
  db::Statement stale_shops_;
};

}  // namespace pagelift::recommend
