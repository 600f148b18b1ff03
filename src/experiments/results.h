// An experiment's results: results_aggregates (aggregation.h) → the statistics engine (stats.h) per metric ×
// segment, the sample-ratio check, data sufficiency, and the ship / roll back / keep running decision with its
// reasons (statistics.md, "Decisions"). Read-only; computed on every request from the sums (fast: closed form).
// The daily time series for charts (cumulative results of the primary metric, overall segment) is computed from the
// per-visitor state (experiment_visitors) grouped by each visitor's first-exposure day (assignments.assigned_at,
// UTC): day d shows every visitor first exposed on or before d with their values as of now (docs/statistics.md).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "experiments/definition.h"
#include "experiments/repository.h"
#include "experiments/stats.h"

namespace pagelift::experiments {

// How each metric is analysed: rates are proportions, revenue per visitor a mean, average order value a ratio.
MetricSpec SpecOf(Metric metric);

struct MetricSegmentResult {
  Metric metric = Metric::kPurchaseRate;
  std::string segment;               // "" = every visitor
  std::vector<VariantStats> stats;   // per variant, in the experiment's order
  std::optional<AnalysisResult> analysis;
  std::optional<std::string> problem;  // why there is no analysis (e.g. an arm without visitors)
};

// One day of the cumulative time series: the primary metric's per-variant stats over visitors first exposed on or
// before `date`, and their analysis (nullopt with `problem` when there is none yet, e.g. an empty arm).
struct DailyPoint {
  std::string date;  // YYYY-MM-DD (UTC)
  std::vector<VariantStats> stats;
  std::optional<AnalysisResult> analysis;
  std::optional<std::string> problem;
};

struct VariantDecision {
  std::string variant;
  DecisionResult result;
};

struct ExperimentResults {
  Experiment experiment;
  std::vector<std::int64_t> visitors;  // overall, per variant
  double srm_p_value = 1;
  double days_running = 0;
  bool sufficient = false;  // minimum data met for every variant (see Decide's min_data)
  std::vector<MetricSegmentResult> metrics;  // primary, secondary and guardrail metrics × segments with data
  std::vector<VariantDecision> decisions;    // each variant against the control
  Decision decision = Decision::kKeepRunning;  // the experiment's: ship if a variant ships, roll back if all lose
  std::vector<DailyPoint> daily;               // cumulative, one point per day from the first exposure to the last
};

// Analysis of one cell, or the reason there is none (an empty arm, or input the engine refuses).
std::optional<AnalysisResult> AnalyzeCell(std::span<const VariantStats> stats, std::span<const double> weights,
                                          Metric metric, const AnalysisOptions& options,
                                          std::optional<std::string>& problem);

// 404 when the shop has no such experiment.
Result<ExperimentResults> ComputeResults(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                         const std::string& experiment_id, const AnalysisOptions& options = {});

boost::json::object ResultsToJson(const ExperimentResults& results);

}  // namespace pagelift::experiments
