// The migration runner against real PostgreSQL: first application, re-run as a no-op, refusal of a changed
// migration, a failing migration rolling back, and concurrent runners applying each migration exactly once.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "db/migrations.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using db::Database;

int CountRows(Database& database, const std::string& sql) {
  return database.Run([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int>(); });
}

TEST(MigrationsTest, EmbeddedFilesAreWellFormed) {
  auto described = db::DescribeMigrations(db::migrations::kFiles);
  ASSERT_TRUE(described.ok()) << described.error().message;
  ASSERT_FALSE(described->empty());
  EXPECT_EQ(described->front().name, "0001_initial.sql");
  EXPECT_EQ(described->front().version, 1);
  EXPECT_EQ(described->front().checksum.size(), 64u);
}

TEST(MigrationsTest, RejectsMalformedFileSets) {
  const EmbeddedFile no_number[] = {{"initial.sql", "SELECT 1"}};
  EXPECT_FALSE(db::DescribeMigrations(no_number).ok());
  const EmbeddedFile not_sql[] = {{"0001_initial.txt", "SELECT 1"}};
  EXPECT_FALSE(db::DescribeMigrations(not_sql).ok());
  const EmbeddedFile same_version[] = {{"0001_a.sql", "SELECT 1"}, {"001_b.sql", "SELECT 1"}};
  EXPECT_FALSE(db::DescribeMigrations(same_version).ok());
  const EmbeddedFile zero[] = {{"0000_a.sql", "SELECT 1"}};
  EXPECT_FALSE(db::DescribeMigrations(zero).ok());
}

TEST(MigrationsTest, AppliesOnAnEmptyDatabaseThenIsANoOp) {
  TestDatabase tdb(TestDatabase::Contents::kEmpty);
  Database database(tdb.conninfo(), 1);
  const int files = static_cast<int>(db::migrations::kFiles.size());

  auto current = db::MigrationsCurrent(database);
  ASSERT_TRUE(current.ok());
  EXPECT_FALSE(*current);

  auto first = db::Migrate(database);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(static_cast<int>(first->applied.size()), files);
  EXPECT_EQ(first->already_applied, 0);
  EXPECT_EQ(CountRows(database, "SELECT count(*) FROM schema_migrations"), files);
  EXPECT_EQ(CountRows(database,
                      "SELECT count(*) FROM schema_migrations WHERE checksum ~ '^[0-9a-f]{64}$' AND applied_at <= now()"),
            files);

  auto second = db::Migrate(database);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->already_applied, files);
  EXPECT_EQ(CountRows(database, "SELECT count(*) FROM schema_migrations"), files);

  current = db::MigrationsCurrent(database);
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(*current);
}

TEST(MigrationsTest, RefusesAMigrationChangedAfterItWasApplied) {
  TestDatabase tdb;  // migrated
  Database database(tdb.conninfo(), 1);
  database.Run([](pqxx::work& tx) {
    tx.exec("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
  });
  auto result = db::Migrate(database);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  EXPECT_NE(result.error().message.find("0001_initial.sql"), std::string::npos);
  EXPECT_FALSE(db::MigrationsCurrent(database).ok());
}

TEST(MigrationsTest, AFailingMigrationRollsBackAndStopsTheRun) {
  TestDatabase tdb(TestDatabase::Contents::kEmpty);
  Database database(tdb.conninfo(), 1);
  const EmbeddedFile files[] = {
      {"0001_a.sql", "CREATE TABLE a (x int);"},
      {"0002_b.sql", "CREATE TABLE b (x int); SELEC 1;"},
      {"0003_c.sql", "CREATE TABLE c (x int);"},
  };
  auto result = db::Migrate(database, files);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("0002_b.sql"), std::string::npos);
  EXPECT_EQ(CountRows(database, "SELECT count(*) FROM schema_migrations"), 1);
  EXPECT_EQ(CountRows(database, "SELECT count(*) FROM pg_tables WHERE tablename IN ('a', 'b', 'c')"), 1);
  EXPECT_EQ(database.Stats().in_use, 0);
}

TEST(MigrationsTest, AppliesOnlyWhatIsPending) {
  TestDatabase tdb(TestDatabase::Contents::kEmpty);
  Database database(tdb.conninfo(), 1);
  const EmbeddedFile first[] = {{"0001_a.sql", "CREATE TABLE a (x int);"}};
  ASSERT_TRUE(db::Migrate(database, first).ok());
  const EmbeddedFile both[] = {{"0001_a.sql", "CREATE TABLE a (x int);"}, {"0002_b.sql", "CREATE TABLE b (x int);"}};
  auto result = db::Migrate(database, both);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->applied.size(), 1u);
  EXPECT_EQ(result->applied[0].name, "0002_b.sql");
  EXPECT_EQ(result->already_applied, 1);
}

// Without the advisory lock both runners would see an empty schema_migrations and the slower one would fail on
// "relation already exists" (or record a migration twice).
TEST(MigrationsTest, ConcurrentRunnersApplyEachMigrationExactlyOnce) {
  TestDatabase tdb(TestDatabase::Contents::kEmpty);
  const EmbeddedFile files[] = {
      {"0001_slow.sql", "CREATE TABLE slow (x int); SELECT pg_sleep(0.3);"},
      {"0002_log.sql", "CREATE TABLE applied_log (n int); INSERT INTO applied_log VALUES (2);"},
  };
  constexpr int kRunners = 4;
  std::latch start(kRunners);
  std::vector<Result<db::MigrationReport>> results(kRunners, MakeError(ErrorCode::kInternal, "did not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kRunners; ++i) {
    threads.emplace_back([&, i] {
      Database database(tdb.conninfo(), 1);  // a separate connection (session) per runner
      start.arrive_and_wait();
      results[i] = db::Migrate(database, files);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  int applied = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    applied += static_cast<int>(r->applied.size());
  }
  EXPECT_EQ(applied, 2);
  Database database(tdb.conninfo(), 1);
  EXPECT_EQ(CountRows(database, "SELECT count(*) FROM schema_migrations"), 2);
  EXPECT_EQ(CountRows(database, "SELECT count(*) FROM applied_log"), 1);
}

TEST(MigrationsTest, ConcurrentRunnersOfTheRealSchema) {
  TestDatabase tdb(TestDatabase::Contents::kEmpty);
  std::latch start(2);
  std::vector<Result<db::MigrationReport>> results(2, MakeError(ErrorCode::kInternal, "did not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = db::Migrate(tdb.conninfo());
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_TRUE(results[0].ok()) << results[0].error().message;
  ASSERT_TRUE(results[1].ok()) << results[1].error().message;
  EXPECT_EQ(results[0]->applied.size() + results[1]->applied.size(), db::migrations::kFiles.size());
}

}  // namespace
}  // namespace pagelift::testing
