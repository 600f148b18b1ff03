// Maintenance of the monthly partitions of `events` (db/migrations/0001_initial.sql): creates the partitions ahead of
// time, moves rows that landed in the DEFAULT partition into their month, and drops months past retention.
// Safe to run from every copy at any interval (a transaction-level advisory lock makes one copy do the work, the others
// skip); the app runs it at start-up after migrating and then periodically (e.g. hourly).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "db/database.h"

namespace pagelift::db {

// A calendar month in UTC.
struct YearMonth {
  int year = 0;
  int month = 0;  // 1..12
  friend auto operator<=>(const YearMonth&, const YearMonth&) = default;
};

YearMonth MonthOf(TimePoint t);                     // the UTC month containing t
YearMonth AddMonths(YearMonth m, int months);       // months may be negative; crosses year boundaries
std::string EventPartitionName(YearMonth m);        // "events_2026_12"

// How many months ahead of the current one get a partition (current + 3 = four partitions exist at any time).
inline constexpr int kEventPartitionsAhead = 3;

struct PartitionReport {
  bool skipped = false;                 // another copy holds the maintenance lock; nothing was done
  std::vector<std::string> created;     // partitions created, e.g. "events_2027_01"
  std::int64_t moved_rows = 0;          // rows moved out of events_default into their month's partition
  std::int64_t expired_default_rows = 0;  // rows in events_default older than retention, deleted
  std::vector<std::string> dropped;     // partitions dropped for retention
};

// In one transaction, under the maintenance lock (skipped when another copy holds it):
//  - creates events_YYYY_MM for the month of `now` and the kEventPartitionsAhead months after it;
//  - for every month that has rows in events_default and is within retention (up to kEventPartitionsAhead ahead),
//    creates its partition and moves those rows into it (PostgreSQL refuses to create a partition while the default
//    partition holds rows of its range); rows older than retention are deleted from the default partition; rows
//    further in the future stay there until their month's partition is created;
//  - drops every monthly partition whose whole range lies before now − retention_months (calendar months).
// retention_months must be ≥ 1 (kBadRequest otherwise). Lock waits are bounded (lock_timeout), so a busy table makes
// the run fail with a pqxx error rather than stall inserts behind it; the next run tries again.
Result<PartitionReport> MaintainEventPartitions(Database& db, TimePoint now, int retention_months);

}  // namespace pagelift::db
