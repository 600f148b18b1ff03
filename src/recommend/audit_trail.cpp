// The audit trail's SQL. See audit_trail.h.
#include "recommend/audit_trail.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace pagelift::recommend {

namespace json = boost::json;

namespace {

// libpqxx 6 has no std::optional parameters: a null const char* is SQL NULL.
const char* OrNull(const std::optional<std::string>& value) { return value ? value->c_str() : nullptr; }

json::value NullableText(const pqxx::field& field) {
  return field.is_null() ? json::value(nullptr) : json::value(field.c_str());
}

}  // namespace

std::string_view ActorName(Actor actor) {
  switch (actor) {
    case Actor::kMerchant: return "merchant";
    case Actor::kAutopilot: return "autopilot";
    case Actor::kSystem: return "system";
  }
  return "system";
}

AuditTrail::AuditTrail(db::Database& database)
    : insert_(database, "recommend_trail_insert",
              "INSERT INTO audit_trail (shop_id, actor, action, target, recommendation_id, patch_id, experiment_id, "
              "reason, details) VALUES ($1, $2, $3, $4, $5::uuid, $6::uuid, $7::uuid, $8, $9::jsonb)"),
      list_(database, "recommend_trail_list",
            "SELECT id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), actor, action, "
            "target, recommendation_id::text, patch_id::text, experiment_id::text, reason, details::text "
            "FROM audit_trail WHERE shop_id = $1 AND ($3::text IS NULL OR target = $3) "
            "ORDER BY at DESC, id LIMIT $2") {}

void AuditTrail::Record(pqxx::work& tx, const std::string& shop_id, const TrailEntry& entry) const {
  tx.exec_prepared(insert_.name(), shop_id, std::string(ActorName(entry.actor)), entry.action, entry.target,
                   OrNull(entry.recommendation_id), OrNull(entry.patch_id), OrNull(entry.experiment_id), entry.reason,
                   json::serialize(entry.details));
}

std::vector<json::object> AuditTrail::List(pqxx::work& tx, const std::string& shop_id, int limit,
                                           const std::optional<std::string>& target) const {
  std::vector<json::object> out;
  for (const auto& row : tx.exec_prepared(list_.name(), shop_id, limit, OrNull(target))) {
    out.push_back({{"id", row[0].c_str()},
                   {"at", row[1].c_str()},
                   {"actor", row[2].c_str()},
                   {"action", row[3].c_str()},
                   {"target", row[4].c_str()},
                   {"recommendation_id", NullableText(row[5])},
                   {"patch_id", NullableText(row[6])},
                   {"experiment_id", NullableText(row[7])},
                   {"reason", row[8].c_str()},
                   {"details", json::parse(row[9].c_str())}});
  }
  return out;
}

}  // namespace pagelift::recommend
