// A fresh PostgreSQL database per test (or suite) on the shared test cluster that ctest's postgres fixture starts
// (tests/support/pg-cluster, location PAGELIFT_TEST_PG_DIR, overridable by the environment variable of that name).
// Migrated databases are cloned from `pagelift_template`, which the first TestDatabase of any process migrates with
// the embedded migrations (serialised across processes by an advisory lock, and rebuilt when a migration file changed).
#pragma once

#include <string>

namespace pagelift::db {
class Database;
}

namespace pagelift::testing {

class TestDatabase {
 public:
  enum class Contents {
    kMigrated,  // the whole schema (clone of pagelift_template)
    kEmpty,     // nothing at all, for migration tests
  };

  // Creates t_<random>; throws std::runtime_error when the cluster is not running.
  explicit TestDatabase(Contents contents = Contents::kMigrated);
  ~TestDatabase();  // DROP DATABASE ... WITH (FORCE)
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // libpq keyword conninfo of this database ("host=... port=... user=postgres dbname=t_...").
  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }

  // conninfo of the cluster's `postgres` database, for administrative statements in tests.
  static std::string AdminConninfo();
  // conninfo of any database on the shared cluster.
  static std::string ConninfoFor(const std::string& dbname);

 private:
  std::string name_;
  std::string conninfo_;
};

// Inserts a shops row with a placeholder token (for routes that never call Shopify: collection, the SDK, the app
// proxy) and returns its id; through the pool, or on a connection of its own to `conninfo`.
std::string InsertBareShop(db::Database& database, const std::string& domain, const std::string& public_id);
std::string InsertBareShop(const std::string& conninfo, const std::string& domain, const std::string& public_id);

}  // namespace pagelift::testing
