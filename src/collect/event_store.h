// The SQL of the collector, in one place: resolving a shop's public id, and storing validated events (plus the
// assignments that exposures imply) with COPY. Callers own the transaction, so one commit can carry the batches of many
// requests (collect::Writer's group commit) and a 2xx is sent only after it.
#pragma once

#include <cstddef>
#include <optional>
#include <pqxx/pqxx>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collect/event.h"
#include "db/database.h"
#include "db/statement.h"

namespace pagelift::collect {

// A shop's primary key (shops.id, a UUID as text), as opposed to its public id sent by the storefront.
struct ShopId {
  std::string value;
  friend bool operator==(const ShopId&, const ShopId&) = default;
};

// One request's validated events for one shop (a view: the caller owns both).
struct ShopBatch {
  const ShopId* shop = nullptr;
  std::span<const Event> events;
  ShopBatch() = default;
  ShopBatch(const ShopId& s, std::span<const Event> e) : shop(&s), events(e) {}
};

// Insert's answer for a batch whose shop is not (or no longer) installed: nothing of it was stored.
inline constexpr size_t kShopNotInstalled = static_cast<size_t>(-1);

class EventStore {
 public:
  // Registers the prepared statements with the pool.
  explicit EventStore(db::Database& database);

  // The installed shop with this public id; nullopt when there is none or it was uninstalled.
  std::optional<ShopId> FindInstalledShop(pqxx::work& tx, std::string_view public_id) const;

  // Stores every batch's events in `events`, skipping repeats inside the batches (removed in C++, the first copy
  // winning) and events that are already stored (same shop, id and ts). The usual group takes one COPY straight into
  // `events` in a savepoint; only a group holding an already stored event (a client's retry) is rolled back to it and
  // goes through a per-connection staging table and ON CONFLICT DO NOTHING (docs/decisions.md). It also records an
  // assignment for each exposure that names an experiment of its shop (by UUID) and a variant, the earliest exposure
  // of the group winning (an assignment stored before stays).
  // Batches of a shop that is not installed at commit time (checked in the same transaction, so an uninstall is seen
  // at once, whatever the collector's shop cache says) are skipped.
  // Returns, per batch, how many of its events were newly inserted (the rest are duplicates), or kShopNotInstalled.
  std::vector<size_t> Insert(pqxx::work& tx, std::span<const ShopBatch> batches) const;

 private:
  db::Statement find_shop_;
  db::Statement installed_shops_;
  db::Statement insert_staged_;  // prepared by pqxx on first use, once Insert has made the staging table there
  db::Statement insert_assignments_;
};

}  // namespace pagelift::collect
