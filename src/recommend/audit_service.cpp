// The audit run against the database, its job and its watcher. See audit_service.h.
#include "recommend/audit_service.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/log.h"

namespace pagelift::recommend {

namespace json = boost::json;

namespace {

// How recently pagelift.js must have reported for the app embed to count as on.
constexpr int kStorefrontWindowDays = 7;

json::object SummaryFields(std::string_view shop_id, const AuditRunSummary& s) {
  return {{"shop_id", shop_id}, {"products", s.products}, {"findings", s.findings},
          {"created", s.changes.created}, {"resolved", s.changes.resolved}, {"reopened", s.changes.reopened},
          {"duration_ms", s.duration_ms}};
}

}  // namespace

json::object AuditRunToJson(const AuditRunSummary& s) {
  return {{"products", s.products},
          {"findings", s.findings},
          {"created", s.changes.created},
          {"updated", s.changes.updated},
          {"reopened", s.changes.reopened},
          {"resolved", s.changes.resolved},
          {"unchanged", s.changes.unchanged},
          {"duration_ms", s.duration_ms}};
}

AuditService::AuditService(db::Database& database, std::string api_key)
    : database_(database),
      api_key_(std::move(api_key)),
      repository_(database),
      load_shop_(database, "recommend_load_shop",
                 "SELECT domain, settings::text FROM shops WHERE id = $1::uuid AND uninstalled_at IS NULL"),
      load_products_(database, "recommend_load_products",
                     "SELECT product_id, updated_at::text, data::text FROM products_cache WHERE shop_id = $1::uuid "
                     "ORDER BY product_id"),
      events_seen_(database, "recommend_events_seen",
                   "SELECT EXISTS (SELECT 1 FROM events WHERE shop_id = $1::uuid "
                   "AND ts > now() - make_interval(days => $2))"),
      clear_product_audits_(database, "recommend_clear_product_audits",
                            "DELETE FROM product_audits WHERE shop_id = $1::uuid"),
      insert_product_audits_(
          database, "recommend_insert_product_audits",
          "INSERT INTO product_audits (shop_id, product_id, source_updated_at, fingerprint) "
          "SELECT $1::uuid, x.product_id, x.updated_at, x.fingerprint "
          "FROM jsonb_to_recordset($2::jsonb) AS x(product_id text, updated_at timestamptz, fingerprint text)"),
      upsert_shop_audit_(
          database, "recommend_upsert_shop_audit",
          "INSERT INTO shop_audits (shop_id, audited_at, products, findings, duration_ms) "
          "VALUES ($1::uuid, now(), $2, $3, $4) ON CONFLICT (shop_id) DO UPDATE SET "
          "audited_at = excluded.audited_at, products = excluded.products, findings = excluded.findings, "
          "duration_ms = excluded.duration_ms"),
      // Products new or updated since their audit, audited products whose cache row is gone, and shops audited more
      // than a day ago (shop-wide facts such as storefront events change without any product changing).
      stale_shops_(database, "recommend_stale_shops",
                   "SELECT s.id::text FROM shops s WHERE s.uninstalled_at IS NULL AND ("
                   "  EXISTS (SELECT 1 FROM products_cache p WHERE p.shop_id = s.id AND NOT EXISTS ("
                   "    SELECT 1 FROM product_audits a WHERE a.shop_id = p.shop_id AND a.product_id = p.product_id "
                   "    AND a.source_updated_at = p.updated_at)) "
                   "  OR EXISTS (SELECT 1 FROM product_audits a WHERE a.shop_id = s.id AND NOT EXISTS ("
                   "    SELECT 1 FROM products_cache p WHERE p.shop_id = a.shop_id AND p.product_id = a.product_id)) "
                   "  OR EXISTS (SELECT 1 FROM shop_audits sa WHERE sa.shop_id = s.id "
                   "    AND sa.audited_at < now() - interval '1 day')) "
                   "LIMIT $1") {}

Result<AuditRunSummary> AuditService::AuditShop(pqxx::work& tx, std::string_view shop_id) const {
  const auto started = std::chrono::steady_clock::now();
  if (!IsUuid(shop_id)) return MakeError(ErrorCode::kNotFound, "no such shop", {{"shop_id", shop_id}});
  RecommendationRepository::LockShop(tx, shop_id);
  const auto shop = tx.exec_prepared(load_shop_.name(), std::string(shop_id));
  if (shop.empty()) return MakeError(ErrorCode::kNotFound, "no such installed shop", {{"shop_id", shop_id}});
  const json::value settings = json::parse(shop[0][1].c_str());
  AuditConfig config = AuditConfig::FromSettings(settings.is_object() ? settings.as_object() : json::object());
  config.shop_domain = shop[0][0].c_str();
  config.api_key = api_key_;

  std::vector<json::object> products;
  json::array audited_rows;
  const auto rows = tx.exec_prepared(load_products_.name(), std::string(shop_id));
  products.reserve(rows.size());
  for (const auto& row : rows) {
    json::value data = json::parse(row[2].c_str());
    if (!data.is_object()) continue;
    products.push_back(std::move(data.as_object()));
    audited_rows.push_back({{"product_id", row[0].c_str()}, {"updated_at", row[1].c_str()}});
  }
  ShopFacts facts;
  facts.storefront_events_seen =
      tx.exec_prepared(events_seen_.name(), std::string(shop_id), kStorefrontWindowDays)[0][0].as<bool>();

  const AuditReport report = Auditor(std::move(config)).AuditCatalog(products, facts);
  AuditRunSummary summary;
  summary.changes = repository_.Reconcile(tx, shop_id, report);
  summary.findings = report.FindingCount();
  for (std::size_t i = 0; i < report.products.size(); ++i) {
    if (report.products[i].audited) ++summary.products;
    audited_rows[i].as_object()["fingerprint"] = report.products[i].fingerprint;
  }
  tx.exec_prepared(clear_product_audits_.name(), std::string(shop_id));
  if (!audited_rows.empty())
    tx.exec_prepared(insert_product_audits_.name(), std::string(shop_id), json::serialize(audited_rows));
  summary.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  tx.exec_prepared(upsert_shop_audit_.name(), std::string(shop_id), static_cast<int>(summary.products),
                   static_cast<int>(summary.findings), static_cast<int>(summary.duration_ms));
  return summary;
}

std::vector<std::string> AuditService::ShopsNeedingAudit(pqxx::work& tx, int limit) const {
  std::vector<std::string> shops;
  for (const auto& row : tx.exec_prepared(stale_shops_.name(), limit)) shops.emplace_back(row[0].c_str());
  return shops;
}

long long AuditService::EnqueueStaleAudits(pqxx::work& tx, int limit) const {
  long long enqueued = 0;
  for (const auto& shop_id : ShopsNeedingAudit(tx, limit)) {
    jobs::EnqueueOptions options;
    options.shop_id = shop_id;
    options.dedupe_key = shop_id;
    options.max_attempts = 5;
    if (jobs::Enqueue(tx, kAuditJobKind, json::object(), options)) ++enqueued;
  }
  return enqueued;
}

void AuditService::Register(jobs::JobRegistry& registry) {
  registry.Register(std::string(kAuditJobKind), [this](jobs::JobContext& ctx) -> Result<void> {
    if (!ctx.job.shop_id) return {};
    const std::string shop_id = *ctx.job.shop_id;
    auto summary = ctx.database.Run([&](pqxx::work& tx) { return AuditShop(tx, shop_id); });
    if (!summary) {
      if (summary.error().code == ErrorCode::kNotFound) return {};  // uninstalled meanwhile: nothing to audit
      return summary.error();
    }
    log::Info("shop audited", SummaryFields(shop_id, *summary));
    return {};
  });
}

void AuditService::ScheduleWatcher(jobs::Scheduler& scheduler, std::chrono::milliseconds period) {
  scheduler.Every("recommend-audit-watcher", period, [this] {
    const auto enqueued = database_.Run([&](pqxx::work& tx) { return EnqueueStaleAudits(tx); });
    if (enqueued > 0) log::Debug("re-audits enqueued", {{"shops", enqueued}});
  });
}

}  // namespace pagelift::recommend
