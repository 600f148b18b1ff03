#include "collect/event_store.h"

#include <array>
#include <chrono>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace pagelift::collect {

namespace {

constexpr const char* kFindShop = "collect_find_installed_shop";
constexpr const char* kInsertEventsStatement = "collect_insert_events";
constexpr const char* kInsertAssignmentsStatement = "collect_insert_assignments";
constexpr const char* kInstalledShops = "collect_installed_shops";

// The staging table lives per connection (TEMP) and empties itself at commit, so group commits on different pooled
// connections never see each other's rows. Creating it "IF NOT EXISTS" costs one catalog lookup per transaction;
// the NOTICE it raises when the table exists is silenced for this transaction only.
constexpr const char* kCreateStaging = R"sql(
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE IF NOT EXISTS pagelift_collect_staging (
  shop_id         UUID NOT NULL,
  event_id        UUID NOT NULL,
  event_type      TEXT NOT NULL,
  ts_us           BIGINT NOT NULL,
  anon_id         TEXT NOT NULL,
  session_id      TEXT NOT NULL,
  product_id      TEXT,
  experiment_id   TEXT,
  experiment_uuid UUID,
  variant         TEXT,
  props           JSONB NOT NULL
) ON COMMIT DELETE ROWS
)sql";

constexpr std::array<const char*, 11> kStagingColumns = {
    "shop_id",    "event_id",      "event_type",      "ts_us",   "anon_id", "session_id",
    "product_id", "experiment_id", "experiment_uuid", "variant", "props"};

// ts travels as integer microseconds since the epoch so that no text round trip can change it: the unique key
// (shop_id, event_id, ts) recognises a redelivery only if ts is bit-for-bit the same.
// The staged rows are already unique (Insert removes repeats inside the group in C++), so this is a plain scan with
// no sort; ON CONFLICT skips what earlier groups stored. RETURNING names the new rows, which Insert maps back to their
// requests in C++ only when some were skipped.
constexpr const char* kInsertEvents = R"sql(
INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts, props, product_id, experiment_id, variant)
SELECT shop_id, event_id, anon_id, session_id, event_type, timestamptz 'epoch' + ts_us * interval '1 microsecond',
       props, product_id, experiment_id, variant
  FROM pagelift_collect_staging
ON CONFLICT (shop_id, event_id, ts) DO NOTHING
RETURNING event_id::text
)sql";

// The join with experiments keeps only exposures of an experiment that exists for that shop (the foreign key would
// otherwise fail the whole group); the event itself is stored either way. The earliest exposure wins.
constexpr const char* kInsertAssignments = R"sql(
INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at)
SELECT DISTINCT ON (s.shop_id, s.experiment_uuid, s.anon_id)
       s.shop_id, s.experiment_uuid, s.anon_id, s.session_id, s.variant,
       timestamptz 'epoch' + s.ts_us * interval '1 microsecond'
  FROM pagelift_collect_staging s
  JOIN experiments e ON e.shop_id = s.shop_id AND e.id = s.experiment_uuid
 WHERE s.event_type = 'exposure' AND s.variant IS NOT NULL AND s.variant <> ''
 ORDER BY s.shop_id, s.experiment_uuid, s.anon_id, s.ts_us
ON CONFLICT (shop_id, experiment_id, anon_id) DO NOTHING
)sql";

// pqxx 6 has no string_traits for std::optional; a null const char* is written as \N by stream_to.
const char* OrNull(const std::optional<std::string>& value) { return value ? value->c_str() : nullptr; }

// The group-wide identity of an event: the unique key of `events`. Views into the batches (alive during Insert).
struct EventKey {
  const std::string* shop;
  const std::string* id;
  long long ts_us;
  friend bool operator==(const EventKey& a, const EventKey& b) {
    return a.ts_us == b.ts_us && *a.id == *b.id && *a.shop == *b.shop;
  }
};

struct EventKeyHash {
  size_t operator()(const EventKey& key) const noexcept {
    const size_t h = std::hash<std::string>{}(*key.id);
    return h ^ (std::hash<long long>{}(key.ts_us) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

}  // namespace

EventStore::EventStore(db::Database& database) {
  database.Prepare(kFindShop, "SELECT id FROM shops WHERE public_id = $1 AND uninstalled_at IS NULL");
  // Prepared lazily by pqxx, i.e. on first use, when Insert has created the staging table on that connection.
  database.Prepare(kInsertEventsStatement, kInsertEvents);
  database.Prepare(kInsertAssignmentsStatement, kInsertAssignments);
  database.Prepare(kInstalledShops, "SELECT id::text FROM shops WHERE id = ANY($1::uuid[]) AND uninstalled_at IS NULL");
}

std::optional<ShopId> EventStore::FindInstalledShop(pqxx::work& tx, std::string_view public_id) const {
  const pqxx::result rows = tx.exec_prepared(kFindShop, std::string(public_id));
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
    for (const auto& row : tx.exec_prepared(kInstalledShops, shop_array)) {
      const auto it = listed.find(row[0].c_str());
      if (it != listed.end()) installed.insert(*it);
    }
  }
  // Repeats inside the group are removed here: the first copy stays (a repeat is charged to the later request), so
  // SQL needs no DISTINCT sort. Repeats of events stored by earlier groups are left to ON CONFLICT.
  size_t total = 0;
  for (const ShopBatch& batch : batches) total += batch.events.size();
  std::unordered_set<EventKey, EventKeyHash> seen;
  seen.reserve(total);
  std::vector<std::vector<const Event*>> staged(batches.size());
  size_t staged_total = 0;
  bool any_exposure = false;
  for (size_t request = 0; request < batches.size(); ++request) {
    const ShopBatch& batch = batches[request];
    if (!installed.contains(batch.shop->value)) {
      inserted[request] = kShopNotInstalled;
      continue;
    }
    staged[request].reserve(batch.events.size());
    for (const Event& event : batch.events) {
      if (!seen.insert(EventKey{&batch.shop->value, &event.id, event.ts.time_since_epoch().count()}).second) continue;
      staged[request].push_back(&event);
      any_exposure = any_exposure || event.type == EventType::kExposure;
    }
    staged_total += staged[request].size();
  }

  tx.exec(kCreateStaging);
  {
    pqxx::stream_to staging(tx, "pagelift_collect_staging", kStagingColumns);
    for (size_t request = 0; request < batches.size(); ++request) {
      const char* shop = batches[request].shop->value.c_str();
      for (const Event* event : staged[request]) {
        const bool experiment_is_uuid =
            event->type == EventType::kExposure && event->experiment && IsUuid(*event->experiment);
        staging << std::make_tuple(shop, event->id.c_str(), EventTypeName(event->type).data(),
                                   static_cast<long long>(event->ts.time_since_epoch().count()),
                                   event->anon_id.c_str(), event->session_id.c_str(), OrNull(event->product_id),
                                   OrNull(event->experiment),
                                   experiment_is_uuid ? event->experiment->c_str() : nullptr, OrNull(event->variant),
                                   event->props_json.c_str());
      }
    }
    staging.complete();
  }
  const pqxx::result rows = tx.exec_prepared(kInsertEventsStatement);
  if (rows.size() == staged_total) {
    // The usual case: nothing was stored before, every staged event is new.
    for (size_t request = 0; request < batches.size(); ++request) {
      if (inserted[request] != kShopNotInstalled) inserted[request] = staged[request].size();
    }
  } else {
    // Some were redeliveries: attribute each new row to the request that staged it. Event ids are client-generated
    // UUIDs; should one id be staged twice (another ts or shop), its copies are told apart only by count.
    std::unordered_multimap<std::string_view, size_t> request_of;
    request_of.reserve(staged_total);
    for (size_t request = 0; request < batches.size(); ++request) {
      for (const Event* event : staged[request]) request_of.emplace(event->id, request);
    }
    for (const auto& row : rows) {
      const auto it = request_of.find(row[0].c_str());
      if (it == request_of.end()) continue;
      ++inserted[it->second];
      request_of.erase(it);
    }
  }
  if (any_exposure) tx.exec_prepared(kInsertAssignmentsStatement);
  return inserted;
}

}  // namespace pagelift::collect
