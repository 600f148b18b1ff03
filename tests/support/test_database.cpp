// TestDatabase (see test_database.h).
#include "support/test_database.h"

#include <cstdlib>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>

#include "core/crypto.h"
#include "db/database.h"
#include "db/migrations.h"
#include "support/pg_cluster.h"

namespace pagelift::testing {
namespace {

constexpr const char* kTemplate = "pagelift_template";
// Serialises every use of the template across test processes: migrating it, and cloning it (CREATE DATABASE ...
// TEMPLATE fails while anyone else is connected to the template).
constexpr long long kTemplateLock = 0x706167656C0000FFLL;

std::string ClusterDir() {
  if (const char* dir = std::getenv("PAGELIFT_TEST_PG_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return PAGELIFT_TEST_PG_DIR;
}

// Holds the template lock on an admin connection for the lifetime of the object.
class TemplateLock {
 public:
  TemplateLock() : conn_(TestDatabase::AdminConninfo()) {
    pqxx::nontransaction(conn_).exec("SELECT pg_advisory_lock(" + std::to_string(kTemplateLock) + ")");
  }
  ~TemplateLock() {
    try {
      pqxx::nontransaction(conn_).exec("SELECT pg_advisory_unlock(" + std::to_string(kTemplateLock) + ")");
    } catch (const std::exception&) {
      // The session ends right after; the server releases the lock with it.
    }
  }
  pqxx::connection& conn() { return conn_; }

 private:
  pqxx::connection conn_;
};

bool DatabaseExists(pqxx::connection& conn, const std::string& name) {
  pqxx::nontransaction tx(conn);
  return !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).empty();
}

void Exec(pqxx::connection& conn, const std::string& sql) { pqxx::nontransaction(conn).exec(sql); }

// Brings the template up to date with the embedded migrations; a template migrated from an edited migration file is
// rebuilt from scratch. Caller holds the template lock.
void PrepareTemplate(TemplateLock& lock) {
  pqxx::connection& admin = lock.conn();
  const std::string quoted = admin.quote_name(kTemplate);
  if (!DatabaseExists(admin, kTemplate)) {
    Exec(admin, "CREATE DATABASE " + quoted);
  }
  auto migrated = db::Migrate(TestDatabase::ConninfoFor(kTemplate));
  if (!migrated.ok()) {
    Exec(admin, "DROP DATABASE " + quoted + " WITH (FORCE)");
    Exec(admin, "CREATE DATABASE " + quoted);
    migrated = db::Migrate(TestDatabase::ConninfoFor(kTemplate));
    if (!migrated.ok()) {
      throw std::runtime_error("migrating the test template failed: " + migrated.error().message);
    }
  }
}

}  // namespace

std::string TestDatabase::ConninfoFor(const std::string& dbname) {
  std::string host;
  int port = 0;
  ReadClusterEnv(ClusterDir(), host, port);
  return "host=" + host + " port=" + std::to_string(port) + " user=postgres dbname=" + dbname;
}

std::string TestDatabase::AdminConninfo() { return ConninfoFor("postgres"); }

TestDatabase::TestDatabase(Contents contents) : name_("t_" + crypto::RandomHex(8)) {
  conninfo_ = ConninfoFor(name_);
  TemplateLock lock;
  const std::string quoted = lock.conn().quote_name(name_);
  if (contents == Contents::kEmpty) {
    Exec(lock.conn(), "CREATE DATABASE " + quoted + " TEMPLATE template0");
    return;
  }
  // Once per process: later databases only clone.
  static std::once_flag prepared;
  std::call_once(prepared, [&lock] { PrepareTemplate(lock); });
  Exec(lock.conn(), "CREATE DATABASE " + quoted + " TEMPLATE " + lock.conn().quote_name(kTemplate));
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(AdminConninfo());
    Exec(admin, "DROP DATABASE IF EXISTS " + admin.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // A leftover t_* database is harmless; the cluster is throw-away.
  }
}

namespace {

std::string InsertBareShop(pqxx::work& tx, const std::string& domain, const std::string& public_id) {
  return tx
      .exec_params1(
          "INSERT INTO shops (domain, public_id, access_token_enc) VALUES ($1, $2, '\\x00') "
          "RETURNING id::text",
          domain, public_id)[0]
      .as<std::string>();
}

}  // namespace

std::string InsertBareShop(db::Database& database, const std::string& domain, const std::string& public_id) {
  return database.Run([&](pqxx::work& tx) { return InsertBareShop(tx, domain, public_id); });
}

std::string InsertBareShop(const std::string& conninfo, const std::string& domain, const std::string& public_id) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  std::string id = InsertBareShop(tx, domain, public_id);
  tx.commit();
  return id;
}

}  // namespace pagelift::testing
