// Incremental aggregation of experiment results (ARCHITECTURE.md, "Aggregate"): events and attributed orders become
// per-visitor metric values, folded into results_aggregates (one row per experiment × variant × segment × metric
// with n, Σx, Σx², Σy, Σy², Σxy; statistics.md, "Sufficient statistics").
//
// Units are visitors first exposed to the experiment (assignments: the first exposure or server-side assignment);
// a metric counts only events and orders at or after that exposure. A visitor's values are a function of all of
// their data, and a late event can change them, so the worker keeps each visitor's current values
// (experiment_visitors) and, when anything about a visitor arrives, recomputes that visitor from scratch and applies
// the difference of their contribution (subtract the old, add the new) to the sums. Sums are exact (integers in
// minor units, stored as NUMERIC), so the incremental result equals a recomputation from scratch, in any chunking.
// Duplicates (the same event_id stored twice with different timestamps) are counted once.
//
// Pure part (per-visitor values, traffic source, contributions) and database part (RunAggregation) are both here
// because they are one algorithm; the pure part is unit-tested, the whole against PostgreSQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "db/database.h"
#include "experiments/definition.h"

namespace pagelift::experiments {

// What the aggregation needs of one stored event.
struct VisitorEvent {
  std::string event_id;
  std::string type;  // collect's wire name (page_view, product_view, add_to_cart, begin_checkout, ...)
  std::int64_t ts_us = 0;
  std::string session_id;
  std::string experiment_id;  // "" when the event names none
  // From props (empty when absent): segment inputs on the exposure event, order data on purchase events.
  std::string device;
  std::string visitor;   // "new" / "returning" (or "true"/"false" from props.returning)
  std::string utm_medium;
  std::string utm_source;
  std::string referrer;
  std::string order_id;
  std::optional<std::int64_t> value_cents;  // props.total / value / revenue
};

// An order in orders_cache attributed to the visitor (attribution.visitor or attribution._pagelift_vid).
struct VisitorOrder {
  std::string order_id;
  std::int64_t total_cents = 0;
  std::int64_t created_us = 0;
};

struct Exposure {
  std::string variant;
  std::int64_t assigned_us = 0;
};

// A visitor's current contribution: their arm, segments and per-metric values.
struct VisitorValues {
  std::string variant;
  std::vector<std::string> segments;  // sorted, e.g. {"device:mobile", "source:search", "visitor:new"}
  bool viewed = false;
  bool added_to_cart = false;
  bool began_checkout = false;
  bool purchased = false;
  std::int64_t revenue_cents = 0;
  std::int32_t orders = 0;
  friend bool operator==(const VisitorValues&, const VisitorValues&) = default;
};

// "direct", "search", "social", "email", "paid" or "referral" from the landing's UTM parameters and referrer.
std::string_view ClassifySource(std::string_view utm_medium, std::string_view utm_source, std::string_view referrer);

// A visitor's values from all of their events (any order, duplicates allowed) and attributed orders.
// Segments come from the experiment's first exposure event (else the first event at or after exposure).
// Revenue: attributed orders, plus purchase / checkout_completed events whose order is not among them (keyed by
// props.order_id, else the event id), capped per visitor at `revenue_cap_cents`.
VisitorValues ComputeVisitorValues(std::string_view experiment_id, const Exposure& exposure,
                                   std::span<const VisitorEvent> events, std::span<const VisitorOrder> orders,
                                   std::optional<std::int64_t> revenue_cap_cents);

// 128-bit integers: revenue² in cents² overflows 64 bits (GCC/Clang extension; __extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// Exact sums of one (variant, segment, metric) cell, in minor units for money (cents; squares in cents²).
struct CellSums {
  std::int64_t n = 0;
  Int128 sum = 0;
  Int128 sum_squares = 0;
  Int128 denominator_sum = 0;
  Int128 denominator_sum_squares = 0;
  Int128 sum_products = 0;
  bool IsZero() const;
  CellSums& operator+=(const CellSums& other);
  friend bool operator==(const CellSums&, const CellSums&) = default;
};
using CellKey = std::tuple<std::string, std::string, Metric>;  // variant, segment ("" = all), metric
using CellDeltas = std::map<CellKey, CellSums>;

// Adds (sign +1) or removes (sign -1) a visitor's contribution to every cell they belong to: the overall segment and
// each of their segments, every metric.
void AddContribution(CellDeltas& deltas, const VisitorValues& values, int sign);

// The NUMERIC text of a cell value in its unit: money sums are cents / 100 ("12.34"), money squares cents² / 10⁴.
std::string FormatScaled(Int128 value, int decimals);

struct AggregationOptions {
  // How long a transaction may take between taking an event id and committing: rows are re-read for this long after
  // they could first have been seen, so none is missed (migration 0004, experiment_aggregation).
  std::chrono::seconds lateness{300};
  int visitors_per_batch = 2000;
  // Stopped or completed experiments keep being aggregated this long after they ended (late beacons, late orders).
  std::chrono::hours finished_grace{24 * 7};
};

struct AggregationReport {
  bool skipped = false;          // another worker holds the experiment
  std::int64_t visitors = 0;     // dirty visitors recomputed
  std::int64_t changed = 0;      // of which their values changed
  std::int64_t cells = 0;        // results_aggregates rows touched
};

// One incremental run over some experiments of one shop, in one transaction: the watermark rows locked FOR UPDATE
// SKIP LOCKED (a concurrent worker skips those instead of double-counting), one scan of the shop's new assignments,
// events and orders since the smallest watermark finds every dirty (experiment, visitor) pair, and the visitors are
// recomputed in batches across experiments, so the cost follows the new data, not the history or the number of
// experiments. Returns one report per requested id (skipped: locked elsewhere, or no such experiment).
std::vector<AggregationReport> RunShopAggregation(db::Database& database, const std::string& shop_id,
                                                  const std::vector<std::string>& experiment_ids,
                                                  const AggregationOptions& options = {});

// RunShopAggregation for one experiment.
AggregationReport RunAggregation(db::Database& database, const std::string& shop_id, const std::string& experiment_id,
                                 const AggregationOptions& options = {});

// Deletes the experiments' aggregates, visitor state and watermarks, then runs once: a recomputation from scratch.
std::vector<AggregationReport> RecomputeShopAggregation(db::Database& database, const std::string& shop_id,
                                                        const std::vector<std::string>& experiment_ids,
                                                        const AggregationOptions& options = {});
AggregationReport RecomputeAggregation(db::Database& database, const std::string& shop_id,
                                       const std::string& experiment_id, const AggregationOptions& options = {});

// Runs every experiment that is running or paused, or stopped/completed within finished_grace: one
// RunShopAggregation per shop.
std::vector<AggregationReport> RunAggregationPass(db::Database& database, const AggregationOptions& options = {});

}  // namespace pagelift::experiments
