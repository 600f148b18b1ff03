// The SQL of experiments and assignments, in one place (STYLE.md: a repository per table, bind parameters, prepared
// once). Every function takes the shop: the shop is the tenant boundary, and an id of another shop's experiment
// finds nothing. Callers own the transaction, so lifecycle changes, their NOTIFY (a trigger, migration 0004) and any
// follow-up writes commit together.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/statement.h"
#include "experiments/definition.h"

namespace pagelift::experiments {

// True for a UUID in the 8-4-4-4-12 hex form; ids that are not UUIDs find nothing rather than failing a cast.
bool LooksLikeUuid(std::string_view text);

class Repository {
 public:
  // Registers the prepared statements with the pool.
  explicit Repository(db::Database& database);

  // The installed shop with this storefront id (shops.public_id) → shops.id.
  std::optional<std::string> FindShopByPublicId(pqxx::work& tx, std::string_view public_id) const;

  Experiment Insert(pqxx::work& tx, const std::string& shop_id, const Definition& definition) const;
  std::optional<Experiment> Find(pqxx::work& tx, const std::string& shop_id, std::string_view id) const;
  // The same, locking the row until the transaction ends (lifecycle changes serialise on it).
  std::optional<Experiment> FindForUpdate(pqxx::work& tx, const std::string& shop_id, std::string_view id) const;
  // Newest first; every status unless one is given.
  std::vector<Experiment> List(pqxx::work& tx, const std::string& shop_id,
                               std::optional<Status> status = std::nullopt) const;

  // Writes the definition, status, bucket version and timestamps of `experiment` (updated_at = now()).
  Experiment Save(pqxx::work& tx, const Experiment& experiment) const;

  // Forgets who was assigned what, and the aggregates built on it: the deliberate reshuffle of a bucket-version bump.
  void DeleteAssignmentsAndResults(pqxx::work& tx, const std::string& shop_id, const std::string& id) const;

  // Records the visitor's assignment unless one exists (first wins), and returns the stored variant and whether this
  // call created it.
  struct StoredAssignment {
    std::string variant;
    bool created = false;
  };
  StoredAssignment RecordAssignment(pqxx::work& tx, const std::string& shop_id, const std::string& experiment_id,
                                    std::string_view anon_id, std::string_view session_id,
                                    std::string_view variant) const;

 private:
  db::Statement find_shop_;
  db::Statement insert_;
  db::Statement find_;
  db::Statement find_for_update_;
  db::Statement list_;
  db::Statement list_by_status_;
  db::Statement save_;
  db::Statement delete_assignments_;
  db::Statement delete_results_;
  db::Statement delete_visitors_;
  db::Statement delete_watermark_;
  db::Statement insert_assignment_;
  db::Statement read_assignment_;
};

}  // namespace pagelift::experiments
