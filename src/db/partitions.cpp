// Event partition maintenance (see partitions.h). Every identifier and literal in the DDL below is built from
// validated integers (year, month); no text from outside ever reaches the SQL.
#include "db/partitions.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <fmt/format.h>
#include <set>

#include "core/log.h"
#include "db/advisory_locks.h"

namespace pagelift::db {
namespace {

constexpr std::string_view kPartitionPrefix = "events_";

// PostgreSQL's timestamptz range is far wider, but a month outside these years is a corrupt clock, not data.
bool Plausible(YearMonth m) { return m.year >= 1970 && m.year <= 9999 && m.month >= 1 && m.month <= 12; }

// The first instant of the month in UTC, as a timestamptz literal independent of the session's TimeZone.
std::string MonthStart(YearMonth m) { return fmt::format("{:04d}-{:02d}-01 00:00:00+00", m.year, m.month); }

// "events_2026_03" → {2026, 3}; anything else (a partition someone else created) → nullopt and is left alone.
std::optional<YearMonth> ParsePartitionName(std::string_view name) {
  if (name.size() != kPartitionPrefix.size() + 7 || !name.starts_with(kPartitionPrefix) ||
      name[kPartitionPrefix.size() + 4] != '_') {
    return std::nullopt;
  }
  int digits[6];
  int k = 0;
  for (std::size_t i = kPartitionPrefix.size(); i < name.size(); ++i) {
    if (name[i] == '_') {
      continue;
    }
    if (name[i] < '0' || name[i] > '9') {
      return std::nullopt;
    }
    digits[k++] = name[i] - '0';
  }
  YearMonth m{digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3], digits[4] * 10 + digits[5]};
  if (!Plausible(m)) {
    return std::nullopt;
  }
  return m;
}

std::set<YearMonth> ExistingPartitions(pqxx::work& tx) {
  std::set<YearMonth> out;
  const pqxx::result rows = tx.exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'events'::regclass");
  for (const auto& row : rows) {
    if (auto m = ParsePartitionName(row[0].as<std::string>())) {
      out.insert(*m);
    }
  }
  return out;
}

// Months in [from, to) that have rows waiting in the default partition.
std::set<YearMonth> MonthsInDefault(pqxx::work& tx, YearMonth from, YearMonth to) {
  std::set<YearMonth> out;
  const pqxx::result rows = tx.exec_params(
      "SELECT DISTINCT EXTRACT(YEAR FROM ts AT TIME ZONE 'UTC')::int, EXTRACT(MONTH FROM ts AT TIME ZONE 'UTC')::int "
      "FROM events_default WHERE ts >= $1::timestamptz AND ts < $2::timestamptz",
      MonthStart(from), MonthStart(to));
  for (const auto& row : rows) {
    out.insert(YearMonth{row[0].as<int>(), row[1].as<int>()});
  }
  return out;
}

// Creates the partition of month m. When the default partition holds rows of that range, they are parked in a
// temporary table, deleted from the default, and inserted into the new partition, all in the caller's transaction.
// Returns how many rows moved.
std::int64_t CreatePartition(pqxx::work& tx, YearMonth m, bool has_default_rows) {
  const std::string table = tx.quote_name(EventPartitionName(m));
  const std::string from = tx.quote(MonthStart(m));
  const std::string to = tx.quote(MonthStart(AddMonths(m, 1)));
  std::int64_t moved = 0;
  if (has_default_rows) {
    tx.exec("CREATE TEMP TABLE IF NOT EXISTS pagelift_events_moving (LIKE events) ON COMMIT DROP");
    tx.exec("TRUNCATE pagelift_events_moving");
    const pqxx::result parked = tx.exec(
        "WITH moved AS (DELETE FROM events_default WHERE ts >= " + from + " AND ts < " + to +
        " RETURNING *) INSERT INTO pagelift_events_moving SELECT * FROM moved");
    moved = parked.affected_rows();
  }
  tx.exec("CREATE TABLE " + table + " PARTITION OF events FOR VALUES FROM (" + from + ") TO (" + to + ")");
  if (has_default_rows) {
    tx.exec("INSERT INTO " + table + " SELECT * FROM pagelift_events_moving");
  }
  return moved;
}

}  // namespace

YearMonth MonthOf(TimePoint t) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return YearMonth{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month()))};
}

YearMonth AddMonths(YearMonth m, int months) {
  const int index = m.year * 12 + (m.month - 1) + months;
  // Floor division so that negative offsets across a year boundary land in the right year.
  const int year = index >= 0 ? index / 12 : (index - 11) / 12;
  return YearMonth{year, index - year * 12 + 1};
}

std::string EventPartitionName(YearMonth m) {
  return fmt::format("{}{:04d}_{:02d}", kPartitionPrefix, m.year, m.month);
}

Result<PartitionReport> MaintainEventPartitions(Database& db, TimePoint now, int retention_months) {
  if (retention_months < 1) {
    return MakeError(ErrorCode::kBadRequest, "event retention must be at least one month",
                     {{"retention_months", retention_months}});
  }
  const YearMonth current = MonthOf(now);
  if (!Plausible(current)) {
    return MakeError(ErrorCode::kBadRequest, "the clock is outside the supported years");
  }
  // Months before `horizon` are wholly older than now − retention_months: a month's range ends at the start of the
  // next month, which is ≤ now − retention exactly when that next month is ≤ horizon.
  const YearMonth horizon = AddMonths(current, -retention_months);
  const YearMonth last_ahead = AddMonths(current, kEventPartitionsAhead);

  PartitionReport report = db.Run([&](pqxx::work& tx) {
    PartitionReport r;
    // Creating or dropping a partition locks the whole table; never queue inserts behind us for long.
    tx.exec("SET LOCAL lock_timeout = '5s'");
    const bool locked =
        tx.exec("SELECT pg_try_advisory_xact_lock(" + std::to_string(advisory_locks::kEventPartitions) + ")")[0][0]
            .as<bool>();
    if (!locked) {
      r.skipped = true;
      return r;
    }
    const std::set<YearMonth> existing = ExistingPartitions(tx);

    r.expired_default_rows =
        tx.exec_params("DELETE FROM events_default WHERE ts < $1::timestamptz", MonthStart(horizon)).affected_rows();

    const std::set<YearMonth> waiting = MonthsInDefault(tx, horizon, AddMonths(last_ahead, 1));
    std::set<YearMonth> wanted = waiting;
    for (int i = 0; i <= kEventPartitionsAhead; ++i) {
      wanted.insert(AddMonths(current, i));
    }
    for (const YearMonth& m : wanted) {
      if (existing.contains(m)) {
        continue;  // rows of an existing partition's range can never be in the default partition
      }
      r.moved_rows += CreatePartition(tx, m, waiting.contains(m));
      r.created.push_back(EventPartitionName(m));
    }
    for (const YearMonth& m : existing) {
      if (m < horizon) {
        tx.exec("DROP TABLE " + tx.quote_name(EventPartitionName(m)));
        r.dropped.push_back(EventPartitionName(m));
      }
    }
    return r;
  });

  if (report.skipped) {
    log::Debug("event partition maintenance skipped: another copy holds the lock");
  } else if (!report.created.empty() || !report.dropped.empty() || report.moved_rows > 0 ||
             report.expired_default_rows > 0) {
    boost::json::array created(report.created.begin(), report.created.end());
    boost::json::array dropped(report.dropped.begin(), report.dropped.end());
    log::Info("event partitions maintained", {{"created", std::move(created)},
                                              {"dropped", std::move(dropped)},
                                              {"moved_rows", report.moved_rows},
                                              {"expired_default_rows", report.expired_default_rows}});
  }
  return report;
}

}  // namespace pagelift::db
