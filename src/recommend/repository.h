// The `recommendations` table (with 0005's lifecycle columns), `product_audits` and `shop_audits`: all their SQL.
//
// Lifecycle of one (shop, entity, rule) row across re-audits (Reconcile):
//   the rule fires, no row              → inserted `pending`
//   pending, fires again                → same id; content refreshed when it changed
//   dismissed or applied, fires again   → unchanged while the data the rule saw (fingerprint) is unchanged;
//                                         reopened `pending` when it changed (the product was edited)
//   resolved, fires again               → reopened `pending`, same id
//   pending or dismissed, no longer fires (or the product is gone / unpublished) → `resolved`
//   applied, no longer fires            → stays `applied` (the patch worked; the patches side owns that state)
// Any other status (set by the patches side) is left alone. A concurrent dismiss wins over a re-audit that read the
// row before it: every write is conditional on the status the re-audit read.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/database.h"
#include "db/statement.h"
#include "recommend/audit.h"

namespace pagelift::recommend {

struct Recommendation {
  std::string id;
  std::string entity_type;
  std::string entity_id;
  std::string category;
  std::string rule_id;
  std::string severity;
  std::string rationale;
  boost::json::object expected_impact;
  boost::json::object evidence;
  std::optional<boost::json::object> patch_payload;
  std::string status;
  std::string created_at;  // RFC 3339
  std::string updated_at;
};

boost::json::object RecommendationToJson(const Recommendation& r);

struct ListFilter {
  std::optional<Category> category;
  std::optional<Severity> severity;
  std::optional<std::string> status;     // pending, dismissed, resolved, applied…; nullopt = every status
  std::optional<std::string> entity_id;  // one product's (gid) or "shop"
  int limit = 200;
  int offset = 0;
};

struct ReconcileSummary {
  int created = 0;
  int updated = 0;    // content refreshed, status kept
  int reopened = 0;   // resolved/dismissed/applied → pending
  int resolved = 0;
  int unchanged = 0;
};

struct HealthScore {
  std::optional<int> score;  // 0..100; nullopt before the first audit
  int open_high = 0;
  int open_medium = 0;
  int open_low = 0;
  boost::json::object open_by_category;
  int products_audited = 0;
  std::optional<std::string> audited_at;
};

boost::json::object HealthToJson(const HealthScore& health);

// The store health score from open findings: 100 minus the average per-product penalty (high 12, medium 6, low 2
// points per open finding) minus shop-wide penalties (high 15, medium 6, low 2), clamped to 0..100.
int ComputeHealthScore(int products, int product_penalty, int shop_penalty);

class RecommendationRepository {
 public:
  explicit RecommendationRepository(db::Database& database);  // prepares its statements

  // Brings the shop's rows in line with a whole-shop audit (see the lifecycle above). Call inside the transaction that
  // holds LockShop.
  ReconcileSummary Reconcile(pqxx::work& tx, std::string_view shop_id, const AuditReport& report) const;

  // Serialises audits of one shop (transaction-level advisory lock).
  static void LockShop(pqxx::work& tx, std::string_view shop_id);

  // Sorted by expected impact (midpoint of the range, then severity), newest first among equals.
  std::vector<Recommendation> List(pqxx::work& tx, std::string_view shop_id, const ListFilter& filter) const;
  // kNotFound for an unknown id or another shop's (also for a malformed id).
  Result<Recommendation> Get(pqxx::work& tx, std::string_view shop_id, std::string_view id) const;
  // pending → dismissed (dismissed again is a no-op); kConflict from resolved/applied; kNotFound as Get.
  Result<Recommendation> Dismiss(pqxx::work& tx, std::string_view shop_id, std::string_view id) const;
  HealthScore Health(pqxx::work& tx, std::string_view shop_id) const;

 private:
  db::Statement select_existing_;
  db::Statement insert_;
  db::Statement update_;
  db::Statement resolve_;
  db::Statement get_;
  db::Statement dismiss_;
  db::Statement health_counts_;
  db::Statement shop_audit_;
};

// True for the canonical textual form of a UUID (what gen_random_uuid() produces), so a malformed id is a 404 and
// never a database cast error.
bool IsUuid(std::string_view text);

}  // namespace pagelift::recommend
