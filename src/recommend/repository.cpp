// SQL of recommendations, product_audits and shop_audits, and the lifecycle of a recommendation. See repository.h.
#include "recommend/repository.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <map>
#include <tuple>

namespace pagelift::recommend {

namespace json = boost::json;

namespace {

// The rows an audit writes, one statement per batch each. New rows: a concurrent audit that inserted the same key
// first wins (the lock makes that rare). Known rows are written only if their status is still the one the audit read,
// so a dismiss that commits in between is never overwritten.
constexpr std::string_view kRecordColumns =
    "entity_type text, entity_id text, category text, rule_id text, severity text, rationale text, "
    "expected_impact jsonb, evidence jsonb, patch_payload jsonb, status text, fingerprint text, content_hash text";

constexpr std::string_view kColumns =
    "id::text, entity_type, entity_id, category, rule_id, severity, rationale, coalesce(expected_impact, '{}')::text, "
    "evidence::text, patch_payload::text, status, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

// Impact midpoint, for ordering by expected impact.
constexpr std::string_view kImpactOrder =
    "((coalesce((expected_impact->>'low')::float8, 0) + coalesce((expected_impact->>'high')::float8, 0)) / 2) DESC, "
    "CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, created_at DESC, id";

Recommendation FromRow(const pqxx::row& row) {
  Recommendation r;
  r.id = row[0].c_str();
  r.entity_type = row[1].c_str();
  r.entity_id = row[2].c_str();
  r.category = row[3].c_str();
  r.rule_id = row[4].c_str();
  r.severity = row[5].c_str();
  r.rationale = row[6].c_str();
  r.expected_impact = json::parse(row[7].c_str()).as_object();
  r.evidence = json::parse(row[8].c_str()).as_object();
  if (!row[9].is_null()) {
    auto payload = json::parse(row[9].c_str());
    if (payload.is_object()) r.patch_payload = std::move(payload.as_object());
  }
  r.status = row[10].c_str();
  r.created_at = row[11].c_str();
  r.updated_at = row[12].c_str();
  return r;
}

struct Existing {
  std::string id;
  std::string status;
  std::string fingerprint;
  std::string content_hash;
};

using Key = std::tuple<std::string, std::string, std::string>;  // entity_type, entity_id, rule_id

int Weight(std::string_view severity, int high, int medium, int low) {
  return severity == "high" ? high : severity == "medium" ? medium : low;
}

}  // namespace

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

json::object RecommendationToJson(const Recommendation& r) {
  json::object out{{"id", r.id},
                   {"entity_type", r.entity_type},
                   {"entity_id", r.entity_id},
                   {"category", r.category},
                   {"rule_id", r.rule_id},
                   {"severity", r.severity},
                   {"rationale", r.rationale},
                   {"expected_impact", r.expected_impact},
                   {"evidence", r.evidence},
                   {"status", r.status},
                   {"created_at", r.created_at},
                   {"updated_at", r.updated_at}};
  if (const RuleInfo* rule = FindRule(r.rule_id)) out["summary"] = rule->summary;
  out["patch_payload"] = r.patch_payload ? json::value(*r.patch_payload) : json::value(nullptr);
  out["automatic"] = r.patch_payload && r.patch_payload->if_contains("kind") &&
                     r.patch_payload->at("kind") != "guided";
  return out;
}

int ComputeHealthScore(int products, int product_penalty, int shop_penalty) {
  const double average = products > 0 ? static_cast<double>(product_penalty) / products : 0.0;
  const double score = 100.0 - std::min(100.0, average) - shop_penalty;
  return static_cast<int>(std::clamp(score + 0.5, 0.0, 100.0));
}

json::object HealthToJson(const HealthScore& h) {
  json::object out;
  out["score"] = h.score ? json::value(*h.score) : json::value(nullptr);
  out["open"] = {{"high", h.open_high}, {"medium", h.open_medium}, {"low", h.open_low}};
  out["open_by_category"] = h.open_by_category;
  out["products_audited"] = h.products_audited;
  out["audited_at"] = h.audited_at ? json::value(*h.audited_at) : json::value(nullptr);
  return out;
}

RecommendationRepository::RecommendationRepository(db::Database& database)
    : select_existing_(database, "recommend_select_existing",
                       "SELECT id::text, entity_type, entity_id, rule_id, status, fingerprint, content_hash "
                       "FROM recommendations WHERE shop_id = $1::uuid"),
      insert_(database, "recommend_insert",
              fmt::format("INSERT INTO recommendations (shop_id, entity_type, entity_id, category, rule_id, "
                          "  severity, rationale, expected_impact, evidence, patch_payload, status, fingerprint, "
                          "  content_hash) "
                          "SELECT $1::uuid, x.entity_type, x.entity_id, x.category, x.rule_id, x.severity, "
                          "  x.rationale, x.expected_impact, x.evidence, x.patch_payload, x.status, x.fingerprint, "
                          "  x.content_hash "
                          "FROM jsonb_to_recordset($2::jsonb) AS x({}) "
                          "ON CONFLICT (shop_id, entity_type, entity_id, rule_id) DO NOTHING",
                          kRecordColumns)),
      update_(database, "recommend_update",
              fmt::format("UPDATE recommendations AS r SET category = x.category, severity = x.severity, "
                          "  rationale = x.rationale, expected_impact = x.expected_impact, evidence = x.evidence, "
                          "  patch_payload = x.patch_payload, status = x.status, fingerprint = x.fingerprint, "
                          "  content_hash = x.content_hash, updated_at = now(), resolved_at = NULL, "
                          "  dismissed_at = CASE WHEN x.status = 'dismissed' THEN r.dismissed_at END "
                          "FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, seen_status text, {}) "
                          "WHERE r.shop_id = $1::uuid AND r.id = x.id AND r.status = x.seen_status",
                          kRecordColumns)),
      resolve_(database, "recommend_resolve",
               "UPDATE recommendations SET status = 'resolved', resolved_at = now(), updated_at = now() "
               "WHERE shop_id = $1::uuid AND id = ANY($2::uuid[]) AND status IN ('pending', 'dismissed')"),
      get_(database, "recommend_get",
           fmt::format("SELECT {} FROM recommendations WHERE shop_id = $1::uuid AND id = $2::uuid", kColumns)),
      dismiss_(database, "recommend_dismiss",
               fmt::format("UPDATE recommendations SET status = 'dismissed', dismissed_at = now(), "
                           "updated_at = now() WHERE shop_id = $1::uuid AND id = $2::uuid "
                           "AND status = 'pending' RETURNING {}",
                           kColumns)),
      health_counts_(database, "recommend_health_counts",
                     "SELECT entity_type, severity, category, count(*) FROM recommendations "
                     "WHERE shop_id = $1::uuid AND status = 'pending' GROUP BY entity_type, severity, category"),
      shop_audit_(database, "recommend_shop_audit",
                  "SELECT products, to_char(audited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                  "FROM shop_audits WHERE shop_id = $1::uuid") {}

void RecommendationRepository::LockShop(pqxx::work& tx, std::string_view shop_id) {
  // The two-int form: its key space never overlaps the 64-bit keys of db/advisory_locks.h.
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('pagelift.recommend.audit'), hashtext($1))",
                 std::string(shop_id));
}

ReconcileSummary RecommendationRepository::Reconcile(pqxx::work& tx, std::string_view shop_id,
                                                    const AuditReport& report) const {
  std::map<Key, Existing> existing;
  for (const auto& row : tx.exec_prepared(select_existing_.name(), std::string(shop_id))) {
    existing.emplace(Key{row[1].c_str(), row[2].c_str(), row[3].c_str()},
                     Existing{row[0].c_str(), row[4].c_str(), row[5].c_str(), row[6].c_str()});
  }
  ReconcileSummary summary;
  json::array inserts;
  json::array updates;
  auto consider = [&](const Finding& finding, const std::string& fingerprint) {
    const Key key{finding.entity_type, finding.entity_id, std::string(finding.rule->id)};
    json::object row = FindingToJson(finding);
    const std::string content_hash = Fingerprint(json::serialize(row));
    std::string status = "pending";
    std::string seen_status;
    const auto it = existing.find(key);
    if (it != existing.end()) {
      Existing& old = it->second;
      seen_status = old.status;
      const bool same_data = old.fingerprint == fingerprint;
      const bool same_content = old.content_hash == content_hash;
      if (old.status == "pending") {
        if (same_data && same_content) {
          ++summary.unchanged;
        } else {
          ++summary.updated;
        }
      } else if (old.status == "dismissed" || old.status == "applied") {
        if (same_data) {
          ++summary.unchanged;
          status.clear();  // stays as it is
        } else {
          ++summary.reopened;
        }
      } else if (old.status == "resolved") {
        ++summary.reopened;
      } else {
        status.clear();  // a state the patches side manages
        ++summary.unchanged;
      }
      old.status = "seen";  // not to be resolved below
      if (status.empty() || (status == "pending" && seen_status == "pending" && same_data && same_content)) return;
    } else {
      ++summary.created;
    }
    row.erase("summary");
    row["status"] = status;
    row["fingerprint"] = fingerprint;
    row["content_hash"] = content_hash;
    if (it == existing.end()) {
      inserts.push_back(std::move(row));
    } else {
      row["id"] = it->second.id;
      row["seen_status"] = seen_status;
      updates.push_back(std::move(row));
    }
  };
  for (const auto& product : report.products) {
    for (const auto& finding : product.findings) consider(finding, product.fingerprint);
  }
  for (const auto& finding : report.shop_findings) {
    consider(finding, Fingerprint(json::serialize(finding.evidence)));
  }
  constexpr std::size_t kBatch = 500;
  for (const auto& [statement, writes] : {std::pair{insert_.name(), &inserts}, std::pair{update_.name(), &updates}}) {
    for (std::size_t start = 0; start < writes->size(); start += kBatch) {
      const auto first = writes->begin() + static_cast<std::ptrdiff_t>(start);
      const auto last = writes->begin() + static_cast<std::ptrdiff_t>(std::min(writes->size(), start + kBatch));
      tx.exec_prepared(statement, std::string(shop_id), json::serialize(json::array(first, last)));
    }
  }
  std::string resolve = "{";
  for (const auto& [key, old] : existing) {
    if (old.status != "pending" && old.status != "dismissed") continue;
    if (resolve.size() > 1) resolve += ',';
    resolve += old.id;
    ++summary.resolved;
  }
  resolve += '}';
  if (summary.resolved > 0) tx.exec_prepared(resolve_.name(), std::string(shop_id), resolve);
  return summary;
}

std::vector<Recommendation> RecommendationRepository::List(pqxx::work& tx, std::string_view shop_id,
                                                           const ListFilter& filter) const {
  // Optional filters as NULL-able parameters: one statement text, no string-built predicates.
  const std::string sql = fmt::format(
      "SELECT {} FROM recommendations WHERE shop_id = $1::uuid "
      "AND ($2::text IS NULL OR category = $2) AND ($3::text IS NULL OR severity = $3) "
      "AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR entity_id = $5) "
      "ORDER BY {} LIMIT $6 OFFSET $7",
      kColumns, kImpactOrder);
  auto optional = [](const std::optional<std::string_view>& v) {
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  };
  const auto category = filter.category ? optional(CategoryName(*filter.category)) : std::nullopt;
  const auto severity = filter.severity ? optional(SeverityName(*filter.severity)) : std::nullopt;
  std::vector<Recommendation> out;
  for (const auto& row : tx.exec_params(sql, std::string(shop_id), category, severity, filter.status, filter.entity_id,
                                        filter.limit, filter.offset)) {
    out.push_back(FromRow(row));
  }
  return out;
}

Result<Recommendation> RecommendationRepository::Get(pqxx::work& tx, std::string_view shop_id,
                                                     std::string_view id) const {
  if (!IsUuid(id)) return MakeError(ErrorCode::kNotFound, "no such recommendation", {{"id", id}});
  const auto rows = tx.exec_prepared(get_.name(), std::string(shop_id), std::string(id));
  if (rows.empty()) return MakeError(ErrorCode::kNotFound, "no such recommendation", {{"id", id}});
  return FromRow(rows[0]);
}

Result<Recommendation> RecommendationRepository::Dismiss(pqxx::work& tx, std::string_view shop_id,
                                                         std::string_view id) const {
  auto current = Get(tx, shop_id, id);
  if (!current) return current;
  if (current->status == "dismissed") return current;
  const auto rows = tx.exec_prepared(dismiss_.name(), std::string(shop_id), std::string(id));
  if (rows.empty()) {
    return MakeError(ErrorCode::kConflict,
                     fmt::format("only a pending recommendation can be dismissed; this one is {}", current->status),
                     {{"id", id}, {"status", current->status}});
  }
  return FromRow(rows[0]);
}

HealthScore RecommendationRepository::Health(pqxx::work& tx, std::string_view shop_id) const {
  HealthScore h;
  const auto audit = tx.exec_prepared(shop_audit_.name(), std::string(shop_id));
  if (audit.empty()) return h;
  h.products_audited = audit[0][0].as<int>();
  h.audited_at = audit[0][1].c_str();
  int product_penalty = 0;
  int shop_penalty = 0;
  for (const auto& row : tx.exec_prepared(health_counts_.name(), std::string(shop_id))) {
    const std::string_view entity_type = row[0].c_str();
    const std::string_view severity = row[1].c_str();
    const int n = row[3].as<int>();
    (severity == "high" ? h.open_high : severity == "medium" ? h.open_medium : h.open_low) += n;
    const std::string category = row[2].c_str();
    h.open_by_category[category] = (h.open_by_category.contains(category) ? h.open_by_category[category].as_int64() : 0) + n;
    if (entity_type == "shop") {
      shop_penalty += n * Weight(severity, 15, 6, 2);
    } else {
      product_penalty += n * Weight(severity, 12, 6, 2);
    }
  }
  h.score = ComputeHealthScore(h.products_audited, product_penalty, shop_penalty);
  return h;
}

}  // namespace pagelift::recommend
