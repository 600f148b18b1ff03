// bench_experiments_aggregate: the aggregation worker on synthetic data (issue #5's target: 10 million events across
// 50 experiments). Generates EVENTS events (default 200,000, a short run; argv[1]; the issue's case is 10000000) for
// EXPERIMENTS experiments (default 50; argv[2]) in the database of DATABASE_URL (migrated here; use a throw-away
// database; bench/experiments/aggregate-run starts a private cluster), then reports
//   - the full recomputation of every experiment of the shop (RecomputeShopAggregation): target <= 60 s,
//   - the incremental refresh (RunShopAggregation) after 100,000 new events: target <= 2 s,
//   - the refresh after 10,000 new events: proportional to the new events means about a tenth of the above.
// The bulk load drops the events' secondary indexes and builds them again afterwards (as a restore would), so that
// generating the data does not dominate the run; the new events of the refreshes go in with every index in place.
#include <boost/algorithm/string/replace.hpp>
#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/log.h"
#include "db/database.h"
#include "db/migrations.h"
#include "experiments/aggregation.h"

namespace {

using pagelift::db::Database;
using Seconds = std::chrono::duration<double>;

// Events g in [first, first + count): visitor g % visitors + 1, one of five types, a device or a purchase total.
void InsertEvents(Database& database, const std::string& shop_id, long long first, long long count,
                  long long visitors) {
  constexpr long long kChunk = 1'000'000;
  for (long long start = first; start < first + count; start += kChunk) {
    const long long end = std::min(first + count, start + kChunk) - 1;
    database.Run([&](pqxx::work& tx) {
      tx.exec_params(R"sql(
INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts, props)
SELECT $1, gen_random_uuid(), 'v' || (g % $4 + 1), 's' || (g % $4 + 1),
       (ARRAY['page_view', 'product_view', 'add_to_cart', 'begin_checkout', 'purchase'])[1 + (g * 7919) % 5],
       now() - interval '1 hour' + g * interval '100 microseconds',
       CASE WHEN (g * 7919) % 5 = 4 THEN jsonb_build_object('total', (g % 20000) / 100.0) ELSE
            jsonb_build_object('device', (ARRAY['mobile', 'desktop', 'tablet'])[1 + g % 3]) END
  FROM generate_series($2::bigint, $3::bigint) g
)sql",
                     shop_id, start, end, visitors);
    });
  }
}

// The bulk load: the events' secondary indexes are dropped first and built again from their own definitions.
void LoadEvents(Database& database, const std::string& shop_id, long long count, long long visitors) {
  const auto indexes = database.Run([](pqxx::work& tx) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& row : tx.exec("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND "
                                   "tablename = 'events' AND indexname <> 'events_pkey'")) {
      out.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
    }
    return out;
  });
  database.Run([&](pqxx::work& tx) {
    for (const auto& [name, definition] : indexes) tx.exec("DROP INDEX " + tx.quote_name(name));
  });
  InsertEvents(database, shop_id, 1, count, visitors);
  database.Run([&](pqxx::work& tx) {
    tx.exec("SET LOCAL maintenance_work_mem = '512MB'");
    // pg_indexes shows a partitioned table's index as "ON ONLY": without ONLY it is built on every partition too.
    for (const auto& [name, definition] : indexes) {
      tx.exec(boost::replace_first_copy(definition, " ON ONLY ", " ON "));
    }
  });
}

// The shop a run generated: its id, how many events and visitors it holds, and how long generating took.
struct Generated {
  std::string shop_id;
  long long events = 0;
  long long visitors = 0;
  Seconds seconds{0};
};

Generated Generate(Database& database, long long events, int experiment_count, long long visitors) {
  Generated out;
  out.events = events;
  out.visitors = visitors;
  out.shop_id = database.Run([&](pqxx::work& tx) {
    const std::string public_id = "bench" + std::to_string(std::time(nullptr));
    const std::string id = tx.exec_params("INSERT INTO shops (domain, public_id, access_token_enc) VALUES "
                                          "($1 || '.myshopify.com', $1, '\\x00') RETURNING id::text",
                                          public_id)[0][0]
                               .as<std::string>();
    tx.exec_params(R"sql(
INSERT INTO experiments (shop_id, name, target, allocation, variants, status, started_at)
SELECT $1, 'bench ' || g, 'block:b' || g, '{"weights": [0.5, 0.5], "coverage": 1}',
       '[{"key": "control", "config": {}}, {"key": "treatment", "config": {}}]', 'running', now() - interval '1 day'
  FROM generate_series(1, $2) g
)sql",
                   id, experiment_count);
    tx.exec_params(R"sql(
INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at)
SELECT $1, e.ids[1 + v % array_length(e.ids, 1)], 'v' || v, 's' || v,
       CASE WHEN v % 2 = 0 THEN 'control' ELSE 'treatment' END, now() - interval '2 hours'
  FROM generate_series(1, $2::bigint) v,
       (SELECT array_agg(id ORDER BY id) AS ids FROM experiments WHERE shop_id = $1) e
)sql",
                   id, visitors);
    return id;
  });
  const auto start = std::chrono::steady_clock::now();
  LoadEvents(database, out.shop_id, events, visitors);
  database.Run([](pqxx::work& tx) { tx.exec("ANALYZE events; ANALYZE assignments"); });
  out.seconds = std::chrono::steady_clock::now() - start;
  return out;
}

Generated FindGenerated(Database& database) {
  return database.Run([](pqxx::work& tx) {
    Generated out;
    const auto row = tx.exec(
        "SELECT s.id::text, (SELECT count(*) FROM events e WHERE e.shop_id = s.id), "
        "(SELECT count(DISTINCT anon_id) FROM assignments a WHERE a.shop_id = s.id) "
        "FROM shops s WHERE s.public_id LIKE 'bench%' ORDER BY s.public_id DESC LIMIT 1")[0];
    out.shop_id = row[0].as<std::string>();
    out.events = row[1].as<long long>();
    out.visitors = row[2].as<long long>();
    return out;
  });
}

// CPU time (user + system, seconds) of this process and of the PostgreSQL server's backends (the postmaster's children,
// found through the data directory's postmaster.pid; 0 when the server is not local). On a machine shared with other
// work these are steadier than wall time.
struct CpuSeconds {
  double bench = 0;
  double server = 0;
};

double BenchCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double ServerCpu(const std::string& data_directory) {
  long postmaster = 0;
  std::ifstream(data_directory + "/postmaster.pid") >> postmaster;
  if (postmaster <= 0) return 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file(entry.path() / "stat");
    std::string stat;
    std::getline(file, stat);
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 2));  // state ppid ... (fields 3.. of proc(5))
    std::string state;
    long ppid = 0;
    fields >> state >> ppid;
    if (ppid != postmaster) continue;
    std::string skip;
    for (int i = 0; i < 9; ++i) fields >> skip;  // fields 5..13
    double utime = 0;
    double stime = 0;
    fields >> utime >> stime;
    total += (utime + stime) / ticks;
  }
  return total;
}

CpuSeconds CpuNow(const std::string& data_directory) { return {BenchCpu(), ServerCpu(data_directory)}; }

std::string LoadAverage() {
  std::string one;
  std::ifstream("/proc/loadavg") >> one;
  return one;
}

// VACUUM (ANALYZE) `tables` (none: nullptr), then a checkpoint and sync(2): what a load left to do is done before a
// measurement starts.
void SettleDatabase(const char* url, const char* tables) {
  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  if (tables != nullptr) work.exec(std::string("VACUUM (ANALYZE) ") + tables);
  work.exec("CHECKPOINT");
  sync();
}

Seconds Refresh(Database& database, const std::string& shop_id, const std::vector<std::string>& experiment_ids,
                const pagelift::experiments::AggregationOptions& options, long long& visitors, long long& folded,
                long long& changed) {
  const auto start = std::chrono::steady_clock::now();
  visitors = folded = changed = 0;
  for (const auto& report : pagelift::experiments::RunShopAggregation(database, shop_id, experiment_ids, options)) {
    visitors += report.visitors;
    folded += report.folded;
    changed += report.changed;
  }
  return std::chrono::steady_clock::now() - start;
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("DATABASE_URL");
  if (url == nullptr) {
    // bench/run-all runs every bench_* binary bare; this one needs a database: its wrapper provides one.
    std::cout << "bench_experiments_aggregate: skipped (no DATABASE_URL); run bench/experiments/aggregate-run\n";
    return 0;
  }
  const long long events = argc > 1 ? std::atoll(argv[1]) : 200'000;
  const int experiment_count = argc > 2 ? std::atoi(argv[2]) : 50;
  const long long visitors = std::max(1LL, events / 8);
  if (auto migrated = pagelift::db::Migrate(url); !migrated) {
    std::cerr << "migration failed: " << migrated.error().message << "\n";
    return 1;
  }
  // BENCH_DEBUG=1: the aggregation's debug lines (milliseconds per phase of a run) on stderr.
  if (std::getenv("BENCH_DEBUG") != nullptr) pagelift::log::SetLevel(pagelift::log::Level::kDebug);
  Database database(url, 4);
  // BENCH_REUSE (set by aggregate-run under BENCH_KEEP): the shop of an earlier run, its data and aggregates as they
  // are; the new events continue its numbering.
  const bool reuse = std::getenv("BENCH_REUSE") != nullptr && *std::getenv("BENCH_REUSE") != '\0';
  Generated data = reuse ? FindGenerated(database) : Generate(database, events, experiment_count, visitors);
  const std::string& shop_id = data.shop_id;
  const auto experiment_ids = database.Run([&](pqxx::work& tx) {
    std::vector<std::string> ids;
    for (const auto& row : tx.exec_params("SELECT id::text FROM experiments WHERE shop_id = $1", shop_id)) {
      ids.push_back(row[0].as<std::string>());
    }
    return ids;
  });
  pagelift::experiments::AggregationOptions options;
  options.lateness = std::chrono::seconds(0);
  if (argc > 3) options.visitors_per_batch = std::atoi(argv[3]);  // visitors per batch (default AggregationOptions')

  std::cout << fmt::format("events {} in {} experiments, {} visitors ({} {:.1f} s)\n", data.events,
                           experiment_ids.size(), data.visitors, reuse ? "reused; generated before in" : "generated in",
                           data.seconds.count());
  std::cout.flush();

  // Both measurements run on a settled database, as they do in production, where autovacuum has long since vacuumed
  // the rows a recomputation or a refresh reads (hint bits, visibility map) and analyzed them: bulk-loaded rows are
  // otherwise vacuumed by autovacuum workers taking the second core in the middle of the measurement, and the first
  // reader of each page sets its hint bits and writes the page out again. The load's WAL and dirty pages are flushed
  // before the clock starts too (SettleDatabase).
  const char* skip_full = std::getenv("BENCH_SKIP_FULL");
  if (!reuse || skip_full == nullptr || *skip_full == '\0') {
    SettleDatabase(url, "events, assignments");
    const auto full_start = std::chrono::steady_clock::now();
    pagelift::experiments::RecomputeShopAggregation(database, shop_id, experiment_ids, options);
    const Seconds full = std::chrono::steady_clock::now() - full_start;
    std::cout << fmt::format("full recomputation: {:.2f} s ({:.0f} events/s); target 60 s, ratio {:.2f}\n",
                             full.count(), static_cast<double>(data.events) / full.count(), full.count() / 60);
    std::cout.flush();
  }

  SettleDatabase(url, "events, assignments, experiment_visitors");  // all-visible pages again are skipped

  const std::string data_directory = database.Run([](pqxx::work& tx) {
    return tx.exec("SELECT current_setting('data_directory', true)")[0][0].c_str();
  });
  long long next = data.events + 1;
  std::vector<Seconds> refreshes;
  for (const long long added : {100'000LL, 10'000LL}) {
    InsertEvents(database, shop_id, next, added, data.visitors);
    next += added;
    // The insert's WAL and dirty buffers are the generator's, not the refresh's (a checkpoint falling into the
    // refresh's seconds made it vary by half a second between runs).
    SettleDatabase(url, nullptr);
    long long dirty = 0;
    long long folded = 0;
    long long changed = 0;
    const CpuSeconds cpu_before = CpuNow(data_directory);
    refreshes.push_back(Refresh(database, shop_id, experiment_ids, options, dirty, folded, changed));
    const CpuSeconds cpu_after = CpuNow(data_directory);
    std::cout << fmt::format("refresh after {} new events: {:.3f} s ({} visitors, {} folded, {} changed); target 2 s, "
                             "ratio {:.3f}\n",
                             added, refreshes.back().count(), dirty, folded, changed, refreshes.back().count() / 2);
    std::cout << fmt::format("  CPU: bench process {:.3f} s, PostgreSQL {:.3f} s (every server process, autovacuum "
                             "included; load average {})\n",
                             cpu_after.bench - cpu_before.bench, cpu_after.server - cpu_before.server, LoadAverage());
  }
  std::cout << fmt::format("refresh 100k / refresh 10k: {:.1f} (proportional to new events: about 10; bound to "
                           "the history: about 1)\n",
                           refreshes[0].count() / refreshes[1].count());
  database.Shutdown();
  return 0;
}
