// Incremental, exact aggregation of experiment results; see aggregation.h.
#include "experiments/aggregation.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <unordered_map>
#include <unordered_set>

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
  CellSums cell;
  cell.n = 1;
  auto binary = [&cell](bool x) {
    cell.sum = x ? 1 : 0;
    cell.sum_squares = cell.sum;
  };
  const Int128 revenue = v.revenue_cents;
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
      cell.sum = revenue;
      cell.sum_squares = revenue * revenue;
      break;
    case Metric::kAverageOrderValue:
      cell.sum = revenue;
      cell.sum_squares = revenue * revenue;
      cell.denominator_sum = v.orders;
      cell.denominator_sum_squares = static_cast<Int128>(v.orders) * v.orders;
      cell.sum_products = revenue * v.orders;
      break;
  }
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
SELECT experiment_id::text, event_id_safe, assignment_seq_safe, orders_since::text
  FROM experiment_aggregation WHERE shop_id = $1 AND experiment_id = ANY($2::uuid[])
 ORDER BY experiment_id
   FOR UPDATE SKIP LOCKED
)sql";

// Read before the scans: every id at or below these was allocated before this run looked.
constexpr const char* kSequenceHighs = R"sql(
SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0),
       coalesce(pg_sequence_last_value(pg_get_serial_sequence('assignments', 'seq')::regclass), 0)
)sql";

constexpr const char* kCreateTemp = R"sql(
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_marks (
  experiment_id UUID PRIMARY KEY, event_safe BIGINT NOT NULL, assignment_safe BIGINT NOT NULL,
  orders_since TIMESTAMPTZ NOT NULL) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_dirty2 (
  anon_id TEXT NOT NULL, experiment_id UUID NOT NULL, PRIMARY KEY (anon_id, experiment_id)) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS pagelift_agg_visitors2 (
  experiment_id UUID NOT NULL, anon_id TEXT NOT NULL, remove BOOLEAN NOT NULL, variant TEXT NOT NULL,
  segments TEXT NOT NULL, viewed BOOLEAN NOT NULL, added_to_cart BOOLEAN NOT NULL, began_checkout BOOLEAN NOT NULL,
  purchased BOOLEAN NOT NULL, revenue_cents BIGINT NOT NULL, orders INT NOT NULL) ON COMMIT DELETE ROWS;
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

// New assignments of every locked experiment (its own seq watermark).
constexpr const char* kDirtyFromAssignments = R"sql(
INSERT INTO pagelift_agg_dirty2 (anon_id, experiment_id)
SELECT a.anon_id, a.experiment_id
  FROM pagelift_agg_marks m
  JOIN assignments a ON a.shop_id = $1 AND a.experiment_id = m.experiment_id AND a.seq > m.assignment_safe
ON CONFLICT DO NOTHING
)sql";

// Visitors with events since the smallest watermark ($2), once for the shop; a visitor is dirty for an experiment
// when their newest event is past that experiment's own watermark. Experiments on their first run (every assigned
// visitor already dirty) are left out of the smallest watermark, so a recomputation never scans the whole history.
std::string DirtyFromEventsAndOrdersSql() {
  return fmt::format(R"sql(
INSERT INTO pagelift_agg_dirty2 (anon_id, experiment_id)
SELECT a.anon_id, a.experiment_id
  FROM (SELECT anon_id, max(id) AS max_id FROM events WHERE shop_id = $1 AND id > $2 GROUP BY anon_id) e
  JOIN assignments a ON a.shop_id = $1 AND a.anon_id = e.anon_id
  JOIN pagelift_agg_marks m ON m.experiment_id = a.experiment_id AND e.max_id > m.event_safe
UNION
SELECT a.anon_id, a.experiment_id
  FROM (SELECT {} AS anon_id, max(o.updated_at) AS updated_at FROM orders_cache o
         WHERE o.shop_id = $1 AND o.updated_at > $3::timestamptz AND o.attribution IS NOT NULL GROUP BY 1) o
  JOIN assignments a ON a.shop_id = $1 AND a.anon_id = o.anon_id
  JOIN pagelift_agg_marks m ON m.experiment_id = a.experiment_id AND o.updated_at > m.orders_since
ON CONFLICT DO NOTHING
)sql",
                     kVisitorOf);
}

constexpr const char* kNextBatch =
    "SELECT max(anon_id), count(*) FROM (SELECT anon_id FROM pagelift_agg_dirty2 WHERE anon_id > $1 "
    "ORDER BY anon_id LIMIT $2) b";

constexpr const char* kBatchAssignments = R"sql(
SELECT a.anon_id, a.experiment_id::text, a.variant, (extract(epoch FROM a.assigned_at) * 1000000)::bigint
  FROM pagelift_agg_dirty2 d
  JOIN assignments a ON a.shop_id = $1 AND a.experiment_id = d.experiment_id AND a.anon_id = d.anon_id
 WHERE d.anon_id > $2 AND d.anon_id <= $3
)sql";

constexpr const char* kBatchEvents = R"sql(
SELECT e.anon_id, e.event_id::text, e.event_type, (extract(epoch FROM e.ts) * 1000000)::bigint, e.session_id,
       coalesce(e.experiment_id, ''), coalesce(lower(e.props->>'device'), ''),
       coalesce(e.props->>'visitor', e.props->>'returning', ''), coalesce(e.props->>'utm_medium', ''),
       coalesce(e.props->>'utm_source', ''), coalesce(e.props->>'referrer', ''), coalesce(e.props->>'order_id', ''),
       coalesce(e.props->>'total', e.props->>'value', e.props->>'revenue', '')
  FROM (SELECT DISTINCT anon_id FROM pagelift_agg_dirty2 WHERE anon_id > $2 AND anon_id <= $3) d
  JOIN events e ON e.shop_id = $1 AND e.anon_id = d.anon_id
)sql";

std::string BatchOrdersSql() {
  return fmt::format(
      "SELECT d.anon_id, o.order_id, (o.total * 100)::bigint, (extract(epoch FROM o.created_at) * 1000000)::bigint "
      "FROM (SELECT DISTINCT anon_id FROM pagelift_agg_dirty2 WHERE anon_id > $2 AND anon_id <= $3) d "
      "JOIN orders_cache o ON o.shop_id = $1 AND {} = d.anon_id AND o.attribution IS NOT NULL",
      kVisitorOf);
}

constexpr const char* kBatchState = R"sql(
SELECT v.anon_id, v.experiment_id::text, v.variant, array_to_string(v.segments, ','), v.viewed, v.added_to_cart,
       v.began_checkout, v.purchased, v.revenue_cents, v.orders
  FROM pagelift_agg_dirty2 d
  JOIN experiment_visitors v ON v.shop_id = $1 AND v.experiment_id = d.experiment_id AND v.anon_id = d.anon_id
 WHERE d.anon_id > $2 AND d.anon_id <= $3
)sql";

constexpr const char* kRemoveVisitors = R"sql(
DELETE FROM experiment_visitors v USING pagelift_agg_visitors2 s
 WHERE v.shop_id = $1 AND v.experiment_id = s.experiment_id AND v.anon_id = s.anon_id AND s.remove
)sql";

constexpr const char* kUpsertVisitors = R"sql(
INSERT INTO experiment_visitors (shop_id, experiment_id, anon_id, variant, segments, viewed, added_to_cart,
                                 began_checkout, purchased, revenue_cents, orders, updated_at)
SELECT $1, experiment_id, anon_id, variant, string_to_array(nullif(segments, ''), ','), viewed, added_to_cart,
       began_checkout, purchased, revenue_cents, orders, now()
  FROM pagelift_agg_visitors2 WHERE NOT remove
ON CONFLICT (shop_id, experiment_id, anon_id) DO UPDATE SET
  variant = EXCLUDED.variant, segments = EXCLUDED.segments, viewed = EXCLUDED.viewed,
  added_to_cart = EXCLUDED.added_to_cart, began_checkout = EXCLUDED.began_checkout, purchased = EXCLUDED.purchased,
  revenue_cents = EXCLUDED.revenue_cents, orders = EXCLUDED.orders, updated_at = now()
)sql";

// Folds the deltas in, then drops cells that are back to nothing (a recomputation from scratch would not have them).
constexpr const char* kApplyCells = R"sql(
INSERT INTO results_aggregates AS r (shop_id, experiment_id, variant, segment, metric, n, sum, sum_squares,
                                     denominator_sum, denominator_sum_squares, sum_products, updated_at)
SELECT $1, experiment_id, variant, segment, metric, n, sum, sum_squares, denominator_sum, denominator_sum_squares,
       sum_products, now()
  FROM pagelift_agg_cells2
ON CONFLICT (shop_id, experiment_id, variant, segment, metric) DO UPDATE SET
  n = r.n + EXCLUDED.n, sum = r.sum + EXCLUDED.sum, sum_squares = r.sum_squares + EXCLUDED.sum_squares,
  denominator_sum = r.denominator_sum + EXCLUDED.denominator_sum,
  denominator_sum_squares = r.denominator_sum_squares + EXCLUDED.denominator_sum_squares,
  sum_products = r.sum_products + EXCLUDED.sum_products, updated_at = now()
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

// One visitor's membership of one experiment in a batch: their assignment (none: no longer a unit) and the values
// stored by the last run (none: not counted yet).
struct Membership {
  std::optional<Exposure> exposure;
  std::optional<VisitorValues> stored;
};

struct VisitorData {
  std::vector<VisitorEvent> events;
  std::vector<VisitorOrder> orders;
  std::map<std::size_t, Membership> experiments;  // index into the run's experiments
};

// The experiments of one run, their deltas and reports, in the order of the locked watermark rows.
struct RunState {
  std::vector<Experiment> experiments;
  std::unordered_map<std::string, std::size_t> index;  // experiment id → position
  std::vector<CellDeltas> deltas;
  std::vector<AggregationReport> reports;
};

// One batch of dirty visitors (anon_id in (low, high]) of every experiment of the run: recompute, diff against the
// stored values, stage the changed visitors and accumulate the cell deltas.
void ProcessBatch(pqxx::work& tx, const std::string& shop_id, const std::string& low, const std::string& high,
                  RunState& run) {
  std::unordered_map<std::string, VisitorData> visitors;
  auto experiment_of = [&run](const pqxx::field& field) -> std::optional<std::size_t> {
    const auto it = run.index.find(field.as<std::string>());
    return it == run.index.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  };
  for (const auto& row : tx.exec_params(kBatchAssignments, shop_id, low, high)) {
    if (auto e = experiment_of(row[1])) {
      visitors[row[0].as<std::string>()].experiments[*e].exposure =
          Exposure{row[2].as<std::string>(), row[3].as<std::int64_t>()};
    }
  }
  for (const auto& row : tx.exec_params(kBatchState, shop_id, low, high)) {
    const auto e = experiment_of(row[1]);
    if (!e) continue;
    VisitorValues v;
    v.variant = row[2].as<std::string>();
    v.segments = SplitSegments(row[3].as<std::string>());
    v.viewed = row[4].as<bool>();
    v.added_to_cart = row[5].as<bool>();
    v.began_checkout = row[6].as<bool>();
    v.purchased = row[7].as<bool>();
    v.revenue_cents = row[8].as<std::int64_t>();
    v.orders = row[9].as<std::int32_t>();
    visitors[row[0].as<std::string>()].experiments[*e].stored = std::move(v);
  }
  for (const auto& row : tx.exec_params(kBatchEvents, shop_id, low, high)) {
    const auto it = visitors.find(row[0].as<std::string>());
    if (it == visitors.end()) continue;  // dirty for no experiment of this run (cannot happen; cheap to guard)
    VisitorEvent event;
    event.event_id = row[1].as<std::string>();
    event.type = row[2].as<std::string>();
    event.ts_us = row[3].as<std::int64_t>();
    event.session_id = row[4].as<std::string>();
    event.experiment_id = row[5].as<std::string>();
    event.device = row[6].as<std::string>();
    event.visitor = row[7].as<std::string>();
    event.utm_medium = row[8].as<std::string>();
    event.utm_source = row[9].as<std::string>();
    event.referrer = row[10].as<std::string>();
    event.order_id = row[11].as<std::string>();
    event.value_cents = ParseCents(row[12].as<std::string>());
    it->second.events.push_back(std::move(event));
  }
  for (const auto& row : tx.exec_params(BatchOrdersSql(), shop_id, low, high)) {
    const auto it = visitors.find(row[0].as<std::string>());
    if (it == visitors.end()) continue;
    it->second.orders.push_back(
        VisitorOrder{row[1].as<std::string>(), row[2].as<std::int64_t>(), row[3].as<std::int64_t>()});
  }

  pqxx::stream_to staging(tx, "pagelift_agg_visitors2",
                          std::vector<std::string>{"experiment_id", "anon_id", "remove", "variant", "segments",
                                                   "viewed", "added_to_cart", "began_checkout", "purchased",
                                                   "revenue_cents", "orders"});
  for (auto& [anon_id, data] : visitors) {
    for (auto& [e, member] : data.experiments) {
      const Experiment& experiment = run.experiments[e];
      AggregationReport& report = run.reports[e];
      std::optional<VisitorValues> current;
      // A visitor counts once assigned to one of the experiment's variants (an exposure naming an unknown variant,
      // e.g. from a stale script, is not a unit of this experiment).
      if (member.exposure && experiment.VariantIndex(member.exposure->variant) >= 0) {
        current = ComputeVisitorValues(experiment.id, *member.exposure, data.events, data.orders,
                                       experiment.definition.guardrails.revenue_cap_cents);
      }
      if (!member.exposure && !member.stored) continue;
      ++report.visitors;
      if (current == member.stored) continue;
      ++report.changed;
      if (member.stored) AddContribution(run.deltas[e], *member.stored, -1);
      if (current) AddContribution(run.deltas[e], *current, +1);
      const VisitorValues& v = current ? *current : *member.stored;
      staging << std::make_tuple(experiment.id, anon_id, BoolText(!current), v.variant, JoinSegments(v.segments),
                                 BoolText(v.viewed), BoolText(v.added_to_cart), BoolText(v.began_checkout),
                                 BoolText(v.purchased), v.revenue_cents, v.orders);
    }
  }
  staging.complete();
  tx.exec_params(kRemoveVisitors, shop_id);
  tx.exec_params(kUpsertVisitors, shop_id);
  tx.exec("TRUNCATE pagelift_agg_visitors2");
}

void WriteCells(pqxx::work& tx, const std::string& shop_id, const std::vector<std::string>& ids, RunState& run) {
  std::int64_t staged = 0;
  {
    pqxx::stream_to staging(tx, "pagelift_agg_cells2",
                            std::vector<std::string>{"experiment_id", "variant", "segment", "metric", "n", "sum",
                                                     "sum_squares", "denominator_sum", "denominator_sum_squares",
                                                     "sum_products"});
    for (std::size_t e = 0; e < run.experiments.size(); ++e) {
      for (const auto& [key, cell] : run.deltas[e]) {
        if (cell.IsZero()) continue;
        const auto& [variant, segment, metric] = key;
        const Scales scales = ScalesOf(metric);
        staging << std::make_tuple(run.experiments[e].id, variant, segment, std::string(MetricName(metric)), cell.n,
                                   FormatScaled(cell.sum, scales.sum),
                                   FormatScaled(cell.sum_squares, scales.sum_squares),
                                   FormatScaled(cell.denominator_sum, 0),
                                   FormatScaled(cell.denominator_sum_squares, 0),
                                   FormatScaled(cell.sum_products, scales.products));
        ++run.reports[e].cells;
        ++staged;
      }
    }
    staging.complete();
  }
  if (staged > 0) {
    tx.exec_params(kApplyCells, shop_id);
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

VisitorValues ComputeVisitorValues(std::string_view experiment_id, const Exposure& exposure,
                                   std::span<const VisitorEvent> events, std::span<const VisitorOrder> orders,
                                   std::optional<std::int64_t> revenue_cap_cents) {
  // Deduplicate by event id, keeping the earliest copy, so that the order rows arrive in never matters.
  std::vector<const VisitorEvent*> sorted;
  sorted.reserve(events.size());
  for (const VisitorEvent& e : events) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const VisitorEvent* a, const VisitorEvent* b) {
    return std::tie(a->ts_us, a->event_id, a->type) < std::tie(b->ts_us, b->event_id, b->type);
  });
  std::unordered_set<std::string_view> seen;
  std::vector<const VisitorEvent*> unique;
  unique.reserve(sorted.size());
  for (const VisitorEvent* e : sorted) {
    if (seen.insert(e->event_id).second) unique.push_back(e);
  }

  VisitorValues v;
  v.variant = exposure.variant;
  std::map<std::string, std::int64_t> order_totals;  // order key → cents
  for (const VisitorOrder& o : orders) {
    if (o.created_us >= exposure.assigned_us) order_totals.emplace(o.order_id, o.total_cents);
  }
  const VisitorEvent* segment_source = nullptr;
  for (const VisitorEvent* e : unique) {
    if (e->type == "exposure" && e->experiment_id == experiment_id) {
      segment_source = e;
      break;
    }
  }
  for (const VisitorEvent* e : unique) {
    if (e->ts_us < exposure.assigned_us) continue;
    if (segment_source == nullptr) segment_source = e;
    if (e->type == "product_view") {
      v.viewed = true;
    } else if (e->type == "add_to_cart") {
      v.added_to_cart = true;
    } else if (e->type == "begin_checkout") {
      v.began_checkout = true;
    } else if (e->type == "purchase" || e->type == "checkout_completed") {
      v.purchased = true;
      const std::string key = e->order_id.empty() ? "event:" + e->event_id : e->order_id;
      order_totals.emplace(key, e->value_cents.value_or(0));
    }
  }
  if (!order_totals.empty()) v.purchased = true;
  std::int64_t revenue = 0;
  for (const auto& [key, cents] : order_totals) revenue += cents;
  if (revenue_cap_cents) revenue = std::min(revenue, *revenue_cap_cents);
  v.revenue_cents = revenue;
  v.orders = static_cast<std::int32_t>(order_totals.size());

  if (segment_source != nullptr) {
    const std::string device = Lower(segment_source->device);
    if (device == "mobile" || device == "desktop" || device == "tablet") v.segments.push_back("device:" + device);
    const std::string visitor = Lower(segment_source->visitor);
    if (visitor == "new" || visitor == "false") {
      v.segments.emplace_back("visitor:new");
    } else if (visitor == "returning" || visitor == "true") {
      v.segments.emplace_back("visitor:returning");
    } else {
      // Not reported by the script: returning when an earlier session of this visitor exists.
      const bool returning = std::any_of(unique.begin(), unique.end(), [&](const VisitorEvent* e) {
        return e->ts_us < segment_source->ts_us && e->session_id != segment_source->session_id;
      });
      v.segments.emplace_back(returning ? "visitor:returning" : "visitor:new");
    }
    v.segments.push_back(
        "source:" + std::string(ClassifySource(segment_source->utm_medium, segment_source->utm_source,
                                               segment_source->referrer)));
  }
  std::sort(v.segments.begin(), v.segments.end());
  return v;
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

void AddContribution(CellDeltas& deltas, const VisitorValues& values, int sign) {
  // A visitor's cells are the same in every segment they belong to: build them once, and one key per segment.
  constexpr auto kMetrics = static_cast<std::size_t>(kMetricCount);
  std::array<CellSums, kMetrics> cells;
  for (std::size_t i = 0; i < kMetrics; ++i) {
    cells[i] = CellOf(values, kAllMetrics[i]);
    if (sign < 0) cells[i] = Negated(cells[i]);
  }
  auto add = [&](std::string_view segment) {
    CellKey key{values.variant, std::string(segment), kAllMetrics[0]};
    for (std::size_t i = 0; i < kMetrics; ++i) {
      std::get<2>(key) = kAllMetrics[i];
      deltas[key] += cells[i];
    }
  };
  add("");
  for (const auto& s : values.segments) add(s);
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
  // A separate short transaction, so that two first runs do not wait on each other's insert of the rows.
  database.Run([&](pqxx::work& tx) { tx.exec_params(kEnsureWatermarks, shop_id, requested); });
  return database.Run([&](pqxx::work& tx) {
    std::vector<AggregationReport> reports = skipped;
    RunState run;
    std::vector<std::string> locked;
    tx.exec(kCreateTemp);
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::string>> marks;
    for (const auto& row : tx.exec_params(kLockWatermarks, shop_id, requested)) {
      const std::string id = row[0].as<std::string>();
      auto experiment = repository.Find(tx, shop_id, id);
      if (!experiment) continue;  // deleted meanwhile
      marks.emplace_back(id, row[1].as<std::int64_t>(), row[2].as<std::int64_t>(), row[3].as<std::string>());
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

    tx.exec_params(kDirtyFromAssignments, shop_id);
    // Experiments on their first run have every assigned visitor dirty already: they set no scan start, so a
    // recomputation never scans the whole history.
    const pqxx::result scan_from = tx.exec(
        "SELECT min(event_safe), min(orders_since)::text FROM pagelift_agg_marks "
        "WHERE event_safe <> 0 OR assignment_safe <> 0");
    if (!scan_from[0][0].is_null()) {
      tx.exec_params(DirtyFromEventsAndOrdersSql(), shop_id, scan_from[0][0].as<std::int64_t>(),
                     scan_from[0][1].as<std::string>());
    }

    std::string low;  // "" sorts before every anon_id (collect refuses empty ones)
    for (;;) {
      const pqxx::result batch = tx.exec_params(kNextBatch, low, options.visitors_per_batch);
      if (batch[0][1].as<std::int64_t>() == 0) break;
      const std::string high = batch[0][0].as<std::string>();
      ProcessBatch(tx, shop_id, low, high, run);
      low = high;
    }
    WriteCells(tx, shop_id, locked, run);
    tx.exec_params(kAdvanceWatermarks, shop_id, PgArray(locked), event_high, assignment_high,
                   options.lateness.count());
    for (std::size_t i = 0; i < experiment_ids.size(); ++i) {
      if (auto it = run.index.find(experiment_ids[i]); it != run.index.end()) reports[i] = run.reports[it->second];
    }
    return reports;
  });
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
    for (const char* table : {"results_aggregates", "experiment_visitors", "experiment_aggregation"}) {
      tx.exec_params(fmt::format("DELETE FROM {} WHERE shop_id = $1 AND experiment_id = ANY($2::uuid[])", table),
                     shop_id, ids);
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
