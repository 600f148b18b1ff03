#include "collect/event_store.h"

#include <array>
#include <chrono>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "collect/copy_text.h"

// pqxx 6 deprecates tablewriter in favour of stream_to, but only tablewriter takes preformatted rows (CopyEvents).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <pqxx/tablewriter>
#pragma GCC diagnostic pop

namespace pagelift::collect {

namespace {

// The columns of `events` a group writes, in the order CopyRows lays out each row (the same order bench/collect's
// `psql \copy` reference uses). The staging table of the slow path has exactly these columns, so the same rows go
// into either table.
constexpr std::array<const char*, 10> kEventColumns = {"shop_id", "event_id",   "anon_id",    "session_id",
                                                       "event_type", "ts",      "props",      "product_id",
                                                       "experiment_id", "variant"};

// Slow path only (a group holding a redelivery): the staging table lives per connection (TEMP) and empties itself at
// commit, so group commits on different pooled connections never see each other's rows. The NOTICE that
// "IF NOT EXISTS" raises when it exists is silenced for this transaction only.
constexpr const char* kCreateStaging = R"sql(
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE IF NOT EXISTS pagelift_collect_staging (
  shop_id       UUID NOT NULL,
  event_id      UUID NOT NULL,
  anon_id       TEXT NOT NULL,
  session_id    TEXT NOT NULL,
  event_type    TEXT NOT NULL,
  ts            TIMESTAMPTZ NOT NULL,
  props         JSONB NOT NULL,
  product_id    TEXT,
  experiment_id TEXT,
  variant       TEXT
) ON COMMIT DELETE ROWS
)sql";

// The staged rows are already unique (Insert removes repeats inside the group in C++), so this is a plain scan with
// no sort; ON CONFLICT skips what earlier groups stored. RETURNING names the new rows, which Insert maps back to their
// requests.
constexpr const char* kInsertStaged = R"sql(
INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts, props, product_id, experiment_id, variant)
SELECT shop_id, event_id, anon_id, session_id, event_type, ts, props, product_id, experiment_id, variant
  FROM pagelift_collect_staging
ON CONFLICT (shop_id, event_id, ts) DO NOTHING
RETURNING event_id::text
)sql";

// Exposures arrive as one JSON array (built by boost::json, so any text is safely quoted) rather than through the
// events just stored, so that the fast path needs no staging table. The join with experiments keeps only exposures of
// an experiment that exists for that shop (the foreign key would otherwise fail the whole group); the event itself is
// stored either way. The earliest exposure of the group wins; an assignment stored before stays.
constexpr const char* kInsertAssignments = R"sql(
INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at)
SELECT DISTINCT ON (x.shop_id, x.experiment_id, x.anon_id)
       x.shop_id, x.experiment_id, x.anon_id, x.session_id, x.variant,
       timestamptz 'epoch' + x.ts_us * interval '1 microsecond'
  FROM jsonb_to_recordset($1::jsonb)
       AS x(shop_id uuid, experiment_id uuid, anon_id text, session_id text, variant text, ts_us bigint)
  JOIN experiments e ON e.shop_id = x.shop_id AND e.id = x.experiment_id
 ORDER BY x.shop_id, x.experiment_id, x.anon_id, x.ts_us
ON CONFLICT (shop_id, experiment_id, anon_id) DO NOTHING
)sql";

// The group-wide identity of an event: the unique key of `events`, with its hash. Views into the batches (alive
// during Insert). Repeats are found by sorting these (no node allocated per event, as a hash set would).
struct EventKey {
  size_t hash;
  std::string_view shop;
  std::string_view id;
  long long ts_us;
  const Event* event;
  size_t request;
  size_t position;  // in the group, so that the first copy of a repeat is the one kept
  friend bool SameEvent(const EventKey& a, const EventKey& b) {
    return a.hash == b.hash && a.ts_us == b.ts_us && a.id == b.id && a.shop == b.shop;
  }
};

size_t HashOf(std::string_view shop, std::string_view id, long long ts_us) {
  const size_t h = std::hash<std::string_view>{}(id) ^ (std::hash<std::string_view>{}(shop) << 1);
  return h ^ (std::hash<long long>{}(ts_us) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

void AppendOptional(CopyRows& rows, const std::optional<std::string_view>& value) {
  if (value) {
    rows.Text(*value);
  } else {
    rows.Null();
  }
}

// COPY of every staged event into `table` (`events`, or the staging table), one row per event in kEventColumns order.
// Rows are formatted into one buffer that is handed to pqxx whenever it holds about kCopyChunkBytes: small enough to
// be reused from the heap (no page faults for a fresh multi-megabyte string per group), large enough that the calls
// cost nothing. A server error (the unique violation of a redelivery) surfaces, with its SQLSTATE, at the end of the
// COPY: libpq leaves the ErrorResponse unread while in COPY IN, and the server drops the rest of the data.
constexpr size_t kCopyChunkBytes = 64 * 1024;

void CopyEvents(pqxx::transaction_base& tx, const char* table, std::span<const ShopBatch> batches,
                const std::vector<std::vector<const Event*>>& staged) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter writer(tx, table, kEventColumns.begin(), kEventColumns.end());
  // One buffer per flusher thread, kept: a fresh 80 KB buffer per group was handed back to the allocator, which
  // trimmed the heap and page-faulted it in again on the next group.
  thread_local CopyRows rows;
  rows.Clear();
  rows.Reserve(kCopyChunkBytes + 16 * 1024);
  for (size_t request = 0; request < batches.size(); ++request) {
    const std::string& shop = batches[request].shop->value;
    for (const Event* event : staged[request]) {
      rows.Text(shop);
      rows.Text(event->id);
      rows.Text(event->anon_id);
      rows.Text(event->session_id);
      rows.Text(EventTypeName(event->type));
      rows.Timestamp(event->ts);
      rows.Text(event->props_json);
      AppendOptional(rows, event->product_id);
      AppendOptional(rows, event->experiment);
      AppendOptional(rows, event->variant);
      rows.EndRow();
      if (rows.text().size() >= kCopyChunkBytes) {
        writer.write_raw_line(rows.text());  // pqxx adds the newline after the last row
        rows.Clear();
      }
    }
  }
  if (!rows.text().empty()) writer.write_raw_line(rows.text());
  rows.Clear();
  writer.complete();
#pragma GCC diagnostic pop
}

// The exposures among the staged events that name an experiment by UUID and a variant, as kInsertAssignments' JSON.
std::optional<std::string> ExposuresJson(std::span<const ShopBatch> batches,
                                         const std::vector<std::vector<const Event*>>& staged) {
  boost::json::array exposures;
  for (size_t request = 0; request < batches.size(); ++request) {
    for (const Event* event : staged[request]) {
      if (event->type != EventType::kExposure || !event->experiment || !IsUuid(*event->experiment) ||
          !event->variant || event->variant->empty()) {
        continue;
      }
      boost::json::object row;
      row["shop_id"] = batches[request].shop->value;
      row["experiment_id"] = *event->experiment;
      row["anon_id"] = event->anon_id;
      row["session_id"] = event->session_id;
      row["variant"] = *event->variant;
      row["ts_us"] = static_cast<long long>(event->ts.time_since_epoch().count());
      exposures.push_back(std::move(row));
    }
  }
  if (exposures.empty()) return std::nullopt;
  return boost::json::serialize(exposures);
}

}  // namespace

EventStore::EventStore(db::Database& database)
    : find_shop_(database, "collect_find_installed_shop",
                 "SELECT id FROM shops WHERE public_id = $1 AND uninstalled_at IS NULL"),
      installed_shops_(database, "collect_installed_shops",
                       "SELECT id::text FROM shops WHERE id = ANY($1::uuid[]) AND uninstalled_at IS NULL"),
      insert_staged_(database, "collect_insert_staged_events", kInsertStaged),
      insert_assignments_(database, "collect_insert_assignments", kInsertAssignments) {}

std::optional<ShopId> EventStore::FindInstalledShop(pqxx::work& tx, std::string_view public_id) const {
  const pqxx::result rows = tx.exec_prepared(find_shop_.name(), std::string(public_id));
  if (rows.empty()) return std::nullopt;
  return ShopId{rows[0][0].as<std::string>()};
}

std::vector<size_t> EventStore::Insert(pqxx::work& tx, std::span<const ShopBatch> batches) const {
  std::vector<size_t> inserted(batches.size(), 0);
  // One indexed lookup per group (its few distinct shops) makes an uninstall effective at once.
  std::unordered_set<std::string_view> installed;
  {
    std::string shop_array = "{";
    std::unordered_set<std::string_view> listed;
    for (const ShopBatch& batch : batches) {
      if (!listed.insert(batch.shop->value).second) continue;
      if (shop_array.size() > 1) shop_array += ',';
      shop_array += batch.shop->value;
    }
    shop_array += '}';
    for (const auto& row : tx.exec_prepared(installed_shops_.name(), shop_array)) {
      const auto it = listed.find(row[0].c_str());
      if (it != listed.end()) installed.insert(*it);
    }
  }
  // Repeats inside the group are removed here: the first copy stays (a repeat is charged to the later request).
  // Repeats of events stored by earlier groups are left to PostgreSQL's unique index (below).
  // Per flusher thread and kept: a group's keys take a few hundred KB, which malloc would map and unmap (page faults,
  // TLB shootdowns) for every group.
  thread_local std::vector<EventKey> keys;
  thread_local std::vector<char> repeat;  // by position
  keys.clear();
  for (size_t request = 0; request < batches.size(); ++request) {
    const ShopBatch& batch = batches[request];
    if (!installed.contains(batch.shop->value)) {
      inserted[request] = kShopNotInstalled;
      continue;
    }
    for (const Event& event : batch.events) {
      const long long ts_us = event.ts.time_since_epoch().count();
      keys.push_back(EventKey{HashOf(batch.shop->value, event.id, ts_us), batch.shop->value, event.id, ts_us, &event,
                              request, keys.size()});
    }
  }
  // Sorted by hash (then position), a repeat follows the copy it repeats; equal hashes of different events are told
  // apart by comparing the key with every earlier member of the run of equal hashes.
  std::sort(keys.begin(), keys.end(), [](const EventKey& a, const EventKey& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.position < b.position;
  });
  repeat.assign(keys.size(), 0);
  for (size_t run = 0; run < keys.size();) {
    size_t end = run + 1;
    while (end < keys.size() && keys[end].hash == keys[run].hash) ++end;
    for (size_t i = run + 1; i < end; ++i) {
      for (size_t j = run; j < i; ++j) {
        if (!repeat[keys[j].position] && SameEvent(keys[i], keys[j])) {
          repeat[keys[i].position] = 1;
          break;
        }
      }
    }
    run = end;
  }
  std::sort(keys.begin(), keys.end(), [](const EventKey& a, const EventKey& b) { return a.position < b.position; });
  std::vector<std::vector<const Event*>> staged(batches.size());
  for (size_t request = 0; request < batches.size(); ++request) staged[request].reserve(batches[request].events.size());
  size_t staged_total = 0;
  for (const EventKey& key : keys) {
    if (repeat[key.position]) continue;
    staged[key.request].push_back(key.event);
    ++staged_total;
  }
  if (staged_total == 0) return inserted;

  // Fast path, the usual case: no event of the group was stored before, so one COPY straight into `events` does it.
  // It runs in a savepoint because a client's retry of a stored batch makes it fail on the unique index
  // (shop_id, event_id, ts); then the savepoint is rolled back and the group takes the slow path.
  bool copied = false;
  try {
    pqxx::subtransaction fast(tx, "collect_fast");
    CopyEvents(fast, "events", batches, staged);
    fast.commit();
    copied = true;
  } catch (const pqxx::unique_violation&) {
    // The subtransaction rolled back to the savepoint on its way out; tx is usable again.
  }
  if (copied) {
    for (size_t request = 0; request < batches.size(); ++request) {
      if (inserted[request] != kShopNotInstalled) inserted[request] = staged[request].size();
    }
  } else {
    // Slow path: stage the same rows, insert what is new, and attribute each new row to the request that staged it.
    // Event ids are client-generated UUIDs; should one id be staged twice (another ts or shop), its copies are told
    // apart only by count.
    tx.exec(kCreateStaging);
    CopyEvents(tx, "pagelift_collect_staging", batches, staged);
    const pqxx::result stored = tx.exec_prepared(insert_staged_.name());
    std::unordered_multimap<std::string_view, size_t> request_of;
    request_of.reserve(staged_total);
    for (size_t request = 0; request < batches.size(); ++request) {
      for (const Event* event : staged[request]) request_of.emplace(event->id, request);
    }
    for (const auto& row : stored) {
      const auto it = request_of.find(row[0].c_str());
      if (it == request_of.end()) continue;
      ++inserted[it->second];
      request_of.erase(it);
    }
  }
  if (const auto exposures = ExposuresJson(batches, staged)) tx.exec_prepared(insert_assignments_.name(), *exposures);
  return inserted;
}

}  // namespace pagelift::collect
