// Experiment results from the aggregates; see results.h.
#include "experiments/results.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "experiments/aggregation.h"

namespace pagelift::experiments {

namespace json = boost::json;

namespace {

constexpr const char* kReadAggregates = R"sql(
SELECT variant, segment, metric, n, sum::float8, sum_squares::float8, denominator_sum::float8,
       denominator_sum_squares::float8, sum_products::float8, pre_sum::float8, pre_sum_squares::float8,
       pre_sum_products::float8
  FROM results_aggregates WHERE shop_id = $1 AND experiment_id = $2::uuid
)sql";

constexpr const char* kDaysRunning = R"sql(
SELECT coalesce(extract(epoch FROM (coalesce(ended_at, now()) - started_at)) / 86400, 0)::float8
  FROM experiments WHERE shop_id = $1 AND id = $2::uuid
)sql";

// Per variant and first-exposure day, the sums of every per-visitor value (money in currency units, as the
// aggregates store it), so that any metric's VariantStats can be built from them (StatsOfDay).
constexpr const char* kReadDaily = R"sql(
SELECT v.variant, to_char((a.assigned_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(*),
       count(*) FILTER (WHERE v.viewed), count(*) FILTER (WHERE v.added_to_cart),
       count(*) FILTER (WHERE v.began_checkout), count(*) FILTER (WHERE v.purchased),
       (sum(v.revenue_cents) / 100.0)::float8, (sum(v.revenue_cents::numeric * v.revenue_cents) / 10000.0)::float8,
       sum(v.orders)::float8, sum(v.orders::bigint * v.orders)::float8,
       (sum(v.revenue_cents::numeric * v.orders) / 100.0)::float8
  FROM experiment_visitors v
  JOIN assignments a ON a.shop_id = v.shop_id AND a.experiment_id = v.experiment_id AND a.anon_id = v.anon_id
 WHERE v.shop_id = $1 AND v.experiment_id = $2::uuid
 GROUP BY 1, 2
)sql";

// Every day from `first` to `last` (YYYY-MM-DD), so that the chart's x axis has no holes.
constexpr const char* kDaysBetween = R"sql(
SELECT to_char(d, 'YYYY-MM-DD') FROM generate_series($1::date, $2::date, interval '1 day') d
)sql";

// One day's (or, summed, the days up to one's) per-visitor sums of one variant, money in currency units.
using DaySums = ValueSums<double>;

DaySums& operator+=(DaySums& a, const DaySums& b) {
  a.n += b.n;
  a.viewed += b.viewed;
  a.added_to_cart += b.added_to_cart;
  a.began_checkout += b.began_checkout;
  a.purchased += b.purchased;
  a.revenue += b.revenue;
  a.revenue_squares += b.revenue_squares;
  a.orders += b.orders;
  a.orders_squares += b.orders_squares;
  a.revenue_orders += b.revenue_orders;
  return a;
}

// The same sufficient statistics the aggregation folds into results_aggregates for `metric` (MetricSumsOf).
VariantStats StatsOfDay(const DaySums& d, Metric metric) {
  const MetricSums<double> m = MetricSumsOf(d, metric);
  VariantStats s;
  s.n = static_cast<std::int64_t>(d.n);
  s.sum = m.sum;
  s.sum_squares = m.sum_squares;
  s.denominator = {m.denominator_sum, m.denominator_sum_squares};
  s.sum_products = m.sum_products;
  return s;
}

std::vector<DailyPoint> ComputeDaily(pqxx::work& tx, const Experiment& e, const AnalysisOptions& options) {
  const Definition& d = e.definition;
  std::map<std::string, std::vector<DaySums>> by_day;  // date → per variant
  for (const auto& row : tx.exec_params(kReadDaily, e.shop_id, e.id)) {
    const int variant = e.VariantIndex(row[0].as<std::string>());
    if (variant < 0) continue;
    auto& arms = by_day[row[1].as<std::string>()];
    arms.resize(d.variants.size());
    DaySums& sums = arms[static_cast<std::size_t>(variant)];
    sums.n = row[2].as<double>();
    sums.viewed = row[3].as<double>();
    sums.added_to_cart = row[4].as<double>();
    sums.began_checkout = row[5].as<double>();
    sums.purchased = row[6].as<double>();
    sums.revenue = row[7].as<double>();
    sums.revenue_squares = row[8].as<double>();
    sums.orders = row[9].as<double>();
    sums.orders_squares = row[10].as<double>();
    sums.revenue_orders = row[11].as<double>();
  }
  std::vector<DailyPoint> out;
  if (by_day.empty()) return out;
  std::vector<DaySums> cumulative(d.variants.size());
  for (const auto& row : tx.exec_params(kDaysBetween, by_day.begin()->first, by_day.rbegin()->first)) {
    DailyPoint point;
    point.date = row[0].as<std::string>();
    if (auto it = by_day.find(point.date); it != by_day.end()) {
      for (std::size_t i = 0; i < cumulative.size(); ++i) cumulative[i] += it->second[i];
    }
    for (const DaySums& sums : cumulative) point.stats.push_back(StatsOfDay(sums, d.primary_metric));
    point.analysis = AnalyzeCell(point.stats, d.weights, d.primary_metric, options, point.problem);
    out.push_back(std::move(point));
  }
  return out;
}

using CellMap = std::map<std::pair<std::string, Metric>, std::vector<VariantStats>>;  // (segment, metric) → arms

std::vector<Metric> ReportedMetrics(const Definition& d) {
  std::vector<Metric> metrics = {d.primary_metric};
  auto add = [&metrics](Metric m) {
    if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) metrics.push_back(m);
  };
  for (Metric m : d.secondary_metrics) add(m);
  for (Metric m : d.guardrail_metrics) add(m);
  for (const SegmentGuard& g : d.guardrails.segment_guards) add(g.metric);
  return metrics;
}

Comparison ComparisonOf(const MetricSegmentResult& cell, std::size_t variant) {
  Comparison comparison;
  if (!cell.analysis) {
    comparison.status = LiftStatus::kZeroVariance;  // no statistic: neutral for Judge
    return comparison;
  }
  const VariantResult& result = cell.analysis->variants.at(variant);
  comparison.status = result.status;
  if (result.lift) comparison.lift = *result.lift;
  return comparison;
}

const MetricSegmentResult* FindCell(const std::vector<MetricSegmentResult>& cells, Metric metric,
                                    std::string_view segment) {
  for (const auto& cell : cells) {
    if (cell.metric == metric && cell.segment == segment) return &cell;
  }
  return nullptr;
}

// The experiment's decision from its variants': ship the best shipping variant; roll back only when every variant
// loses; inconclusive when every variant is; otherwise keep running.
Decision Combine(const std::vector<VariantDecision>& decisions) {
  if (decisions.empty()) return Decision::kKeepRunning;
  auto all = [&](Decision d) {
    return std::all_of(decisions.begin(), decisions.end(), [d](const auto& v) { return v.result.decision == d; });
  };
  if (std::any_of(decisions.begin(), decisions.end(),
                  [](const auto& v) { return v.result.decision == Decision::kShip; })) {
    return Decision::kShip;
  }
  if (all(Decision::kRollBack)) return Decision::kRollBack;
  if (all(Decision::kInconclusive)) return Decision::kInconclusive;
  return Decision::kKeepRunning;
}

json::value Optional(const std::optional<double>& value) { return value ? json::value(*value) : json::value(nullptr); }

json::object LiftToJson(const Lift& lift) {
  json::object out{{"expected", lift.expected}, {"stddev", lift.stddev}, {"ci", json::array{lift.ci[0], lift.ci[1]}}};
  out["chance_to_win"] = Optional(lift.chance_to_win);
  out["risk"] = lift.risk ? json::value(json::array{(*lift.risk)[0], (*lift.risk)[1]}) : json::value(nullptr);
  out["p_value"] = Optional(lift.p_value);
  out["p_value_adjusted"] = Optional(lift.p_value_adjusted);
  return out;
}

}  // namespace

MetricSpec SpecOf(Metric metric) {
  MetricSpec spec;
  switch (metric) {
    case Metric::kRevenuePerVisitor:
      spec.type = MetricType::kMean;
      break;
    case Metric::kAverageOrderValue:
      spec.type = MetricType::kRatio;
      spec.numerator = ValueKind::kMean;
      spec.denominator = ValueKind::kMean;
      break;
    default:
      spec.type = MetricType::kProportion;
      break;
  }
  return spec;
}

Result<ExperimentResults> ComputeResults(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                         const std::string& experiment_id, const AnalysisOptions& options) {
  auto experiment = repository.Find(tx, shop_id, experiment_id);
  if (!experiment) return MakeError(ErrorCode::kNotFound, "no such experiment", {{"experiment", experiment_id}});
  ExperimentResults results;
  results.experiment = std::move(*experiment);
  const Experiment& e = results.experiment;
  const Definition& d = e.definition;
  const std::size_t arms = d.variants.size();

  CellMap cells;
  for (const auto& row : tx.exec_params(kReadAggregates, shop_id, e.id)) {
    const int variant = e.VariantIndex(row[0].as<std::string>());
    const auto metric = ParseMetric(row[2].as<std::string>());
    if (variant < 0 || !metric) continue;  // a variant or metric this experiment no longer reports
    auto& stats = cells[{row[1].as<std::string>(), *metric}];
    stats.resize(arms);
    VariantStats& s = stats[static_cast<std::size_t>(variant)];
    s.n = row[3].as<std::int64_t>();
    s.sum = row[4].as<double>();
    s.sum_squares = row[5].as<double>();
    s.denominator = {row[6].as<double>(), row[7].as<double>()};
    s.sum_products = row[8].as<double>();
    s.pre = {row[9].as<double>(), row[10].as<double>()};
    s.pre_sum_products = row[11].as<double>();
  }
  results.days_running = tx.exec_params(kDaysRunning, shop_id, e.id)[0][0].as<double>();

  // Overall visitors per arm (n is the same in every metric row of an arm and segment).
  results.visitors.assign(arms, 0);
  if (auto it = cells.find({"", d.primary_metric}); it != cells.end()) {
    for (std::size_t i = 0; i < arms; ++i) results.visitors[i] = it->second[i].n;
  }
  results.srm_p_value = SampleRatioMismatchPValue(results.visitors, d.weights);

  const std::vector<Metric> metrics = ReportedMetrics(d);
  std::set<std::string> segments = {""};
  for (const auto& [key, stats] : cells) segments.insert(key.first);
  for (const std::string& segment : segments) {
    for (Metric metric : metrics) {
      MetricSegmentResult cell;
      cell.metric = metric;
      cell.segment = segment;
      auto it = cells.find({segment, metric});
      cell.stats = it != cells.end() ? it->second : std::vector<VariantStats>(arms);
      if (segment != "" && it == cells.end()) continue;
      cell.analysis = AnalyzeCell(cell.stats, d.weights, metric, options, cell.problem);
      results.metrics.push_back(std::move(cell));
    }
  }

  DecisionPolicy policy;
  policy.max_duration_days = d.guardrails.max_duration_days;
  const MetricSegmentResult* primary = FindCell(results.metrics, d.primary_metric, "");
  const MetricSegmentResult* purchases = FindCell(results.metrics, Metric::kPurchaseRate, "");
  const bool primary_is_rate = SpecOf(d.primary_metric).type == MetricType::kProportion;
  std::vector<ArmVolume> volumes(arms);
  for (std::size_t i = 0; i < arms; ++i) {
    volumes[i].n = results.visitors[i];
    const MetricSegmentResult* conversions = primary_is_rate ? primary : purchases;
    if (conversions != nullptr) volumes[i].conversions = conversions->stats[i].sum;
  }
  const bool min_sample_met =
      !d.guardrails.min_sample ||
      std::all_of(results.visitors.begin(), results.visitors.end(),
                  [&](std::int64_t n) { return n >= *d.guardrails.min_sample; });
  results.sufficient = min_sample_met;
  for (std::size_t i = 1; i < arms; ++i) {
    DecisionInput input;
    input.primary = {std::string(MetricName(d.primary_metric)), "", false,
                     primary ? ComparisonOf(*primary, i) : Comparison{}};
    for (Metric g : d.guardrail_metrics) {
      if (const auto* cell = FindCell(results.metrics, g, "")) {
        input.guardrails.push_back({std::string(MetricName(g)), "", false, ComparisonOf(*cell, i)});
      }
    }
    for (const SegmentGuard& guard : d.guardrails.segment_guards) {
      if (const auto* cell = FindCell(results.metrics, guard.metric, guard.segment)) {
        input.guardrails.push_back({std::string(MetricName(guard.metric)), guard.segment, false, ComparisonOf(*cell, i)});
      }
    }
    input.arms = volumes;
    input.srm_p_value = results.srm_p_value;
    input.days_running = results.days_running;
    DecisionResult decision = Decide(input, policy);
    if (!min_sample_met && (decision.decision == Decision::kShip || decision.decision == Decision::kRollBack)) {
      decision.decision = Decision::kKeepRunning;
      decision.reasons.push_back(
          {"min_sample", fmt::format("every arm needs {} visitors before a decision", *d.guardrails.min_sample)});
    }
    if (decision.decision == Decision::kRollBack || decision.decision == Decision::kShip) {
      results.sufficient = results.sufficient &&
                           std::none_of(decision.reasons.begin(), decision.reasons.end(),
                                        [](const DecisionReason& r) { return r.code == "min_data"; });
    } else if (std::any_of(decision.reasons.begin(), decision.reasons.end(),
                           [](const DecisionReason& r) { return r.code == "min_data"; })) {
      results.sufficient = false;
    }
    results.decisions.push_back({d.variants[i].key, std::move(decision)});
  }
  results.decision = Combine(results.decisions);
  results.daily = ComputeDaily(tx, results.experiment, options);
  return results;
}

std::optional<AnalysisResult> AnalyzeCell(std::span<const VariantStats> stats, std::span<const double> weights,
                                          Metric metric, const AnalysisOptions& options,
                                          std::optional<std::string>& problem) {
  const MetricSpec spec = SpecOf(metric);
  if (std::any_of(stats.begin(), stats.end(), [](const VariantStats& s) { return s.n == 0; })) {
    problem = "an arm has no visitors yet";
    return std::nullopt;
  }
  if (auto invalid = ValidateAnalysisInput(stats, weights, spec, options)) {
    problem = invalid->field + ": " + invalid->message;
    return std::nullopt;
  }
  return Analyze(stats, weights, spec, options);
}

json::object ResultsToJson(const ExperimentResults& r) {
  const Experiment& e = r.experiment;
  json::array variants;
  for (std::size_t i = 0; i < e.definition.variants.size(); ++i) {
    variants.push_back(json::object{{"key", e.definition.variants[i].key},
                                    {"weight", e.definition.weights[i]},
                                    {"visitors", r.visitors[i]}});
  }
  json::array metrics;
  for (const MetricSegmentResult& cell : r.metrics) {
    json::array arms;
    for (std::size_t i = 0; i < cell.stats.size(); ++i) {
      json::object arm{{"key", e.definition.variants[i].key}, {"n", cell.stats[i].n}, {"sum", cell.stats[i].sum}};
      if (cell.analysis) {
        const VariantResult& v = cell.analysis->variants[i];
        arm["mean"] = v.mean;
        arm["variance"] = v.variance;
        arm["status"] = LiftStatusName(v.status);
        arm["lift"] = v.lift ? json::value(LiftToJson(*v.lift)) : json::value(nullptr);
      }
      arms.push_back(std::move(arm));
    }
    json::object out{{"metric", MetricName(cell.metric)}, {"segment", cell.segment}, {"variants", std::move(arms)}};
    out["problem"] = cell.problem ? json::value(*cell.problem) : json::value(nullptr);
    metrics.push_back(std::move(out));
  }
  json::array decisions;
  for (const VariantDecision& v : r.decisions) {
    json::array reasons;
    for (const DecisionReason& reason : v.result.reasons) {
      reasons.push_back(json::object{{"code", reason.code}, {"message", reason.message}});
    }
    decisions.push_back(json::object{
        {"variant", v.variant}, {"decision", DecisionName(v.result.decision)}, {"reasons", std::move(reasons)}});
  }
  json::array days;
  for (const DailyPoint& point : r.daily) {
    json::array arms;
    for (std::size_t i = 0; i < point.stats.size(); ++i) {
      json::object arm{{"key", e.definition.variants[i].key},
                       {"visitors", point.stats[i].n},
                       {"conversions", point.stats[i].sum}};
      const VariantResult* v = point.analysis ? &point.analysis->variants[i] : nullptr;
      arm["rate"] = v ? v->mean : (point.stats[i].n > 0 ? point.stats[i].sum / static_cast<double>(point.stats[i].n) : 0.0);
      arm["lift"] = v && v->lift ? json::value(LiftToJson(*v->lift)) : json::value(nullptr);
      arms.push_back(std::move(arm));
    }
    json::object day{{"date", point.date}, {"variants", std::move(arms)}};
    day["problem"] = point.problem ? json::value(*point.problem) : json::value(nullptr);
    days.push_back(std::move(day));
  }
  json::object daily{{"metric", MetricName(e.definition.primary_metric)}, {"segment", ""}, {"days", std::move(days)}};
  return json::object{{"experiment", ExperimentToJson(e)},
                      {"daily", std::move(daily)},
                      {"variants", std::move(variants)},
                      {"srm_p_value", r.srm_p_value},
                      {"days_running", r.days_running},
                      {"sufficient", r.sufficient},
                      {"decision", DecisionName(r.decision)},
                      {"decisions", std::move(decisions)},
                      {"metrics", std::move(metrics)}};
}

}  // namespace pagelift::experiments
