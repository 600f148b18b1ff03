// Monthly partitions of `events`: creation ahead of time (month and year boundaries), rows moved out of the default
// partition, retention drops, and the singleton lock that makes a second copy skip.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "db/advisory_locks.h"
#include "db/partitions.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using db::Database;
using db::YearMonth;

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

std::set<std::string> Partitions(Database& database) {
  return database.Run([](pqxx::work& tx) {
    std::set<std::string> out;
    for (const auto& row : tx.exec("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                   "WHERE i.inhparent = 'events'::regclass")) {
      out.insert(row[0].as<std::string>());
    }
    return out;
  });
}

void InsertEvent(Database& database, const std::string& ts) {
  database.Run([&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts) "
                   "VALUES (gen_random_uuid(), gen_random_uuid(), 'a', 's', 'page_view', $1::timestamptz)",
                   ts);
  });
}

// Which table each event (by timestamp) lives in.
std::map<std::string, std::string> Placement(Database& database) {
  return database.Run([](pqxx::work& tx) {
    std::map<std::string, std::string> out;
    for (const auto& row : tx.exec("SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD'), tableoid::regclass::text "
                                   "FROM events")) {
      out[row[0].as<std::string>()] = row[1].as<std::string>();
    }
    return out;
  });
}

TEST(PartitionMathTest, MonthsAndNames) {
  EXPECT_EQ(db::MonthOf(At("2026-12-31T23:59:59.999Z")), (YearMonth{2026, 12}));
  EXPECT_EQ(db::MonthOf(At("2027-01-01T00:00:00Z")), (YearMonth{2027, 1}));
  EXPECT_EQ(db::MonthOf(At("2027-01-01T00:30:00+01:00")), (YearMonth{2026, 12}));  // UTC decides
  EXPECT_EQ(db::AddMonths({2026, 12}, 1), (YearMonth{2027, 1}));
  EXPECT_EQ(db::AddMonths({2026, 11}, 3), (YearMonth{2027, 2}));
  EXPECT_EQ(db::AddMonths({2026, 1}, -1), (YearMonth{2025, 12}));
  EXPECT_EQ(db::AddMonths({2026, 3}, -15), (YearMonth{2024, 12}));
  EXPECT_EQ(db::AddMonths({2026, 3}, -26), (YearMonth{2024, 1}));
  EXPECT_EQ(db::EventPartitionName({2026, 3}), "events_2026_03");
}

TEST(PartitionsTest, CreatesTheCurrentAndNextThreeMonthsOnce) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  auto report = db::MaintainEventPartitions(database, At("2026-05-10T12:00:00Z"), 13);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->skipped);
  EXPECT_EQ(report->created,
            (std::vector<std::string>{"events_2026_05", "events_2026_06", "events_2026_07", "events_2026_08"}));
  EXPECT_EQ(Partitions(database), (std::set<std::string>{"events_default", "events_2026_05", "events_2026_06",
                                                          "events_2026_07", "events_2026_08"}));
  // The bounds are UTC month starts whatever the session's time zone.
  const std::string bound = database.Run([](pqxx::work& tx) {
    tx.exec("SET LOCAL TimeZone = 'UTC'");
    return tx.exec("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'events_2026_05'")[0][0]
        .as<std::string>();
  });
  EXPECT_EQ(bound, "FOR VALUES FROM ('2026-05-01 00:00:00+00') TO ('2026-06-01 00:00:00+00')");

  auto again = db::MaintainEventPartitions(database, At("2026-05-31T23:00:00Z"), 13);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->created.empty());
  EXPECT_TRUE(again->dropped.empty());

  // Next month: one more partition at the far end.
  auto next = db::MaintainEventPartitions(database, At("2026-06-01T00:00:00Z"), 13);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->created, (std::vector<std::string>{"events_2026_09"}));
}

TEST(PartitionsTest, CrossesTheYearBoundary) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  auto report = db::MaintainEventPartitions(database, At("2026-12-15T08:00:00Z"), 13);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->created,
            (std::vector<std::string>{"events_2026_12", "events_2027_01", "events_2027_02", "events_2027_03"}));
  InsertEvent(database, "2027-01-01T00:00:00Z");
  InsertEvent(database, "2026-12-31T23:59:59.999Z");
  auto placed = Placement(database);
  EXPECT_EQ(placed["2027-01-01"], "events_2027_01");
  EXPECT_EQ(placed["2026-12-31"], "events_2026_12");
}

TEST(PartitionsTest, MovesRowsOutOfTheDefaultPartition) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  // No monthly partitions yet: everything lands in the default partition.
  InsertEvent(database, "2026-03-05T10:00:00Z");  // last month, within retention → events_2026_03
  InsertEvent(database, "2026-03-31T23:59:59Z");  // same
  InsertEvent(database, "2026-04-01T00:00:00Z");  // this month → events_2026_04
  InsertEvent(database, "2027-06-01T00:00:00Z");  // beyond the months created ahead → stays in default
  InsertEvent(database, "2024-01-10T00:00:00Z");  // older than retention → deleted
  ASSERT_EQ(database.Run([](pqxx::work& tx) { return tx.exec("SELECT count(*) FROM events_default")[0][0].as<int>(); }),
            5);

  auto report = db::MaintainEventPartitions(database, At("2026-04-02T00:00:00Z"), 12);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->moved_rows, 3);
  EXPECT_EQ(report->expired_default_rows, 1);
  EXPECT_EQ(report->created, (std::vector<std::string>{"events_2026_03", "events_2026_04", "events_2026_05",
                                                       "events_2026_06", "events_2026_07"}));
  auto placed = Placement(database);
  EXPECT_EQ(placed.size(), 4u);
  EXPECT_EQ(placed["2026-03-05"], "events_2026_03");
  EXPECT_EQ(placed["2026-03-31"], "events_2026_03");
  EXPECT_EQ(placed["2026-04-01"], "events_2026_04");
  EXPECT_EQ(placed["2027-06-01"], "events_default");
  EXPECT_EQ(placed.count("2024-01-10"), 0u);
  // Nothing was lost or duplicated on the way, and the moved rows keep their indexes' guarantees.
  EXPECT_EQ(database.Run([](pqxx::work& tx) {
              return tx.exec("SELECT count(DISTINCT event_id) FROM events")[0][0].as<int>();
            }),
            4);

  // When the far-future month's turn comes, its rows move too.
  auto later = db::MaintainEventPartitions(database, At("2027-03-01T00:00:00Z"), 12);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(later->moved_rows, 1);
  EXPECT_EQ(Placement(database)["2027-06-01"], "events_2027_06");
}

TEST(PartitionsTest, DropsPartitionsPastRetention) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  ASSERT_TRUE(db::MaintainEventPartitions(database, At("2025-11-20T00:00:00Z"), 24).ok());
  ASSERT_TRUE(db::MaintainEventPartitions(database, At("2026-01-20T00:00:00Z"), 24).ok());
  InsertEvent(database, "2025-11-30T00:00:00Z");
  InsertEvent(database, "2026-02-10T00:00:00Z");
  // 2026-05-15 minus 3 months = 2026-02-15: November, December and January lie wholly before it; February does not.
  auto report = db::MaintainEventPartitions(database, At("2026-05-15T00:00:00Z"), 3);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->dropped, (std::vector<std::string>{"events_2025_11", "events_2025_12", "events_2026_01"}));
  const auto partitions = Partitions(database);
  EXPECT_EQ(partitions.count("events_2025_12"), 0u);
  EXPECT_EQ(partitions.count("events_2026_02"), 1u);
  EXPECT_EQ(partitions.count("events_2026_08"), 1u);
  auto placed = Placement(database);
  EXPECT_EQ(placed.count("2025-11-30"), 0u);
  EXPECT_EQ(placed["2026-02-10"], "events_2026_02");
}

TEST(PartitionsTest, ASecondCopySkipsWhileTheLockIsHeld) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 2);
  {
    // Another copy in the middle of its run: holds the transaction-level lock.
    auto other = database.Acquire();
    pqxx::work tx(*other);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(db::advisory_locks::kEventPartitions) + ")");
    auto report = db::MaintainEventPartitions(database, At("2026-05-10T00:00:00Z"), 13);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_TRUE(report->skipped);
    EXPECT_TRUE(report->created.empty());
    tx.commit();  // releases the lock
  }
  EXPECT_EQ(Partitions(database), (std::set<std::string>{"events_default"}));
  auto report = db::MaintainEventPartitions(database, At("2026-05-10T00:00:00Z"), 13);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->skipped);
  EXPECT_EQ(report->created.size(), 4u);
}

TEST(PartitionsTest, RejectsANonPositiveRetention) {
  TestDatabase tdb;
  Database database(tdb.conninfo(), 1);
  auto report = db::MaintainEventPartitions(database, At("2026-05-10T00:00:00Z"), 0);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace pagelift::testing
