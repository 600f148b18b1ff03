// Incremental, exact aggregation of experiment results; see aggregation.h.
#include "experiments/aggregation.h"

#include <boost/json.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "core/log.h"
#include "experiments/repository.h"

namespace pagelift::experiments {

namespace {

// ---- traffic sources -------------------------------------------------------------------------------------------

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The host of a URL ("https://www.google.com/search?q" → "www.google.com"), lower-case; "" when there is none.
std::string HostOf(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  const auto end = url.find_first_of("/?#:");
  if (end != std::string_view::npos) url = url.substr(0, end);
  const auto at = url.find('@');
  if (at != std::string_view::npos) url.remove_prefix(at + 1);
  return Lower(url);
}

bool HostIs(std::string_view host, std::string_view domain) {
  return host == domain ||
         (host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.');
}

// A host whose labels include one of these names (google.com, google.co.uk, www.bing.com ...).
bool HostHasLabel(std::string_view host, std::initializer_list<std::string_view> labels) {
  std::size_t start = 0;
  while (start <= host.size()) {
    const auto dot = host.find('.', start);
    const std::string_view label = host.substr(start, dot == std::string_view::npos ? host.npos : dot - start);
    for (std::string_view l : labels) {
      if (label == l) return true;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return false;
}

bool IsSearchHost(std::string_view host) {
  return HostHasLabel(host, {"google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "qwant"}) ||
         HostIs(host, "search.brave.com");
}

bool IsSocialHost(std::string_view host) {
  for (std::string_view domain : {"facebook.com", "fb.com", "fb.me", "instagram.com", "t.co", "twitter.com", "x.com",
                                  "pinterest.com", "pin.it", "tiktok.com", "linkedin.com", "lnkd.in", "reddit.com",
                                  "youtube.com", "youtu.be", "snapchat.com", "threads.net", "tumblr.com"}) {
    if (HostIs(host, domain)) return true;
  }
  return HostHasLabel(host, {"pinterest"});
}

bool IsSearchName(std::string_view source) {
  return source == "google" || source == "bing" || source == "yahoo" || source == "duckduckgo" ||
         source == "baidu" || source == "yandex" || source == "ecosia";
}

bool IsSocialName(std::string_view source) {
  return source == "facebook" || source == "fb" || source == "instagram" || source == "ig" || source == "twitter" ||
         source == "x" || source == "pinterest" || source == "tiktok" || source == "linkedin" || source == "reddit" ||
         source == "youtube" || source == "snapchat" || source == "threads";
}

// ---- money -----------------------------------------------------------------------------------------------------

// "19.99" → 1999 exactly; more than two decimals round half away from zero; exponent forms go through double.
std::optional<std::int64_t> ParseCents(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  std::string_view digits = text;
  if (digits.front() == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  const auto dot = digits.find('.');
  const std::string_view whole = digits.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : digits.substr(dot + 1);
  auto all_digits = [](std::string_view s) { return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (!whole.empty() && whole.size() <= 15 && all_digits(whole) && all_digits(fraction)) {
    std::int64_t cents = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), cents);
    cents *= 100;
    if (!fraction.empty()) cents += (fraction[0] - '0') * 10;
    if (fraction.size() > 1) cents += fraction[1] - '0';
    if (fraction.size() > 2 && fraction[2] >= '5') cents += 1;
    return negative ? -cents : cents;
  }
  char* end = nullptr;
  const std::string copy(text);
  const double value = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || *end != '\0' || !std::isfinite(value) || std::abs(value) > 1e13) return std::nullopt;
  return std::llround(value * 100);
}

// ---- contributions ---------------------------------------------------------------------------------------------

// Decimal places of a metric's sums: money in cents, squares in cents².
struct Scales {
  int sum = 0;
  int sum_squares = 0;
  int products = 0;
};

Scales ScalesOf(Metric metric) {
  switch (metric) {
    case Metric::kRevenuePerVisitor:
      return {2, 4, 0};
    case Metric::kAverageOrderValue:
      return {2, 4, 2};
    default:
      return {0, 0, 0};
  }
}

CellSums CellOf(const VisitorValues& v, Metric metric) {
  const Int128 revenue = v.revenue_cents;
  ValueSums<Int128> one;
  one.n = 1;
  one.viewed = v.viewed ? 1 : 0;
  one.added_to_cart = v.added_to_cart ? 1 : 0;
  one.began_checkout = v.began_checkout ? 1 : 0;
  one.purchased = v.purchased ? 1 : 0;
  one.revenue = revenue;
  one.revenue_squares = revenue * revenue;
  one.orders = v.orders;
  one.orders_squares = static_cast<Int128>(v.orders) * v.orders;
  one.revenue_orders = revenue * v.orders;
  const MetricSums<Int128> m = MetricSumsOf(one, metric);
  CellSums cell;
  cell.n = 1;
  cell.sum = m.sum;
  cell.sum_squares = m.sum_squares;
  cell.denominator_sum = m.denominator_sum;
  cell.denominator_sum_squares = m.denominator_sum_squares;
  cell.sum_products = m.sum_products;
  return cell;
}

CellSums Negated(CellSums c) {
  c.n = -c.n;
  c.sum = -c.sum;
  c.sum_squares = -c.sum_squares;
  c.denominator_sum = -c.denominator_sum;
  c.denominator_sum_squares = -c.denominator_sum_squares;
  c.sum_products = -c.sum_products;
  return c;
}

// ---- SQL -------------------------------------------------------------------------------------------------------
// One run covers some experiments of one shop in one transaction: one scan of what arrived since the watermarks
// finds the dirty (experiment, visitor) pairs of all of them at once, and the visitors are then processed in batches
// across experiments (a visitor's events are read once, whatever the number of experiments they are in), with
// set-based statements per batch. The per-experiment watermarks stay; the scan starts at the smallest of them.

constexpr const char* kEnsureWatermarks =
    "INSERT INTO experiment_aggregation (shop_id, experiment_id) "
    "SELECT shop_id, id FROM experiments WHERE shop_id = $1 AND id = ANY($2::uuid[]) ON CONFLICT DO NOTHING";

constexpr const char* kLockWatermarks = R"sql(
SELECT experiment_id::text, event_id_safe, assignment_seq_safe, orders_since::text,
       CASE WHEN isfinite(orders_since) THEN (extract(epoch FROM orders_since) * 1000000)::bigint
            ELSE -9223372036854775807 END
  FROM experiment_aggregation WHERE shop_id = $1 AND experiment_id = ANY($2::uuid[])
 ORDER BY experiment_id
   FOR UPDATE SKIP LOCKED
)sql";

// Read before the scans: every id at or below these was allocated before this run looked.
constexpr const char* kSequenceHighs = R"sql(
SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0),
       coalesce(pg_sequence_last_value(pg_get_serial_sequence('assignments', 'seq')::regclass), 0)
)sql";

// Every transaction of the aggregation starts here. No JIT in any of them: their plans are index lookups and scans
// with simple expressions over row counts the planner overestimates (a temporary table without statistics, a join
// clause it cannot estimate), which crosses jit_above_cost, and compiling costs more than it could save: 230 ms of
// a refresh's dirty-set statement, which ran 6 ms of index lookups (EXPLAIN ANALYZE, 10M-event bench cluster), 75 ms
// of the fold's member lookup, and again on every chunk's queries of a recomputation.
constexpr const char* kCreateTemp = R"sql(
SET LOCAL client_min_messages = warning;
SET LOCAL jit = off;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_marks (
  experiment_id UUID PRIMARY KEY, event_safe BIGINT NOT NULL, assignment_safe BIGINT NOT NULL,
  orders_since TIMESTAMPTZ NOT NULL) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_dirty2 (
  anon_id TEXT NOT NULL, experiment_id UUID NOT NULL, PRIMARY KEY (anon_id, experiment_id)) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_visitors3 (
  experiment_id UUID NOT NULL, anon_id TEXT NOT NULL, remove BOOLEAN NOT NULL, variant TEXT NOT NULL,
  segments TEXT NOT NULL, viewed BOOLEAN NOT NULL, added_to_cart BOOLEAN NOT NULL, began_checkout BOOLEAN NOT NULL,
  purchased BOOLEAN NOT NULL, revenue_cents BIGINT NOT NULL, orders INT NOT NULL, fold_state TEXT NOT NULL)
  ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_touched2 (anon_id TEXT NOT NULL) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_cells2 (
  experiment_id UUID NOT NULL, variant TEXT NOT NULL, segment TEXT NOT NULL, metric TEXT NOT NULL, n BIGINT NOT NULL,
  sum NUMERIC NOT NULL, sum_squares NUMERIC NOT NULL, denominator_sum NUMERIC NOT NULL,
  denominator_sum_squares NUMERIC NOT NULL, sum_products NUMERIC NOT NULL) ON COMMIT DELETE ROWS;
)sql";

// The visitor of an attributed order: `visitor_id` is what the orders webhooks and the bulk sync store
// (shopify/attribution.h); `visitor` and `_pagelift_vid` are older spellings still accepted. Migration 0007 indexes
// this exact expression.
constexpr const char* kVisitorOf =
    "coalesce(o.attribution->>'visitor_id', o.attribution->>'visitor', o.attribution->>'_pagelift_vid')";

// New assignments of every locked experiment (its own seq watermark), two ways. An experiment's first run has all of
// its assignments dirty: read per experiment from the assignments' unique index, and inserted in visitor order, so
// that pagelift_agg_dirty2's primary key grows at its right edge instead of at random places in a temporary index far
// larger than temp_buffers (10M-event bench cluster, 1.25M assignments: 12-14 s unsorted with ON CONFLICT, 3.1-3.6 s
// so). It is the run's first insert into the (empty) table, and assignments are unique per experiment and visitor:
// no conflict to check. Later runs read only what is past the watermark, by index lookups per experiment; as a join,
// the planner (no statistics on the temporary marks, and a join clause it cannot estimate) hashed the marks and
// scanned all of the shop's assignments for none (0.2-0.4 s a refresh on the bench cluster, EXPLAIN ANALYZE).
constexpr const char* kDirtyFromAllAssignments = R"sql(
INSERT INTO pagelift_agg_dirty2 (anon_id, experiment_id)
SELECT a.anon_id, a.experiment_id
  FROM pagelift_agg_marks m
  JOIN assignments a ON a.shop_id = $1 AND a.experiment_id = m.experiment_id
 WHERE m.assignment_safe = 0
 ORDER BY a.anon_id
)sql";
constexpr const char* kDirtyFromNewAssignments = R"sql(
INSERT INTO pagelift_agg_dirty2 (anon_id, experiment_id)
SELECT a.anon_id, a.experiment_id
  FROM pagelift_agg_marks m
 CROSS JOIN LATERAL (SELECT a.anon_id, a.experiment_id FROM assignments a
                      WHERE a.shop_id = $1 AND a.experiment_id = m.experiment_id AND a.seq > m.assignment_safe
                     OFFSET 0) a
 WHERE m.assignment_safe > 0
ON CONFLICT DO NOTHING
)sql";

// The columns of an event the aggregation reads (VisitorEvent; EventOf parses them in this order).
constexpr const char* kEventColumns = R"sql(
e.anon_id, e.id, e.event_id::text, e.event_type, (extract(epoch FROM e.ts) * 1000000)::bigint, e.session_id,
coalesce(e.experiment_id, ''), coalesce(lower(e.props->>'device'), ''),
coalesce(e.props->>'visitor', e.props->>'returning', ''), coalesce(e.props->>'utm_medium', ''),
coalesce(e.props->>'utm_source', ''), coalesce(e.props->>'referrer', ''), coalesce(e.props->>'order_id', ''),
coalesce(e.props->>'total', e.props->>'value', e.props->>'revenue', '')
)sql";

// The fold's scan: the shop's events since the smallest watermark ($2). No duplicate check (a copy of a stored event
// cannot change a visitor's values: ComputeVisitorState), and no membership check per event either: the member
// lookup probes once per visitor, not once per event, and drops the visitors of no locked experiment.
std::string NewEventsSql(const std::string& quoted_shop_id, std::int64_t scan_from) {
  return fmt::format("SELECT {} FROM events e WHERE e.shop_id = {} AND e.id > {}", kEventColumns, quoted_shop_id,
                     scan_from);
}

// Attributed orders written (inserted or updated: ingested_at) since the smallest watermark ($2).
std::string ChangedOrdersSql() {
  return fmt::format(R"sql(
SELECT o.anon_id, o.order_id, (o.total * 100)::bigint, (extract(epoch FROM o.created_at) * 1000000)::bigint,
       (extract(epoch FROM o.ingested_at) * 1000000)::bigint
  FROM (SELECT {} AS anon_id, o.* FROM orders_cache o
         WHERE o.shop_id = $1 AND o.ingested_at > $2::timestamptz AND o.attribution IS NOT NULL) o
 WHERE o.anon_id IS NOT NULL
   AND EXISTS (SELECT 1 FROM assignments a JOIN pagelift_agg_marks m ON m.experiment_id = a.experiment_id
                WHERE a.shop_id = $1 AND a.anon_id = o.anon_id)
)sql",
                     kVisitorOf);
}

// The touched visitors' stored states in the locked experiments, and whether a new assignment made them dirty already
// (they are recomputed then). One probe per visitor (migration 0018), not through assignments: a visitor counted in
// an experiment has a stored row, and one without a row is either dirty (a new assignment: kDirtyFromNewAssignments)
// or not a unit of it (an exposure naming none of its variants), and new data changes neither. Assignments are never
// updated (a new one is a new row with a new seq), so the stored state's variant and exposure time are the
// assignment's.
std::string TouchedMembersSql(const std::string& quoted_shop_id) {
  return fmt::format(R"sql(
SELECT t.anon_id, v.experiment_id,
       EXISTS (SELECT 1 FROM pagelift_agg_dirty2 d WHERE d.anon_id = v.anon_id AND d.experiment_id = v.experiment_id),
       v.variant, array_to_string(v.segments, ','), v.viewed, v.added_to_cart, v.began_checkout, v.purchased,
       v.revenue_cents, v.orders, v.fold_state
  FROM pagelift_agg_touched2 t
  JOIN experiment_visitors v ON v.shop_id = {} AND v.anon_id = t.anon_id
  JOIN pagelift_agg_marks m ON m.experiment_id = v.experiment_id
)sql",
                     quoted_shop_id);
}

constexpr const char* kNextBatch =
    "SELECT max(anon_id), count(*) FROM (SELECT anon_id FROM pagelift_agg_dirty2 WHERE anon_id > $1 "
    "ORDER BY anon_id LIMIT $2) b";

constexpr const char* kBatchAssignments = R"sql(
SELECT a.anon_id, a.experiment_id::text, a.variant, (extract(epoch FROM a.assigned_at) * 1000000)::bigint
  FROM pagelift_agg_dirty2 d
  JOIN assignments a ON a.shop_id = $1 AND a.experiment_id = d.experiment_id AND a.anon_id = d.anon_id
 WHERE d.anon_id > $2 AND d.anon_id <= $3
   AND a.anon_id > $2 AND a.anon_id <= $3  -- the range on the (shop_id, anon_id) index too, not only through d
)sql";

std::string BatchEventsSql() {
  return fmt::format(
      "SELECT {} FROM (SELECT DISTINCT anon_id FROM pagelift_agg_dirty2 WHERE anon_id > $2 AND anon_id <= $3) d "
      "JOIN events e ON e.shop_id = $1 AND e.anon_id = d.anon_id",
      kEventColumns);
}

// The batch's orders and stored rows are index lookups per dirty visitor, whatever the statistics say: a LATERAL
// subquery with OFFSET 0 is not flattened into a join the planner may turn around. During a first run,
// experiment_visitors grows in the same transaction while its statistics still say "a few rows", and the planner
// scanned all of the shop's rows for every chunk and probed the batch for each (10M events: quadratic, stalled); a
// hash join would read all of the shop's orders for every batch.
std::string BatchOrdersSql() {
  return fmt::format(R"sql(
SELECT d.anon_id, o.order_id, (o.total * 100)::bigint, (extract(epoch FROM o.created_at) * 1000000)::bigint
  FROM (SELECT DISTINCT anon_id FROM pagelift_agg_dirty2 WHERE anon_id > $2 AND anon_id <= $3) d
 CROSS JOIN LATERAL (SELECT o.order_id, o.total, o.created_at FROM orders_cache o
                      WHERE o.shop_id = $1 AND {} = d.anon_id AND o.attribution IS NOT NULL OFFSET 0) o
)sql",
                     kVisitorOf);
}

constexpr const char* kBatchState = R"sql(
SELECT d.anon_id, d.experiment_id::text, v.variant, array_to_string(v.segments, ','), v.viewed, v.added_to_cart,
       v.began_checkout, v.purchased, v.revenue_cents, v.orders, v.fold_state
  FROM pagelift_agg_dirty2 d
 CROSS JOIN LATERAL (SELECT v.* FROM experiment_visitors v
                      WHERE v.shop_id = $1 AND v.experiment_id = d.experiment_id AND v.anon_id = d.anon_id OFFSET 0) v
 WHERE d.anon_id > $2 AND d.anon_id <= $3
)sql";

constexpr const char* kRemoveVisitors = R"sql(
DELETE FROM experiment_visitors v USING pagelift_agg_visitors3 s
 WHERE v.shop_id = $1 AND v.experiment_id = s.experiment_id AND v.anon_id = s.anon_id AND s.remove
)sql";

constexpr const char* kUpsertVisitors = R"sql(
INSERT INTO experiment_visitors (shop_id, experiment_id, anon_id, variant, segments, viewed, added_to_cart,
                                 began_checkout, purchased, revenue_cents, orders, fold_state, updated_at)
SELECT $1, experiment_id, anon_id, variant, string_to_array(segments, ','), viewed, added_to_cart,
       began_checkout, purchased, revenue_cents, orders, fold_state, now()
  FROM pagelift_agg_visitors3 WHERE NOT remove
ON CONFLICT (shop_id, experiment_id, anon_id) DO UPDATE SET
  variant = EXCLUDED.variant, segments = EXCLUDED.segments, viewed = EXCLUDED.viewed,
  added_to_cart = EXCLUDED.added_to_cart, began_checkout = EXCLUDED.began_checkout, purchased = EXCLUDED.purchased,
  revenue_cents = EXCLUDED.revenue_cents, orders = EXCLUDED.orders, fold_state = EXCLUDED.fold_state,
  updated_at = now()
)sql";

// Folds the deltas in, then drops cells that are back to nothing (a recomputation from scratch would not have them).
// An update, then an insert of the cells that do not exist yet: not INSERT ... ON CONFLICT DO UPDATE, whose proposed
// row is checked against results_aggregates' constraints before the conflict is found, so a negative delta (a
// visitor leaving a segment) would fail n >= 0 although the sum stays positive.
constexpr const char* kUpdateCells = R"sql(
UPDATE results_aggregates r SET
  n = r.n + c.n, sum = r.sum + c.sum, sum_squares = r.sum_squares + c.sum_squares,
  denominator_sum = r.denominator_sum + c.denominator_sum,
  denominator_sum_squares = r.denominator_sum_squares + c.denominator_sum_squares,
  sum_products = r.sum_products + c.sum_products, updated_at = now()
  FROM pagelift_agg_cells2 c
 WHERE r.shop_id = $1 AND r.experiment_id = c.experiment_id AND r.variant = c.variant AND r.segment = c.segment
   AND r.metric = c.metric
)sql";

constexpr const char* kInsertCells = R"sql(
INSERT INTO results_aggregates (shop_id, experiment_id, variant, segment, metric, n, sum, sum_squares,
                                denominator_sum, denominator_sum_squares, sum_products, updated_at)
SELECT $1, experiment_id, variant, segment, metric, n, sum, sum_squares, denominator_sum, denominator_sum_squares,
       sum_products, now()
  FROM pagelift_agg_cells2 c
 WHERE NOT EXISTS (SELECT 1 FROM results_aggregates r
                    WHERE r.shop_id = $1 AND r.experiment_id = c.experiment_id AND r.variant = c.variant
                      AND r.segment = c.segment AND r.metric = c.metric)
)sql";

constexpr const char* kDropEmptyCells = R"sql(
DELETE FROM results_aggregates
 WHERE shop_id = $1 AND experiment_id = ANY($2::uuid[]) AND n = 0 AND sum = 0 AND sum_squares = 0
   AND denominator_sum = 0 AND denominator_sum_squares = 0 AND sum_products = 0 AND pre_sum = 0
   AND pre_sum_squares = 0 AND pre_sum_products = 0
)sql";

// The safe marks move to the high marks of at least one lateness window ago; without a lateness window (tests,
// benchmarks) the high marks read at the start are safe at once.
constexpr const char* kAdvanceWatermarks = R"sql(
UPDATE experiment_aggregation SET
  event_id_safe = CASE WHEN $5 = 0 THEN $3
                       WHEN high_at <= now() - $5 * interval '1 second' THEN event_id_high ELSE event_id_safe END,
  assignment_seq_safe = CASE WHEN $5 = 0 THEN $4
                             WHEN high_at <= now() - $5 * interval '1 second' THEN assignment_seq_high
                             ELSE assignment_seq_safe END,
  event_id_high = CASE WHEN high_at <= now() - $5 * interval '1 second' THEN $3 ELSE event_id_high END,
  assignment_seq_high = CASE WHEN high_at <= now() - $5 * interval '1 second' THEN $4 ELSE assignment_seq_high END,
  high_at = CASE WHEN high_at <= now() - $5 * interval '1 second' THEN now() ELSE high_at END,
  orders_since = now() - $5 * interval '1 second',
  last_run_at = now()
 WHERE shop_id = $1 AND experiment_id = ANY($2::uuid[])
)sql";

constexpr const char* kActiveExperiments = R"sql(
SELECT shop_id::text, id::text FROM experiments
 WHERE status IN ('running', 'paused')
    OR (status IN ('stopped', 'completed') AND ended_at > now() - $1 * interval '1 hour')
 ORDER BY shop_id, id
)sql";

// {"a","b"} for a uuid[] parameter (ids are UUID text: nothing to escape).
std::string PgArray(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (const auto& id : ids) {
    if (out.size() > 1) out += ',';
    out += id;
  }
  return out + "}";
}

const char* BoolText(bool value) { return value ? "t" : "f"; }

std::string JoinSegments(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

// A TEXT[] literal ({"a","b"}), every element quoted.
std::string PgTextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> SplitSegments(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// A stored experiment_visitors row. The fold state stays empty (assigned_us 0, no source) when the row has none.
struct StoredVisitor {
  VisitorState state;
  bool foldable = false;  // fold_state present and readable
};

std::int64_t Int64Of(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error("aggregation: not an integer: " + std::string(text));
  }
  return value;
}

// The columns of a stored row as text (variant, segments, the four flags, revenue, orders, fold_state), and whether
// the fold state is NULL.
constexpr std::size_t kStoredColumnCount = 9;
StoredVisitor StoredOf(std::span<const std::string_view> f, bool state_null) {
  StoredVisitor stored;
  VisitorValues& v = stored.state.values;
  v.variant = f[0];
  v.segments = SplitSegments(f[1]);
  v.viewed = f[2] == "t";
  v.added_to_cart = f[3] == "t";
  v.began_checkout = f[4] == "t";
  v.purchased = f[5] == "t";
  v.revenue_cents = Int64Of(f[6]);
  v.orders = static_cast<std::int32_t>(Int64Of(f[7]));
  stored.foldable = !state_null && FoldStateFromText(f[8], stored.state);
  return stored;
}

// The same from a query's row, columns from `first` on; nullopt when the row is absent (a NULL variant).
std::optional<StoredVisitor> StoredOf(const pqxx::row& row, int first) {
  if (row[first].is_null()) return std::nullopt;
  std::array<std::string_view, kStoredColumnCount> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const pqxx::field field = row[static_cast<pqxx::row::size_type>(first + static_cast<int>(i))];
    fields[i] = std::string_view(field.c_str(), field.size());
  }
  return StoredOf(fields, row[first + 8].is_null());
}

// An event from the text of kEventColumns (columns 0 to 13; none is NULL).
constexpr std::size_t kEventColumnCount = 14;
VisitorEvent EventOf(std::span<const std::string_view> f) {
  VisitorEvent event;
  event.row_id = Int64Of(f[1]);
  event.event_id = f[2];
  event.type = f[3];
  event.ts_us = Int64Of(f[4]);
  event.session_id = f[5];
  event.experiment_id = f[6];
  event.device = f[7];
  event.visitor = f[8];
  event.utm_medium = f[9];
  event.utm_source = f[10];
  event.referrer = f[11];
  event.order_id = f[12];
  event.value_cents = ParseCents(f[13]);
  return event;
}

std::string_view TextOf(const pqxx::field& field) { return std::string_view(field.c_str(), field.size()); }

VisitorEvent EventOf(const pqxx::row& row) {
  std::array<std::string_view, kEventColumnCount> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) fields[i] = TextOf(row[static_cast<pqxx::row::size_type>(i)]);
  return EventOf(fields);
}

// Lookup by string_view in string-keyed maps, without building a std::string per row. Open addressing: a refresh
// looks up each of 100k visitors' events and stored rows in one, and std::unordered_map's buckets and nodes cost two
// cache misses a lookup (perf: a sixth of the refresh's CPU in this process). Elements move when the map grows: no
// pointer into one is kept across an insertion.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
template <typename V>
using TextMap = boost::unordered_flat_map<std::string, V, TextHash, std::equal_to<>>;

// One visitor's membership of one experiment in a batch: their assignment (none: no longer a unit) and the state
// stored by the last run (none: not counted yet).
struct Membership {
  std::optional<Exposure> exposure;
  std::optional<StoredVisitor> stored;
};

struct VisitorData {
  std::vector<VisitorEvent> events;
  std::vector<VisitorOrder> orders;
  std::map<std::size_t, Membership> experiments;  // index into the run's experiments
};

// The experiments of one run (in the order of the locked watermark rows), their watermarks, deltas and reports.
struct RunState {
  std::vector<Experiment> experiments;
  TextMap<std::size_t> index;                          // experiment id → position
  std::vector<std::int64_t> event_safe;                 // per experiment: events with a larger id are new
  std::vector<std::int64_t> orders_since_us;            // per experiment: orders ingested later are new
  std::vector<CellDeltas> deltas;
  std::vector<AggregationReport> reports;

  std::optional<std::size_t> ExperimentOf(std::string_view id) const {
    const auto it = index.find(id);
    return it == index.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }
  std::optional<std::size_t> ExperimentOf(const pqxx::field& field) const { return ExperimentOf(TextOf(field)); }
};

// Visitors whose experiment_visitors row changes: new rows (no stored one: a first run, a recomputation) with one
// COPY straight into experiment_visitors, the others with one COPY into a staging table and two statements.
class VisitorWriter {
 public:
  // The visitor's new state (nullopt: no longer a unit) against the stored one: counts the visit in the report,
  // applies the difference of the contribution to the deltas and stages the row when anything changed.
  void Update(RunState& run, std::size_t e, const std::string& anon_id, const std::optional<VisitorState>& current,
              const std::optional<StoredVisitor>& stored) {
    ++run.reports[e].visitors;
    const VisitorValues* before = stored ? &stored->state.values : nullptr;
    const VisitorValues* after = current ? &current->values : nullptr;
    const bool values_changed = (before == nullptr) != (after == nullptr) || (before && *before != *after);
    if (values_changed) {
      ++run.reports[e].changed;
      if (before) AddContribution(run.deltas[e], *before, -1);
      if (after) AddContribution(run.deltas[e], *after, +1);
    }
    if (!values_changed && (!current || (stored->foldable && stored->state == *current))) return;
    const VisitorState& s = current ? *current : stored->state;
    if (!current) ++removals_;
    rows_.push_back(Row{run.experiments[e].id, anon_id, !current, !stored, s.values,
                        current ? FoldStateToText(s) : ""});
  }

  std::size_t Pending() const { return rows_.size(); }

  void Write(pqxx::work& tx, const std::string& shop_id) {
    if (rows_.empty()) return;
    // Inserts first, staging the rest: both are COPYs of the same rows, split by where they go.
    const auto updates = std::stable_partition(rows_.begin(), rows_.end(), [](const Row& r) { return r.insert; });
    if (updates != rows_.begin()) {
      pqxx::stream_to visitors(tx, "experiment_visitors",
                               std::vector<std::string>{"shop_id", "experiment_id", "anon_id", "variant", "segments",
                                                        "viewed", "added_to_cart", "began_checkout", "purchased",
                                                        "revenue_cents", "orders", "fold_state"});
      for (auto it = rows_.begin(); it != updates; ++it) {
        const VisitorValues& v = it->values;
        visitors << std::make_tuple(shop_id, it->experiment_id, it->anon_id, v.variant, PgTextArray(v.segments),
                                    BoolText(v.viewed), BoolText(v.added_to_cart), BoolText(v.began_checkout),
                                    BoolText(v.purchased), v.revenue_cents, v.orders, it->fold_state);
      }
      visitors.complete();
    }
    rows_.erase(rows_.begin(), updates);
    if (rows_.empty()) return;
    {
      pqxx::stream_to staging(tx, "pagelift_agg_visitors3",
                              std::vector<std::string>{"experiment_id", "anon_id", "remove", "variant", "segments",
                                                       "viewed", "added_to_cart", "began_checkout", "purchased",
                                                       "revenue_cents", "orders", "fold_state"});
      for (const Row& r : rows_) {
        const VisitorValues& v = r.values;
        staging << std::make_tuple(r.experiment_id, r.anon_id, BoolText(r.remove), v.variant,
                                   JoinSegments(v.segments), BoolText(v.viewed), BoolText(v.added_to_cart),
                                   BoolText(v.began_checkout), BoolText(v.purchased), v.revenue_cents, v.orders,
                                   r.fold_state);
      }
      staging.complete();
    }
    rows_.clear();
    // Removals are rare; without any, the delete would still join the staging rows to the experiment's visitors.
    if (removals_ > 0) tx.exec_params(kRemoveVisitors, shop_id);
    removals_ = 0;
    tx.exec_params(kUpsertVisitors, shop_id);
    tx.exec("TRUNCATE pagelift_agg_visitors3");
  }

 private:
  struct Row {
    std::string experiment_id;
    std::string anon_id;
    bool remove = false;
    bool insert = false;  // no stored row: a plain insert
    VisitorValues values;
    std::string fold_state;
  };
  std::vector<Row> rows_;
  std::size_t removals_ = 0;
};

// Debug log of where a run's time goes (log level debug): one line per phase group, milliseconds per phase.
class PhaseTimer {
 public:
  PhaseTimer(std::string_view message, const std::string& shop_id) : message_(message) {
    fields_["shop_id"] = shop_id;
  }
  ~PhaseTimer() { log::Debug(message_, fields_); }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  void Mark(std::string_view phase) {
    const auto now = std::chrono::steady_clock::now();
    fields_[phase] = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
  }
  // Adds the time since the last mark to `phase` (a phase that alternates with others, e.g. per chunk).
  void Add(std::string_view phase) {
    const auto now = std::chrono::steady_clock::now();
    auto& total = fields_[phase];
    total = (total.is_double() ? total.get_double() : 0.0) +
            std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
  }

 private:
  std::string message_;
  boost::json::object fields_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The rows of `all` that satisfy `keep`: `all` itself when every row does (no copy), else a copy in `scratch`.
template <typename T, typename Keep>
std::span<const T> RowsWhere(const std::vector<T>& all, std::vector<T>& scratch, Keep keep) {
  if (std::all_of(all.begin(), all.end(), keep)) return all;
  scratch.clear();
  std::copy_if(all.begin(), all.end(), std::back_inserter(scratch), keep);
  return scratch;
}

// The rows of COPY (query) TO STDOUT, one at a time: they arrive while PostgreSQL produces them, so the server reads
// and the caller computes at the same time, and no result is ever held whole (a cursor's FETCH alternates the two and
// materialises each chunk). pqxx 6.4's stream_from only takes a table name, which it splices into
// "COPY <name> TO STDOUT" unquoted: a parenthesised query there is COPY's own syntax (pqxx 7 calls it
// stream_from::query). Fields are decoded from COPY's text format here.
class CopyReader {
 public:
  CopyReader(pqxx::work& tx, const std::string& query) : stream_(tx, "(" + query + ")") {}
  CopyReader(const CopyReader&) = delete;
  CopyReader& operator=(const CopyReader&) = delete;

  // Reads the next row; false at the end. Its fields are valid until the next call.
  bool Next() {
    if (!stream_.get_raw_line(line_)) {
      stream_.complete();
      return false;
    }
    Decode();
    return true;
  }
  std::span<const std::string_view> Fields() const { return fields_; }
  bool IsNull(std::size_t i) const { return nulls_[i]; }

 private:
  // COPY's text format in place (the decoded text is never longer): fields split at tabs, \N is NULL, and a backslash
  // escapes the next character (\b \f \n \r \t \v, an octal or \x hex byte, or the character itself).
  void Decode() {
    fields_.clear();
    nulls_.clear();
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // offsets into line_: views once it stops changing
    std::size_t out = 0;
    std::size_t start = 0;
    std::size_t in = 0;
    const std::size_t size = line_.size() - (!line_.empty() && line_.back() == '\n' ? 1 : 0);
    bool null = false;
    auto end_field = [&] {
      spans.emplace_back(start, out - start);
      nulls_.push_back(null);
      start = out;
      null = false;
    };
    for (; in < size; ++in) {
      const char c = line_[in];
      if (c == '\t') {
        end_field();
        continue;
      }
      if (c != '\\' || in + 1 >= size) {
        line_[out++] = c;
        continue;
      }
      const char next = line_[++in];
      if (next == 'N' && out == start && (in + 1 == size || line_[in + 1] == '\t')) {
        null = true;  // the whole field is \N
        continue;
      }
      line_[out++] = Unescape(next, in, size);
    }
    end_field();
    for (const auto& [offset, length] : spans) fields_.emplace_back(line_.data() + offset, length);
  }

  char Unescape(char next, std::size_t& in, std::size_t size) const {
    switch (next) {
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\v';
      case 'x': {
        int value = 0;
        int digits = 0;
        while (digits < 2 && in + 1 < size && std::isxdigit(static_cast<unsigned char>(line_[in + 1]))) {
          const char h = line_[++in];
          value = value * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          ++digits;
        }
        return digits == 0 ? 'x' : static_cast<char>(value);
      }
      default:
        if (next >= '0' && next <= '7') {
          int value = next - '0';
          for (int digits = 1; digits < 3 && in + 1 < size && line_[in + 1] >= '0' && line_[in + 1] <= '7'; ++digits) {
            value = value * 8 + (line_[++in] - '0');
          }
          return static_cast<char>(value);
        }
        return next;  // \\ and any other escaped character
    }
  }

  pqxx::stream_from stream_;
  std::string line_;
  std::vector<std::string_view> fields_;
  std::vector<bool> nulls_;
};

// The fold: reads what arrived since the smallest watermark (not the visitors' history), folds it into each touched
// visitor's stored state, and adds to pagelift_agg_dirty2 the visitors the fold cannot decide (recomputed by
// ProcessBatch like new assignments).
void FoldNewData(pqxx::work& tx, const std::string& shop_id, std::int64_t scan_from, const std::string& orders_from,
                 RunState& run) {
  PhaseTimer timer("aggregation fold", shop_id);
  const std::string shop = tx.quote(shop_id);
  TextMap<VisitorData> touched;
  {
    // Streamed: the events are grouped while PostgreSQL still reads them.
    CopyReader rows(tx, NewEventsSql(shop, scan_from));
    while (rows.Next()) {
      const auto fields = rows.Fields();
      auto it = touched.find(fields[0]);
      if (it == touched.end()) it = touched.emplace(std::string(fields[0]), VisitorData{}).first;
      it->second.events.push_back(EventOf(fields));
    }
  }
  for (const auto& row : tx.exec_params(ChangedOrdersSql(), shop_id, orders_from)) {
    touched[row[0].as<std::string>()].orders.push_back(VisitorOrder{row[1].as<std::string>(),
                                                                    row[2].as<std::int64_t>(),
                                                                    row[3].as<std::int64_t>(),
                                                                    row[4].as<std::int64_t>()});
  }
  timer.Mark("scan");
  if (touched.empty()) return;
  {
    // In key order: the lookups below then walk the indexes (and the visitors' heap, written in this order by a
    // recomputation) forwards instead of jumping around.
    std::vector<std::string_view> keys;
    keys.reserve(touched.size());
    for (const auto& [anon_id, data] : touched) keys.emplace_back(anon_id);
    std::sort(keys.begin(), keys.end());
    // Distinct already (the map's keys), and only ever scanned in this order: no index to build.
    pqxx::stream_to staging(tx, "pagelift_agg_touched2", std::vector<std::string>{"anon_id"});
    for (const std::string_view key : keys) staging << std::make_tuple(std::string(key));
    staging.complete();
  }
  // A temporary table has no statistics until asked, and stale ones from an earlier run of the session (a
  // recomputation analyzes pagelift_agg_dirty2 with every visitor in it): with a wrong row count the planner joins the
  // dirty pairs by rescanning them for every touched visitor (seen: minutes at 10M events). pagelift_agg_touched2 is
  // never analyzed: the planner then counts its rows from its current size, which is right.
  tx.exec("ANALYZE pagelift_agg_dirty2");
  timer.Mark("touched");
  std::vector<std::pair<std::string, std::string>> fallback;  // (anon_id, experiment id)
  VisitorWriter writer;
  std::vector<VisitorEvent> events;
  std::vector<VisitorOrder> orders;
  // Index lookups per touched visitor, never a hash join over all of the shop's assignments and visitors: the cost
  // must follow the new data, and the planner cannot know how few rows the temporary table holds compared to them.
  // The check for a new assignment probes pagelift_agg_dirty2's index too: planned as a scan of the table (empty in
  // most refreshes, so the cheapest plan on paper), it restarted that scan for every visitor, 3 µs each, half of the
  // query's time (100k touched visitors: 655 ms with it, 360 ms without, COPY to /dev/null).
  tx.exec("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_seqscan = off");
  // Streamed too: each visitor is folded as their stored rows arrive, while PostgreSQL looks up the next ones.
  CopyReader members(tx, TouchedMembersSql(shop));
  while (members.Next()) {
    const auto row = members.Fields();
    const auto e = run.ExperimentOf(row[1]);
    if (!e || row[2] == "t") continue;  // a new assignment: recomputed anyway
    const auto touched_it = touched.find(row[0]);
    if (touched_it == touched.end()) continue;  // cannot happen: the lookup starts from these visitors
    const std::string& anon_id = touched_it->first;
    const VisitorData& data = touched_it->second;
    // New for this experiment: past its own watermarks (the scan started at the smallest). Usually all of them are
    // (the experiments' watermarks move together): then the rows are used in place, not copied.
    const std::span<const VisitorEvent> new_events = RowsWhere(
        data.events, events, [&](const VisitorEvent& event) { return event.row_id > run.event_safe[*e]; });
    const std::span<const VisitorOrder> new_orders = RowsWhere(
        data.orders, orders, [&](const VisitorOrder& order) { return order.ingested_us > run.orders_since_us[*e]; });
    if (new_events.empty() && new_orders.empty()) continue;
    const Experiment& experiment = run.experiments[*e];
    // Built in place as the optional VisitorWriter::Update takes (always present here: the lookup is by stored row).
    const std::optional<StoredVisitor> stored = StoredOf(row.subspan(3, kStoredColumnCount), members.IsNull(3 + 8));
    std::optional<VisitorState> folded;
    // The stored state was computed for the visitor's assignment (immutable; see TouchedMembersSql): its exposure.
    if (stored->foldable && experiment.VariantIndex(stored->state.values.variant) >= 0) {
      const Exposure exposure{stored->state.values.variant, stored->state.assigned_us};
      folded = FoldVisitorState(experiment.id, stored->state, exposure, new_events, new_orders,
                                experiment.definition.guardrails.revenue_cap_cents);
    }
    if (!folded) {
      fallback.emplace_back(anon_id, experiment.id);
      continue;
    }
    ++run.reports[*e].folded;
    writer.Update(run, *e, anon_id, folded, stored);
  }
  tx.exec("RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_seqscan");
  timer.Mark("fold");
  writer.Write(tx, shop_id);
  timer.Mark("write");
  if (!fallback.empty()) {
    pqxx::stream_to staging(tx, "pagelift_agg_dirty2", std::vector<std::string>{"anon_id", "experiment_id"});
    for (const auto& [anon_id, experiment_id] : fallback) staging << std::make_tuple(anon_id, experiment_id);
    staging.complete();
  }
}

// One dirty visitor of every experiment of the run they are dirty for, recomputed from all of their data.
void Recompute(RunState& run, const std::string& anon_id, const VisitorData& data, VisitorWriter& writer) {
  for (const auto& [e, member] : data.experiments) {
    const Experiment& experiment = run.experiments[e];
    if (!member.exposure && !member.stored) continue;
    std::optional<VisitorState> current;
    // A visitor counts once assigned to one of the experiment's variants (an exposure naming an unknown variant,
    // e.g. from a stale script, is not a unit of this experiment).
    if (member.exposure && experiment.VariantIndex(member.exposure->variant) >= 0) {
      current = ComputeVisitorState(experiment.id, *member.exposure, data.events, data.orders,
                                    experiment.definition.guardrails.revenue_cap_cents);
    }
    writer.Update(run, e, anon_id, current, member.stored);
  }
}

// The dirty visitors with anon_id in (low, high] of every experiment of the run: their assignments, stored rows and
// attributed orders (their events are the caller's to add).
std::unordered_map<std::string, VisitorData> ReadBatchMembers(pqxx::work& tx, const std::string& shop_id,
                                                              const std::string& low, const std::string& high,
                                                              RunState& run) {
  std::unordered_map<std::string, VisitorData> visitors;
  for (const auto& row : tx.exec_params(kBatchAssignments, shop_id, low, high)) {
    if (auto e = run.ExperimentOf(row[1])) {
      visitors[row[0].as<std::string>()].experiments[*e].exposure =
          Exposure{row[2].as<std::string>(), row[3].as<std::int64_t>()};
    }
  }
  for (const auto& row : tx.exec_params(kBatchState, shop_id, low, high)) {
    if (auto e = run.ExperimentOf(row[1])) {
      visitors[row[0].as<std::string>()].experiments[*e].stored = StoredOf(row, 2);
    }
  }
  for (const auto& row : tx.exec_params(BatchOrdersSql(), shop_id, low, high)) {
    const auto it = visitors.find(row[0].as<std::string>());
    if (it == visitors.end()) continue;  // dirty for no experiment of this run (cannot happen; cheap to guard)
    it->second.orders.push_back(
        VisitorOrder{row[1].as<std::string>(), row[2].as<std::int64_t>(), row[3].as<std::int64_t>()});
  }
  return visitors;
}

// One batch of dirty visitors (anon_id in (low, high]) of every experiment of the run: recompute from all of their
// data, diff against the stored values, stage the changed visitors and accumulate the cell deltas.
void ProcessBatch(pqxx::work& tx, const std::string& shop_id, const std::string& low, const std::string& high,
                  RunState& run) {
  std::unordered_map<std::string, VisitorData> visitors = ReadBatchMembers(tx, shop_id, low, high, run);
  for (const auto& row : tx.exec_params(BatchEventsSql(), shop_id, low, high)) {
    const auto it = visitors.find(row[0].as<std::string>());
    if (it == visitors.end()) continue;
    it->second.events.push_back(EventOf(row));
  }

  VisitorWriter writer;
  for (const auto& [anon_id, data] : visitors) Recompute(run, anon_id, data, writer);
  writer.Write(tx, shop_id);
}

// Every dirty pair at once, for a first run or a recomputation, in chunks of dirty visitors (anon_id ranges): a
// chunk's assignments, stored rows and orders come by index lookups (ReadBatchMembers), its events as one COPY stream
// in visitor order, and each visitor is recomputed as soon as their last event has arrived, while PostgreSQL reads
// on. The events come from the index on (shop_id, anon_id, ts) in its own order, never from a sort of all of the
// shop's events (EXPLAIN ANALYZE, 2M events: the sort spilled 245 MB to disk and took over half of the run); only
// their grouping by visitor matters here, so any collation does. The chunk's rows are written before the next
// chunk is read (a COPY holds the connection), which bounds the memory by the chunk, not by the shop.
void ProcessStreamed(pqxx::work& tx, const std::string& shop_id, const AggregationOptions& options, RunState& run) {
  PhaseTimer timer("aggregation streamed", shop_id);
  const std::string shop = tx.quote(shop_id);
  tx.exec("ANALYZE pagelift_agg_dirty2");  // a temporary table has no statistics until asked: plan the joins on them
  // Every chunk's query reads its range by index, in visitor order: never a sequential scan of the shop's (or the
  // dirty set's) rows, a bitmap scan or a sort per chunk, which made the run quadratic in the chunks (10M events:
  // EXPLAIN showed seq scans of 1.25M dirty rows and assignments for each 50,000-visitor chunk). Reset at the end
  // (WriteCells plans on its own).
  tx.exec("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off");
  timer.Mark("analyze");
  VisitorWriter writer;
  std::string low;  // "" sorts before every anon_id (collect refuses empty ones)
  for (;;) {
    const pqxx::result batch = tx.exec_params(kNextBatch, low, std::max(1, options.visitors_per_stream_chunk));
    if (batch[0][1].as<std::int64_t>() == 0) break;
    const std::string high = batch[0][0].as<std::string>();
    std::unordered_map<std::string, VisitorData> visitors = ReadBatchMembers(tx, shop_id, low, high, run);
    timer.Add("members");
    CopyReader events(tx, fmt::format(R"sql(
SELECT {0} FROM events e
 WHERE e.shop_id = {1} AND e.anon_id > {2} AND e.anon_id <= {3}
   AND e.anon_id IN (SELECT anon_id FROM pagelift_agg_dirty2 WHERE anon_id > {2} AND anon_id <= {3})
 ORDER BY e.anon_id)sql", kEventColumns, shop, tx.quote(low), tx.quote(high)));
    std::string current;
    VisitorData* data = nullptr;  // current's, when they are dirty
    auto finish = [&] {
      if (data == nullptr) return;
      Recompute(run, current, *data, writer);
      visitors.erase(current);
      data = nullptr;
    };
    while (events.Next()) {
      const auto fields = events.Fields();
      if (fields[0] != current) {
        finish();
        current = fields[0];
        const auto it = visitors.find(current);
        if (it != visitors.end()) data = &it->second;
      }
      if (data != nullptr) data->events.push_back(EventOf(fields));
    }
    finish();
    for (const auto& [anon_id, rest] : visitors) Recompute(run, anon_id, rest, writer);  // no events at all
    timer.Add("events and merge");
    writer.Write(tx, shop_id);
    timer.Add("write visitors");
    low = high;
  }
  tx.exec("RESET enable_seqscan; RESET enable_sort; RESET enable_bitmapscan");
}

// The run's cell deltas, experiment by experiment (ids[e] is the experiment of run.deltas[e]).
void WriteCells(pqxx::work& tx, const std::string& shop_id, const std::vector<std::string>& ids, RunState& run) {
  std::int64_t staged = 0;
  {
    pqxx::stream_to staging(tx, "pagelift_agg_cells2",
                            std::vector<std::string>{"experiment_id", "variant", "segment", "metric", "n", "sum",
                                                     "sum_squares", "denominator_sum", "denominator_sum_squares",
                                                     "sum_products"});
    for (std::size_t e = 0; e < ids.size(); ++e) {
      run.deltas[e].ForEach([&](std::string_view variant, std::string_view segment, Metric metric,
                                const CellSums& cell) {
        if (cell.IsZero()) return;
        const Scales scales = ScalesOf(metric);
        staging << std::make_tuple(ids[e], std::string(variant), std::string(segment),
                                   std::string(MetricName(metric)), cell.n,
                                   FormatScaled(cell.sum, scales.sum),
                                   FormatScaled(cell.sum_squares, scales.sum_squares),
                                   FormatScaled(cell.denominator_sum, 0),
                                   FormatScaled(cell.denominator_sum_squares, 0),
                                   FormatScaled(cell.sum_products, scales.products));
        ++run.reports[e].cells;
        ++staged;
      });
    }
    staging.complete();
  }
  if (staged > 0) {
    tx.exec_params(kUpdateCells, shop_id);
    tx.exec_params(kInsertCells, shop_id);
    tx.exec_params(kDropEmptyCells, shop_id, PgArray(ids));
  }
}

}  // namespace

// ---- pure ------------------------------------------------------------------------------------------------------

std::string_view ClassifySource(std::string_view utm_medium, std::string_view utm_source, std::string_view referrer) {
  const std::string medium = Lower(utm_medium);
  const std::string source = Lower(utm_source);
  static const std::set<std::string, std::less<>> kPaid = {"cpc",     "ppc",        "paid",        "paidsearch",
                                                           "paid_search", "paid-search", "paidsocial", "paid_social",
                                                           "paid-social", "display",  "cpm",         "cpv",
                                                           "banner",  "retargeting", "shopping"};
  if (kPaid.contains(medium)) return "paid";
  if (medium == "email" || medium == "e-mail" || medium == "newsletter" || source == "newsletter") return "email";
  if (medium == "social" || medium == "social-network" || medium == "social_media" || medium == "social-media") {
    return "social";
  }
  const std::string host = HostOf(referrer);
  if (IsSearchName(source) || (medium.empty() && source.empty() && IsSearchHost(host)) || medium == "organic") {
    return IsSocialName(source) ? "social" : "search";
  }
  if (IsSocialName(source) || (medium.empty() && source.empty() && IsSocialHost(host))) return "social";
  if (medium.empty() && source.empty() && host.empty()) return "direct";
  return "referral";
}

namespace {

bool SortsBefore(const VisitorEvent& e, const SegmentSource& s) {
  return std::tie(e.ts_us, e.event_id, e.type) < std::tie(s.ts_us, s.event_id, s.type);
}

std::string OrderKeyOf(const VisitorEvent& e) { return e.order_id.empty() ? "event:" + e.event_id : e.order_id; }

bool IsPurchase(const VisitorEvent& e) { return e.type == "purchase" || e.type == "checkout_completed"; }

void SetFlag(VisitorValues& v, const VisitorEvent& e) {
  if (e.type == "product_view") {
    v.viewed = true;
  } else if (e.type == "add_to_cart") {
    v.added_to_cart = true;
  } else if (e.type == "begin_checkout") {
    v.began_checkout = true;
  }
}

// Revenue, orders and purchased from the counted orders (a purchase event always counts its key).
void FinishOrders(VisitorState& state, std::optional<std::int64_t> revenue_cap_cents) {
  std::int64_t revenue = 0;
  for (const auto& [key, cents] : state.order_cents) revenue += cents;
  if (revenue_cap_cents) revenue = std::min(revenue, *revenue_cap_cents);
  state.values.revenue_cents = revenue;
  state.values.orders = static_cast<std::int32_t>(state.order_cents.size());
  state.values.purchased = !state.order_cents.empty();
}

}  // namespace

VisitorState ComputeVisitorState(std::string_view experiment_id, const Exposure& exposure,
                                 std::span<const VisitorEvent> events, std::span<const VisitorOrder> orders,
                                 std::optional<std::int64_t> revenue_cap_cents) {
  // Every stored row counts, copies of one event id included (no deduplication): each rule below is an OR, a key
  // counted once, or the earliest row in this order, so a second copy of an event cannot change the result and the
  // fold needs no duplicate check (statistics.md, "Aggregation").
  std::vector<const VisitorEvent*> sorted;
  sorted.reserve(events.size());
  for (const VisitorEvent& e : events) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const VisitorEvent* a, const VisitorEvent* b) {
    return std::tie(a->ts_us, a->event_id, a->type) < std::tie(b->ts_us, b->event_id, b->type);
  });

  VisitorState state;
  state.assigned_us = exposure.assigned_us;
  VisitorValues& v = state.values;
  v.variant = exposure.variant;
  // Orders first: an order's own row wins over the purchase events that report it.
  for (const VisitorOrder& o : orders) {
    if (o.created_us >= exposure.assigned_us) state.order_cents.emplace(o.order_id, o.total_cents);
  }
  const VisitorEvent* segment_source = nullptr;
  for (const VisitorEvent* e : sorted) {
    if (e->type == "exposure" && e->experiment_id == experiment_id) {
      segment_source = e;
      break;
    }
  }
  const bool from_exposure = segment_source != nullptr;
  for (const VisitorEvent* e : sorted) {
    if (e->ts_us < exposure.assigned_us) continue;
    if (segment_source == nullptr) segment_source = e;
    SetFlag(v, *e);
    if (IsPurchase(*e)) state.order_cents.emplace(OrderKeyOf(*e), e->value_cents.value_or(0));
  }
  FinishOrders(state, revenue_cap_cents);

  if (segment_source != nullptr) {
    state.segment_source = SegmentSource{segment_source->ts_us, segment_source->event_id, segment_source->type,
                                         segment_source->session_id, from_exposure};
    const std::string device = Lower(segment_source->device);
    if (device == "mobile" || device == "desktop" || device == "tablet") v.segments.push_back("device:" + device);
    const std::string visitor = Lower(segment_source->visitor);
    if (visitor == "new" || visitor == "false") {
      v.segments.emplace_back("visitor:new");
    } else if (visitor == "returning" || visitor == "true") {
      v.segments.emplace_back("visitor:returning");
    } else {
      // Not reported by the script: returning when an earlier session of this visitor exists.
      state.visitor_inferred = true;
      const bool returning = std::any_of(sorted.begin(), sorted.end(), [&](const VisitorEvent* e) {
        return e->ts_us < segment_source->ts_us && e->session_id != segment_source->session_id;
      });
      v.segments.emplace_back(returning ? "visitor:returning" : "visitor:new");
    }
    v.segments.push_back(
        "source:" + std::string(ClassifySource(segment_source->utm_medium, segment_source->utm_source,
                                               segment_source->referrer)));
  }
  std::sort(v.segments.begin(), v.segments.end());
  return state;
}

std::optional<VisitorState> FoldVisitorState(std::string_view experiment_id, const VisitorState& state,
                                             const Exposure& exposure, std::span<const VisitorEvent> new_events,
                                             std::span<const VisitorOrder> changed_orders,
                                             std::optional<std::int64_t> revenue_cap_cents) {
  if (exposure.variant != state.values.variant || exposure.assigned_us != state.assigned_us) return std::nullopt;
  VisitorState out = state;
  const std::optional<SegmentSource>& source = state.segment_source;
  const bool inferred_new = state.visitor_inferred && std::binary_search(state.values.segments.begin(),
                                                                         state.values.segments.end(), "visitor:new");
  for (const VisitorEvent& e : new_events) {
    const bool exposure_event = e.type == "exposure" && e.experiment_id == experiment_id;
    const bool counts = e.ts_us >= exposure.assigned_us;
    // A segment source candidate that sorts before the current source (or a first exposure event) moves the
    // segments: recompute.
    if (exposure_event || counts) {
      if (!source) return std::nullopt;
      if (exposure_event && (!source->exposure || SortsBefore(e, *source))) return std::nullopt;
      if (!source->exposure && counts && SortsBefore(e, *source)) return std::nullopt;
    }
    // An earlier session makes an inferred new visitor a returning one.
    if (inferred_new && e.ts_us < source->ts_us && e.session_id != source->session_id) return std::nullopt;
    if (!counts) continue;
    SetFlag(out.values, e);
    if (IsPurchase(e)) {
      const auto cents = e.value_cents.value_or(0);
      const auto [it, inserted] = out.order_cents.emplace(OrderKeyOf(e), cents);
      // The same key with another amount: which report wins depends on the order of all of them.
      if (!inserted && it->second != cents) return std::nullopt;
    }
  }
  for (const VisitorOrder& o : changed_orders) {
    if (o.created_us >= exposure.assigned_us) {
      out.order_cents[o.order_id] = o.total_cents;  // the order's row wins over events, its newest version over older
    } else if (out.order_cents.contains(o.order_id)) {
      return std::nullopt;  // counted from an event, or an earlier version of the order: recompute
    }
  }
  FinishOrders(out, revenue_cap_cents);
  return out;
}

namespace {

// fold_state's compact text (a JSONB object cost about 350 bytes a visitor and a parse on every write): space-separated
// fields, strings as <length>:<bytes> so that no character needs escaping (text columns hold no NUL):
//   1 <assigned_us> <visitor_inferred 0|1> <source> <order count> (<key> <cents>)*
//   source: "-" (none) or "s<ts_us> <exposure 0|1> <event_id> <type> <session_id>"
constexpr char kFoldStateVersion = '1';

void AppendInt(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

void AppendString(std::string& out, std::string_view value) {
  AppendInt(out, static_cast<std::int64_t>(value.size()));
  out += ':';
  out += value;
}

// Reads FoldStateToText's fields in order; every read fails (and stays failed) on malformed input.
class FoldStateReader {
 public:
  explicit FoldStateReader(std::string_view text) : rest_(text) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return ok_ && rest_.empty(); }
  // The separator before every field but the first.
  void Space() { Expect(' '); }
  void Expect(char c) {
    if (!ok_ || rest_.empty() || rest_.front() != c) {
      ok_ = false;
      return;
    }
    rest_.remove_prefix(1);
  }
  bool Peek(char c) const { return ok_ && !rest_.empty() && rest_.front() == c; }
  std::int64_t Int() {
    std::int64_t value = 0;
    if (!ok_) return 0;
    const auto [end, error] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), value);
    if (error != std::errc() || end == rest_.data()) {
      ok_ = false;
      return 0;
    }
    rest_.remove_prefix(static_cast<std::size_t>(end - rest_.data()));
    return value;
  }
  bool Bool() {
    const std::int64_t value = Int();
    if (value != 0 && value != 1) ok_ = false;
    return value == 1;
  }
  std::string String() {
    const std::int64_t size = Int();
    Expect(':');
    if (!ok_ || size < 0 || static_cast<std::uint64_t>(size) > rest_.size()) {
      ok_ = false;
      return {};
    }
    std::string value(rest_.substr(0, static_cast<std::size_t>(size)));
    rest_.remove_prefix(static_cast<std::size_t>(size));
    return value;
  }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

std::string FoldStateToText(const VisitorState& state) {
  std::string out;
  std::size_t size = 96;  // the fixed fields and a segment source of usual lengths
  for (const auto& [key, cents] : state.order_cents) size += key.size() + 24;
  out.reserve(size);
  out += kFoldStateVersion;
  out += ' ';
  AppendInt(out, state.assigned_us);
  out += state.visitor_inferred ? " 1 " : " 0 ";
  if (const auto& source = state.segment_source) {
    out += 's';
    AppendInt(out, source->ts_us);
    out += source->exposure ? " 1 " : " 0 ";
    AppendString(out, source->event_id);
    out += ' ';
    AppendString(out, source->type);
    out += ' ';
    AppendString(out, source->session_id);
  } else {
    out += '-';
  }
  out += ' ';
  AppendInt(out, static_cast<std::int64_t>(state.order_cents.size()));
  for (const auto& [key, cents] : state.order_cents) {
    out += ' ';
    AppendString(out, key);
    out += ' ';
    AppendInt(out, cents);
  }
  return out;
}

bool FoldStateFromText(std::string_view text, VisitorState& state) {
  FoldStateReader in(text);
  in.Expect(kFoldStateVersion);
  in.Space();
  const std::int64_t assigned = in.Int();
  in.Space();
  const bool inferred = in.Bool();
  in.Space();
  std::optional<SegmentSource> source;
  if (in.Peek('-')) {
    in.Expect('-');
  } else {
    in.Expect('s');
    SegmentSource s;
    s.ts_us = in.Int();
    in.Space();
    s.exposure = in.Bool();
    in.Space();
    s.event_id = in.String();
    in.Space();
    s.type = in.String();
    in.Space();
    s.session_id = in.String();
    source = std::move(s);
  }
  in.Space();
  const std::int64_t count = in.Int();
  if (count < 0) return false;
  std::map<std::string, std::int64_t> orders;
  for (std::int64_t i = 0; i < count && in.ok(); ++i) {
    in.Space();
    std::string key = in.String();
    in.Space();
    const std::int64_t cents = in.Int();
    if (!orders.emplace(std::move(key), cents).second) return false;  // a key is written once
  }
  if (!in.AtEnd()) return false;
  state.assigned_us = assigned;
  state.visitor_inferred = inferred;
  state.segment_source = std::move(source);
  state.order_cents = std::move(orders);
  return true;
}

bool CellSums::IsZero() const {
  return n == 0 && sum == 0 && sum_squares == 0 && denominator_sum == 0 && denominator_sum_squares == 0 &&
         sum_products == 0;
}

CellSums& CellSums::operator+=(const CellSums& o) {
  n += o.n;
  sum += o.sum;
  sum_squares += o.sum_squares;
  denominator_sum += o.denominator_sum;
  denominator_sum_squares += o.denominator_sum_squares;
  sum_products += o.sum_products;
  return *this;
}

std::uint32_t CellDeltas::Intern(NameIds& ids, std::vector<std::string>& names, std::string_view name) {
  if (const auto it = ids.find(name); it != ids.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names.size());
  names.emplace_back(name);
  ids.emplace(names.back(), id);
  return id;
}

void CellDeltas::Add(std::string_view variant, std::string_view segment, const MetricCells& cells) {
  const std::uint64_t key = static_cast<std::uint64_t>(Intern(variant_ids_, variants_, variant)) << 32 |
                            Intern(segment_ids_, segments_, segment);
  const auto [it, inserted] = slot_of_.try_emplace(key, slots_.size());
  if (inserted) {
    slots_.push_back(Slot{static_cast<std::uint32_t>(key >> 32), static_cast<std::uint32_t>(key), {}});
  }
  MetricCells& sums = slots_[it->second].cells;
  for (std::size_t m = 0; m < sums.size(); ++m) sums[m] += cells[m];
}

std::optional<std::size_t> CellDeltas::Find(std::string_view variant, std::string_view segment) const {
  const auto v = variant_ids_.find(variant);
  const auto s = segment_ids_.find(segment);
  if (v == variant_ids_.end() || s == segment_ids_.end()) return std::nullopt;
  const auto it = slot_of_.find(static_cast<std::uint64_t>(v->second) << 32 | s->second);
  return it == slot_of_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
}

CellSums CellDeltas::At(std::string_view variant, std::string_view segment, Metric metric) const {
  const auto slot = Find(variant, segment);
  if (!slot) return {};
  for (std::size_t m = 0; m < static_cast<std::size_t>(kMetricCount); ++m) {
    if (kAllMetrics[m] == metric) return slots_[*slot].cells[m];
  }
  return {};
}

void AddContribution(CellDeltas& deltas, const VisitorValues& values, int sign) {
  // A visitor's cells are the same in every segment they belong to: build them once, add them per segment.
  CellDeltas::MetricCells cells;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    cells[i] = CellOf(values, kAllMetrics[i]);
    if (sign < 0) cells[i] = Negated(cells[i]);
  }
  deltas.Add(values.variant, "", cells);
  for (const auto& s : values.segments) deltas.Add(values.variant, s, cells);
}

std::string FormatScaled(Int128 value, int decimals) {
  const bool negative = value < 0;
  UInt128 magnitude = negative ? -static_cast<UInt128>(value) : static_cast<UInt128>(value);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  if (decimals > 0) {
    if (digits.size() <= static_cast<std::size_t>(decimals)) {
      digits.insert(0, static_cast<std::size_t>(decimals) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<std::size_t>(decimals), 1, '.');
  }
  return negative ? "-" + digits : digits;
}

// ---- runs ------------------------------------------------------------------------------------------------------

std::vector<AggregationReport> RunShopAggregation(db::Database& database, const std::string& shop_id,
                                                  const std::vector<std::string>& experiment_ids,
                                                  const AggregationOptions& options) {
  std::vector<AggregationReport> skipped(experiment_ids.size());
  for (auto& report : skipped) report.skipped = true;
  if (experiment_ids.empty()) return skipped;
  const Repository repository(database);
  const std::string requested = PgArray(experiment_ids);
  PhaseTimer setup("aggregation setup", shop_id);
  // A separate short transaction, so that two first runs do not wait on each other's insert of the rows.
  database.Run([&](pqxx::work& tx) { tx.exec_params(kEnsureWatermarks, shop_id, requested); });
  setup.Mark("ensure");
  auto result = database.Run([&](pqxx::work& tx) {
    std::vector<AggregationReport> reports = skipped;
    RunState run;
    std::vector<std::string> locked;
    setup.Mark("begin");
    tx.exec(kCreateTemp);
    setup.Mark("temp");
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::string>> marks;
    for (const auto& row : tx.exec_params(kLockWatermarks, shop_id, requested)) {
      const std::string id = row[0].as<std::string>();
      auto experiment = repository.Find(tx, shop_id, id);
      if (!experiment) continue;  // deleted meanwhile
      marks.emplace_back(id, row[1].as<std::int64_t>(), row[2].as<std::int64_t>(), row[3].as<std::string>());
      run.event_safe.push_back(row[1].as<std::int64_t>());
      run.orders_since_us.push_back(row[4].as<std::int64_t>());
      run.index.emplace(id, run.experiments.size());
      run.experiments.push_back(std::move(*experiment));
      locked.push_back(id);
    }
    if (run.experiments.empty()) return reports;
    {
      // A COPY holds the connection: written only after the reads above.
      pqxx::stream_to staging(tx, "pagelift_agg_marks",
                              std::vector<std::string>{"experiment_id", "event_safe", "assignment_safe",
                                                       "orders_since"});
      for (const auto& mark : marks) staging << mark;
      staging.complete();
    }
    run.deltas.resize(run.experiments.size());
    run.reports.resize(run.experiments.size());
    const pqxx::result highs = tx.exec(kSequenceHighs);
    const auto event_high = highs[0][0].as<std::int64_t>();
    const auto assignment_high = highs[0][1].as<std::int64_t>();
    setup.Mark("marks");

    PhaseTimer timer("aggregation run", shop_id);
    const bool first_run =
        std::any_of(marks.begin(), marks.end(), [](const auto& mark) { return std::get<2>(mark) == 0; });
    if (first_run) tx.exec_params(kDirtyFromAllAssignments, shop_id);
    tx.exec_params(kDirtyFromNewAssignments, shop_id);
    timer.Mark("dirty");
    // Experiments on their first run have every assigned visitor dirty already: they set no scan start, so a
    // recomputation never scans the whole history.
    const pqxx::result scan_from = tx.exec(
        "SELECT min(event_safe), min(orders_since)::text FROM pagelift_agg_marks "
        "WHERE event_safe <> 0 OR assignment_safe <> 0");
    if (!scan_from[0][0].is_null()) {
      FoldNewData(tx, shop_id, scan_from[0][0].as<std::int64_t>(), scan_from[0][1].as<std::string>(), run);
    }

    // Many dirty visitors (a first run, a recomputation): one sorted stream each; else batches by index lookups.
    const auto dirty_count = tx.exec("SELECT count(*) FROM pagelift_agg_dirty2")[0][0].as<std::int64_t>();
    if (dirty_count > options.streamed_from_visitors) {
      ProcessStreamed(tx, shop_id, options, run);
    } else {
      std::string low;  // "" sorts before every anon_id (collect refuses empty ones)
      for (;;) {
        const pqxx::result batch = tx.exec_params(kNextBatch, low, options.visitors_per_batch);
        if (batch[0][1].as<std::int64_t>() == 0) break;
        const std::string high = batch[0][0].as<std::string>();
        ProcessBatch(tx, shop_id, low, high, run);
        low = high;
      }
    }
    timer.Mark("visitors");
    WriteCells(tx, shop_id, locked, run);
    timer.Mark("cells");
    tx.exec_params(kAdvanceWatermarks, shop_id, PgArray(locked), event_high, assignment_high,
                   options.lateness.count());
    timer.Mark("watermarks");
    for (std::size_t i = 0; i < experiment_ids.size(); ++i) {
      if (auto it = run.index.find(experiment_ids[i]); it != run.index.end()) reports[i] = run.reports[it->second];
    }
    setup.Mark("run");
    return reports;
  });
  setup.Mark("commit");
  return result;
}

void ForgetVisitors(pqxx::work& tx, const std::string& shop_id, const std::string& anon_ids_json) {
  tx.exec(kCreateTemp);
  // Waits for a run that holds these experiments (kLockWatermarks takes them in the same order), so that no run
  // folds a visitor after their row is gone.
  RunState run;
  std::vector<std::string> ids;
  for (const auto& row : tx.exec_params(
           "SELECT experiment_id::text FROM experiment_aggregation WHERE shop_id = $1 AND experiment_id IN "
           "(SELECT experiment_id FROM experiment_visitors WHERE shop_id = $1 "
           "AND anon_id IN (SELECT jsonb_array_elements_text($2::jsonb))) ORDER BY experiment_id FOR UPDATE",
           shop_id, anon_ids_json)) {
    run.index.emplace(row[0].as<std::string>(), ids.size());
    ids.push_back(row[0].as<std::string>());
  }
  run.deltas.resize(ids.size());
  run.reports.resize(ids.size());
  const pqxx::result removed = tx.exec_params(
      "DELETE FROM experiment_visitors WHERE shop_id = $1 "
      "AND anon_id IN (SELECT jsonb_array_elements_text($2::jsonb)) "
      "RETURNING experiment_id::text, variant, array_to_string(segments, ','), viewed, added_to_cart, began_checkout, "
      "purchased, revenue_cents, orders, NULL::text",
      shop_id, anon_ids_json);
  for (const auto& row : removed) {
    // A row of an experiment without a watermark row has never been aggregated into cells.
    const auto e = run.ExperimentOf(row[0]);
    if (!e) continue;
    AddContribution(run.deltas[*e], StoredOf(row, 1)->state.values, -1);
  }
  WriteCells(tx, shop_id, ids, run);
}

AggregationReport RunAggregation(db::Database& database, const std::string& shop_id, const std::string& experiment_id,
                                 const AggregationOptions& options) {
  return RunShopAggregation(database, shop_id, {experiment_id}, options)[0];
}

std::vector<AggregationReport> RecomputeShopAggregation(db::Database& database, const std::string& shop_id,
                                                        const std::vector<std::string>& experiment_ids,
                                                        const AggregationOptions& options) {
  const std::string ids = PgArray(experiment_ids);
  database.Run([&](pqxx::work& tx) {
    PhaseTimer timer("aggregation recompute", shop_id);
    for (const char* table : {"results_aggregates", "experiment_visitors", "experiment_aggregation"}) {
      tx.exec_params(fmt::format("DELETE FROM {} WHERE shop_id = $1 AND experiment_id = ANY($2::uuid[])", table),
                     shop_id, ids);
      timer.Mark(table);
    }
  });
  return RunShopAggregation(database, shop_id, experiment_ids, options);
}

AggregationReport RecomputeAggregation(db::Database& database, const std::string& shop_id,
                                       const std::string& experiment_id, const AggregationOptions& options) {
  return RecomputeShopAggregation(database, shop_id, {experiment_id}, options)[0];
}

std::vector<AggregationReport> RunAggregationPass(db::Database& database, const AggregationOptions& options) {
  const auto shops = database.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& row : tx.exec_params(kActiveExperiments, options.finished_grace.count())) {
      out[row[0].as<std::string>()].push_back(row[1].as<std::string>());
    }
    return out;
  });
  std::vector<AggregationReport> reports;
  for (const auto& [shop_id, experiment_ids] : shops) {
    try {
      auto shop_reports = RunShopAggregation(database, shop_id, experiment_ids, options);
      reports.insert(reports.end(), shop_reports.begin(), shop_reports.end());
    } catch (const db::Unavailable&) {
      throw;
    } catch (const std::exception& e) {
      // One shop's failure (e.g. a hand-edited definition) must not stop the others.
      log::Error("aggregation failed", {{"shop_id", shop_id}, {"error", e.what()}});
    }
  }
  return reports;
}

}  // namespace pagelift::experiments
