// Incremental aggregation of experiment results (ARCHITECTURE.md, "Aggregate"): events and attributed orders become
// per-visitor metric values, folded into results_aggregates (one row per experiment × variant × segment × metric
// with n, Σx, Σx², Σy, Σy², Σxy; statistics.md, "Sufficient statistics").
//
// Units are visitors first exposed to the experiment (assignments: the first exposure or server-side assignment);
// a metric counts only events and orders at or after that exposure. The worker keeps each visitor's current values
// and the state that produced them (experiment_visitors: flags, the counted orders by key, where the segments came
// from). New events and orders are FOLDED into that state without re-reading the visitor's history: the flags are
// ORs, orders are keyed (a repeated key is counted once), so re-reading a row changes nothing. Events are not
// deduplicated by event id: a second stored copy of an event (the collector refuses only a copy with the same ts) is
// one more row that every rule ignores (flags: any copy qualifies; purchases: one key per order id, else event id,
// the earliest report's amount; segments: the earliest qualifying row, which a later copy cannot move), so the fold
// needs no duplicate check. Whatever the fold cannot decide exactly (a late event that would change the segment
// source, reports of one order with different amounts, an order created before the exposure, a new assignment) falls
// back to recomputing that visitor from all of their data.
// Either way the worker applies the difference of the visitor's contribution (subtract the old, add the new) to the
// sums. Sums are exact (integers in minor units, stored as NUMERIC), so the incremental result equals a
// recomputation from scratch, in any chunking. Copies of an event (the same event_id stored twice) count once.
//
// A recomputation from scratch reads the shop's events as COPY streams ordered by visitor (in large chunks of
// visitors) instead of visitor by visitor, and writes the visitors with COPY.
//
// Pure part (per-visitor values and fold, traffic source, contributions) and database part (RunAggregation) are
// both here because they are one algorithm; the pure part is unit-tested, the whole against PostgreSQL.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
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
  std::int64_t row_id = 0;  // events.id (0: not stored)
};

// An order in orders_cache attributed to the visitor (attribution.visitor or attribution._pagelift_vid).
struct VisitorOrder {
  std::string order_id;
  std::int64_t total_cents = 0;
  std::int64_t created_us = 0;
  std::int64_t ingested_us = 0;  // orders_cache.ingested_at (the fold's scan only)
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

// The event a visitor's segments were read from, with its sort key (ts, event id, type) and session.
struct SegmentSource {
  std::int64_t ts_us = 0;
  std::string event_id;
  std::string type;
  std::string session_id;
  bool exposure = false;  // an exposure event of the experiment (else the first event at or after the exposure)
  friend bool operator==(const SegmentSource&, const SegmentSource&) = default;
};

// A visitor's values and what the fold needs to extend them with new data (experiment_visitors.fold_state).
struct VisitorState {
  VisitorValues values;
  std::int64_t assigned_us = 0;                      // the exposure the values were computed for
  std::map<std::string, std::int64_t> order_cents;   // counted order key → cents, before the revenue cap
  std::optional<SegmentSource> segment_source;
  bool visitor_inferred = false;  // visitor:new/returning inferred from earlier sessions (the script sent neither)
  friend bool operator==(const VisitorState&, const VisitorState&) = default;
};

// A visitor's values from all of their events (any order; copies of an event id are rows like any other, and no
// rule counts an event twice) and attributed orders. Events are ordered by (ts, event id, type).
// Flags: an event (any copy) of the type at or after the exposure. Segments come from the experiment's first
// exposure event (else the first event at or after exposure). Revenue: attributed orders created at or after the
// exposure, plus purchase / checkout_completed events at or after it whose order is not among them (keyed by
// props.order_id, else the event id; the earliest event of a key wins), capped per visitor at `revenue_cap_cents`.
VisitorState ComputeVisitorState(std::string_view experiment_id, const Exposure& exposure,
                                 std::span<const VisitorEvent> events, std::span<const VisitorOrder> orders,
                                 std::optional<std::int64_t> revenue_cap_cents);

// `state` (ComputeVisitorState of the data seen so far) extended with `new_events` and `changed_orders` (new or
// updated orders_cache rows of the visitor; rows already folded may come again): equal to ComputeVisitorState of all
// the data, or nullopt when the fold cannot tell without the history (the caller recomputes the visitor). A new copy
// of a stored event folds like any event (no duplicate check needed).
std::optional<VisitorState> FoldVisitorState(std::string_view experiment_id, const VisitorState& state,
                                             const Exposure& exposure, std::span<const VisitorEvent> new_events,
                                             std::span<const VisitorOrder> changed_orders,
                                             std::optional<std::int64_t> revenue_cap_cents);

// experiment_visitors.fold_state: everything of a VisitorState but its values (stored in their own columns), as a
// compact text (migration 0014; about a third of the JSON object it replaces).
std::string FoldStateToText(const VisitorState& state);
// Reads FoldStateToText's text into `state` (values untouched); false when malformed (`state` then unchanged).
bool FoldStateFromText(std::string_view text, VisitorState& state);

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
// The per-visitor quantities every metric's sums are made of, summed over some visitors: T is Int128 (exact, money
// in cents) for the aggregates, double (currency units) for the results' daily series. MetricSumsOf is the one place
// that says which of them a metric's x and y are.
template <typename T>
struct ValueSums {
  T n{}, viewed{}, added_to_cart{}, began_checkout{}, purchased{};
  T revenue{}, revenue_squares{}, orders{}, orders_squares{}, revenue_orders{};
};

template <typename T>
struct MetricSums {
  T sum{}, sum_squares{}, denominator_sum{}, denominator_sum_squares{}, sum_products{};
};

template <typename T>
MetricSums<T> MetricSumsOf(const ValueSums<T>& v, Metric metric) {
  MetricSums<T> m;
  auto binary = [&m](const T& count) { m.sum = m.sum_squares = count; };  // x ∈ {0, 1}: x² = x
  switch (metric) {
    case Metric::kViewRate:
      binary(v.viewed);
      break;
    case Metric::kAddToCartRate:
      binary(v.added_to_cart);
      break;
    case Metric::kCheckoutRate:
      binary(v.began_checkout);
      break;
    case Metric::kPurchaseRate:
      binary(v.purchased);
      break;
    case Metric::kRevenuePerVisitor:
      m.sum = v.revenue;
      m.sum_squares = v.revenue_squares;
      break;
    case Metric::kAverageOrderValue:
      m.sum = v.revenue;
      m.sum_squares = v.revenue_squares;
      m.denominator_sum = v.orders;
      m.denominator_sum_squares = v.orders_squares;
      m.sum_products = v.revenue_orders;
      break;
  }
  return m;
}

// Per-cell sums of one experiment's changes, keyed by (variant, segment) interned to small integers: a run adds two
// contributions per changed visitor, (1 + segments) × metrics cells each, and string-keyed map operations on every one
// of them were most of the fold's CPU time. Iteration order is the order the (variant, segment) pairs first appeared.
class CellDeltas {
 public:
  using MetricCells = std::array<CellSums, kMetricCount>;  // in kAllMetrics order

  // Adds `cells` to the cells of (variant, segment).
  void Add(std::string_view variant, std::string_view segment, const MetricCells& cells);
  // The sums of one cell; a zero CellSums when nothing was added to it.
  CellSums At(std::string_view variant, std::string_view segment, Metric metric) const;
  // f(variant, segment, metric, sums) for every cell that something was added to (zero sums included).
  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& slot : slots_) {
      for (std::size_t m = 0; m < slot.cells.size(); ++m) {
        f(std::string_view(variants_[slot.variant]), std::string_view(segments_[slot.segment]), kAllMetrics[m],
          slot.cells[m]);
      }
    }
  }
  bool empty() const { return slots_.empty(); }

 private:
  struct Slot {
    std::uint32_t variant = 0;
    std::uint32_t segment = 0;
    MetricCells cells{};
  };
  // Heterogeneous lookup: a string_view finds its id without building a std::string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameIds = std::unordered_map<std::string, std::uint32_t, NameHash, std::equal_to<>>;
  static std::uint32_t Intern(NameIds& ids, std::vector<std::string>& names, std::string_view name);
  std::optional<std::size_t> Find(std::string_view variant, std::string_view segment) const;

  NameIds variant_ids_, segment_ids_;
  std::vector<std::string> variants_, segments_;
  std::unordered_map<std::uint64_t, std::size_t> slot_of_;  // variant id << 32 | segment id → index in slots_
  std::vector<Slot> slots_;
};

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
  // More dirty visitors than this (a first run, a recomputation) are read as streams in visitor order, in chunks of
  // visitors_per_stream_chunk dirty visitors, rather than in batches by index lookups.
  std::int64_t streamed_from_visitors = 50'000;
  int visitors_per_stream_chunk = 50'000;
  // Stopped or completed experiments keep being aggregated this long after they ended (late beacons, late orders).
  std::chrono::hours finished_grace{24 * 7};
};

struct AggregationReport {
  bool skipped = false;          // another worker holds the experiment
  std::int64_t visitors = 0;     // dirty visitors (new data, or a new assignment)
  std::int64_t folded = 0;       // of which updated by folding the new data in (the rest were recomputed)
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

// Takes the visitors (a JSON array of anon ids) out of every experiment of the shop, in the caller's transaction
// (customers/redact): their experiment_visitors rows are deleted and their contributions subtracted from
// results_aggregates, so the results equal a recomputation without them. The caller deletes their events and
// assignments, so no later run brings them back.
void ForgetVisitors(pqxx::work& tx, const std::string& shop_id, const std::string& anon_ids_json);

// Runs every experiment that is running or paused, or stopped/completed within finished_grace: one
// RunShopAggregation per shop.
std::vector<AggregationReport> RunAggregationPass(db::Database& database, const AggregationOptions& options = {});

}  // namespace pagelift::experiments
