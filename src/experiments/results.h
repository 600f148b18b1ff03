// An experiment's results: results_aggregates (aggregation.h) → the statistics engine (stats.h) per metric ×
// segment, the sample-ratio check, data sufficiency, and the ship / roll back / keep running decision with its
// reasons (statistics.md, "Decisions"). Read-only; computed on every request from the sums (fast: closed form).
// A daily time series for charts is not computed yet (it needs per-day cumulative sums; see the report).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <pqxx/pqxx>
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
};

// 404 when the shop has no such experiment.
Result<ExperimentResults> ComputeResults(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                         const std::string& experiment_id, const AnalysisOptions& options = {});

boost::json::object ResultsToJson(const ExperimentResults& results);

}  // namespace pagelift::experiments
