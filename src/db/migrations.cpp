// Migration runner (see migrations.h). The SQL files themselves are in db/migrations/.
#include "db/migrations.h"

#include <boost/json/object.hpp>
#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "core/crypto.h"
#include "core/log.h"
#include "db/advisory_locks.h"

namespace pagelift::db {
namespace {

constexpr const char* kCreateSchemaMigrations = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INT PRIMARY KEY,
  name        TEXT NOT NULL,
  checksum    TEXT NOT NULL,
  applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
))sql";

struct AppliedRow {
  std::string name;
  std::string checksum;
};

std::map<int, AppliedRow> ReadApplied(pqxx::transaction_base& tx) {
  std::map<int, AppliedRow> applied;
  for (const auto& row : tx.exec("SELECT version, name, checksum FROM schema_migrations")) {
    applied.emplace(row[0].as<int>(), AppliedRow{row[1].as<std::string>(), row[2].as<std::string>()});
  }
  return applied;
}

Error ChecksumMismatch(const MigrationInfo& m, const AppliedRow& row) {
  return MakeError(ErrorCode::kInternal,
                   "migration " + m.name + " was changed after it was applied; add a new migration instead",
                   {{"version", m.version}, {"applied_name", row.name}, {"applied_checksum", row.checksum},
                    {"file_checksum", m.checksum}});
}

// Releases the session advisory lock when the migration run ends, however it ends. If the connection broke, the
// server has already released it.
class MigrationLock {
 public:
  explicit MigrationLock(Database::Lease& lease) : lease_(lease) {
    pqxx::nontransaction tx(*lease_);
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(advisory_locks::kMigrations) + ")");
  }
  ~MigrationLock() {
    try {
      pqxx::nontransaction tx(*lease_);
      tx.exec("SELECT pg_advisory_unlock(" + std::to_string(advisory_locks::kMigrations) + ")");
    } catch (const std::exception&) {
      lease_.Discard();  // a connection whose lock state is unknown must not go back to the pool
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  Database::Lease& lease_;
};

}  // namespace

Result<std::vector<MigrationInfo>> DescribeMigrations(std::span<const EmbeddedFile> files) {
  std::vector<MigrationInfo> out;
  std::set<int> versions;
  for (const EmbeddedFile& file : files) {
    const std::string_view name = file.name;
    const auto underscore = name.find('_');
    int version = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + std::min(underscore, name.size()), version);
    if (underscore == std::string_view::npos || underscore == 0 || ec != std::errc() ||
        end != name.data() + underscore || version <= 0 || !name.ends_with(".sql")) {
      return MakeError(ErrorCode::kInternal, "migration file name must look like 0001_name.sql",
                       {{"file", std::string(name)}});
    }
    if (!versions.insert(version).second) {
      return MakeError(ErrorCode::kInternal, "two migration files share a version",
                       {{"file", std::string(name)}, {"version", version}});
    }
    out.push_back(MigrationInfo{version, std::string(name), crypto::HexEncode(crypto::Sha256(file.content))});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

Result<MigrationReport> Migrate(Database& db, std::span<const EmbeddedFile> files) {
  auto described = DescribeMigrations(files);
  if (!described.ok()) {
    return std::move(described).error();
  }
  std::map<std::string, std::string_view> content_by_name;
  for (const EmbeddedFile& file : files) {
    content_by_name.emplace(std::string(file.name), file.content);
  }

  Database::Lease lease = db.Acquire();
  try {
    MigrationLock lock(lease);
    std::map<int, AppliedRow> applied;
    {
      pqxx::work tx(*lease);
      tx.exec(kCreateSchemaMigrations);
      applied = ReadApplied(tx);
      tx.commit();
    }
    // Refuse before changing anything: a changed migration means this binary and the database disagree.
    MigrationReport report;
    for (const MigrationInfo& m : *described) {
      if (auto it = applied.find(m.version); it != applied.end()) {
        if (it->second.checksum != m.checksum) {
          return ChecksumMismatch(m, it->second);
        }
        ++report.already_applied;
      }
    }
    for (const MigrationInfo& m : *described) {
      if (applied.contains(m.version)) {
        continue;
      }
      try {
        pqxx::work tx(*lease);
        tx.exec(std::string(content_by_name.at(m.name)));
        tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m.version,
                       m.name, m.checksum);
        tx.commit();
      } catch (const pqxx::sql_error& e) {
        if (!lease->is_open()) {
          throw;
        }
        log::Error("migration failed", {{"migration", m.name}, {"sqlstate", e.sqlstate()}, {"error", e.what()}});
        return MakeError(ErrorCode::kInternal, "migration " + m.name + " failed: " + e.what(),
                         {{"migration", m.name}, {"sqlstate", e.sqlstate()}});
      }
      log::Info("migration applied", {{"migration", m.name}, {"version", m.version}, {"checksum", m.checksum}});
      report.applied.push_back(m);
    }
    return report;
  } catch (const pqxx::broken_connection& e) {
    lease.Discard();
    throw Unavailable(std::string("database connection lost while migrating: ") + e.what(), 2);
  } catch (const pqxx::sql_error& e) {
    if (!lease->is_open()) {
      lease.Discard();
      throw Unavailable(std::string("database connection lost while migrating: ") + e.what(), 2);
    }
    throw;
  }
}

Result<MigrationReport> Migrate(const std::string& conninfo, std::span<const EmbeddedFile> files) {
  Database db(conninfo, 1);
  return Migrate(db, files);
}

Result<bool> MigrationsCurrent(Database& db, std::span<const EmbeddedFile> files) {
  auto described = DescribeMigrations(files);
  if (!described.ok()) {
    return std::move(described).error();
  }
  return db.Run(TxOptions::ReadOnly(), [&](pqxx::work& tx) -> Result<bool> {
    if (tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL")[0][0].as<bool>() == false) {
      return false;
    }
    const std::map<int, AppliedRow> applied = ReadApplied(tx);
    bool current = true;
    for (const MigrationInfo& m : *described) {
      auto it = applied.find(m.version);
      if (it == applied.end()) {
        current = false;
      } else if (it->second.checksum != m.checksum) {
        return ChecksumMismatch(m, it->second);
      }
    }
    return current;
  });
}

}  // namespace pagelift::db
