#include "collect/event_store.h"

#include <array>
#include <chrono>

namespace pagelift::collect {

namespace {

constexpr const char* kFindShop = "collect_find_installed_shop";

// The staging table lives per connection (TEMP) and empties itself at commit, so group commits on different pooled
// connections never see each other's rows. Creating it "IF NOT EXISTS" costs one catalog lookup per transaction;
// the NOTICE it raises when the table exists is silenced for this transaction only.
constexpr const char* kCreateStaging = R"sql(
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE IF NOT EXISTS pagelift_collect_staging (
  seq             BIGINT NOT NULL,
  request         INT NOT NULL,
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

constexpr std::array<const char*, 13> kStagingColumns = {
    "seq",        "request",       "shop_id",         "event_id", "event_type", "ts_us", "anon_id",
    "session_id", "product_id",    "experiment_id",   "experiment_uuid", "variant", "props"};

// ts travels as integer microseconds since the epoch so that no text round trip can change it: the unique key
// (shop_id, event_id, ts) recognises a redelivery only if ts is bit-for-bit the same.
// `firsts` keeps the first copy of each event so that a repeat inside the group is charged to the later request, and
// the join back to it attributes every inserted row to exactly one request.
constexpr const char* kInsertEvents = R"sql(
WITH firsts AS (
  SELECT DISTINCT ON (shop_id, event_id, ts_us)
         request, shop_id, event_id, event_type, ts_us, timestamptz 'epoch' + ts_us * interval '1 microsecond' AS ts,
         anon_id, session_id, product_id, experiment_id, variant, props
    FROM pagelift_collect_staging
   ORDER BY shop_id, event_id, ts_us, seq
), inserted AS (
  INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type, ts, props, product_id, experiment_id, variant)
  SELECT shop_id, event_id, anon_id, session_id, event_type, ts, props, product_id, experiment_id, variant FROM firsts
  ON CONFLICT (shop_id, event_id, ts) DO NOTHING
  RETURNING shop_id, event_id, ts
)
SELECT f.request, count(*)
  FROM inserted i JOIN firsts f ON f.shop_id = i.shop_id AND f.event_id = i.event_id AND f.ts = i.ts
 GROUP BY f.request
)sql";

// The join with experiments keeps only exposures of an experiment that exists for that shop (the foreign key would
// otherwise fail the whole group); the event itself is stored either way.
constexpr const char* kInsertAssignments = R"sql(
INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant, assigned_at)
SELECT DISTINCT ON (s.shop_id, s.experiment_uuid, s.anon_id)
       s.shop_id, s.experiment_uuid, s.anon_id, s.session_id, s.variant,
       timestamptz 'epoch' + s.ts_us * interval '1 microsecond'
  FROM pagelift_collect_staging s
  JOIN experiments e ON e.shop_id = s.shop_id AND e.id = s.experiment_uuid
 WHERE s.event_type = 'exposure' AND s.variant IS NOT NULL AND s.variant <> ''
 ORDER BY s.shop_id, s.experiment_uuid, s.anon_id, s.ts_us, s.seq
ON CONFLICT (shop_id, experiment_id, anon_id) DO NOTHING
)sql";

// pqxx 6 has no string_traits for std::optional; a null const char* is written as \N by stream_to.
const char* OrNull(const std::optional<std::string>& value) { return value ? value->c_str() : nullptr; }

}  // namespace

EventStore::EventStore(db::Database& database) {
  database.Prepare(kFindShop, "SELECT id FROM shops WHERE public_id = $1 AND uninstalled_at IS NULL");
}

std::optional<ShopId> EventStore::FindInstalledShop(pqxx::work& tx, std::string_view public_id) const {
  const pqxx::result rows = tx.exec_prepared(kFindShop, std::string(public_id));
  if (rows.empty()) return std::nullopt;
  return ShopId{rows[0][0].as<std::string>()};
}

std::vector<size_t> EventStore::Insert(pqxx::work& tx, std::span<const ShopBatch> batches) const {
  std::vector<size_t> inserted(batches.size(), 0);
  tx.exec(kCreateStaging);
  bool any_exposure = false;
  {
    pqxx::stream_to staging(tx, "pagelift_collect_staging", kStagingColumns);
    long long seq = 0;
    for (size_t request = 0; request < batches.size(); ++request) {
      const ShopBatch& batch = batches[request];
      for (const Event& event : batch.events) {
        const bool exposure = event.type == EventType::kExposure;
        any_exposure = any_exposure || exposure;
        const bool experiment_is_uuid = exposure && event.experiment && IsUuid(*event.experiment);
        const long long ts_us = event.ts.time_since_epoch().count();
        staging << std::make_tuple(seq++, static_cast<int>(request), batch.shop->value.c_str(), event.id.c_str(),
                                   std::string(EventTypeName(event.type)), ts_us, event.anon_id.c_str(),
                                   event.session_id.c_str(), OrNull(event.product_id), OrNull(event.experiment),
                                   experiment_is_uuid ? event.experiment->c_str() : nullptr, OrNull(event.variant),
                                   event.props_json.c_str());
      }
    }
    staging.complete();
  }
  for (const auto& row : tx.exec(kInsertEvents)) {
    inserted.at(row[0].as<size_t>()) = row[1].as<size_t>();
  }
  if (any_exposure) tx.exec(kInsertAssignments);
  return inserted;
}

}  // namespace pagelift::collect
