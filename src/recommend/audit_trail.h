// The audit trail (migration 0006): every change pagelift makes to a shop, or refuses to make, with who did it
// (the merchant, autopilot, or the system), when, what (action, target, before/after in details) and why (a sentence a
// merchant reads). Written in the same transaction as the change it records; never updated or deleted by the app.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/statement.h"

namespace pagelift::recommend {

enum class Actor { kMerchant, kAutopilot, kSystem };
std::string_view ActorName(Actor actor);  // "merchant", "autopilot", "system"

struct TrailEntry {
  Actor actor = Actor::kMerchant;
  std::string action;  // apply, rollback, refused_conflict, refused_not_allowed, experiment_started, ship, roll_back …
  std::string target;
  std::optional<std::string> recommendation_id;
  std::optional<std::string> patch_id;
  std::optional<std::string> experiment_id;
  std::string reason;
  boost::json::object details;
};

class AuditTrail {
 public:
  // Registers the prepared statements.
  explicit AuditTrail(db::Database& database);

  void Record(pqxx::work& tx, const std::string& shop_id, const TrailEntry& entry) const;

  // Newest first; at most `limit` entries, optionally of one target.
  std::vector<boost::json::object> List(pqxx::work& tx, const std::string& shop_id, int limit,
                                        const std::optional<std::string>& target = std::nullopt) const;

 private:
  db::Statement insert_;
  db::Statement list_;
};

}  // namespace pagelift::recommend
