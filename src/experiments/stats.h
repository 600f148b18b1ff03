// The experiment statistics engine (../shared/spec/statistics.md): closed-form results from per-variant sufficient
// statistics (n, Σx, Σx², ...), reproducing GrowthBook's gbstats numbers on the same inputs. Bayesian (default),
// frequentist (Welch) and sequential (always-valid confidence sequences) engines; relative or absolute effects;
// proportion, mean and ratio (delta method) metrics; CUPED; Holm / Benjamini-Hochberg corrections; the
// sample-ratio-mismatch check; and the ship / roll back / keep running decision.
// Pure functions, no I/O: the results API, the aggregation worker, `pagelift stats` and the benchmark share them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pagelift::experiments {

enum class MetricType { kProportion, kMean, kRatio };
// How one per-visitor value is distributed: a 0/1 value (variance p(1 − p)) or any number (sample variance).
enum class ValueKind { kMean, kProportion };
enum class Engine { kBayesian, kFrequentist, kSequential };
enum class Difference { kRelative, kAbsolute };
enum class Correction { kNone, kHolm, kBenjaminiHochberg };

struct Sums {
  double sum = 0;
  double sum_squares = 0;
};

// Sufficient statistics of one metric for one variant (in one segment). They merge exactly by addition, which is
// what makes incremental aggregation exact.
struct VariantStats {
  std::int64_t n = 0;           // visitors exposed
  double sum = 0;               // Σx (the numerator for ratio metrics)
  double sum_squares = 0;       // Σx²
  Sums denominator = {};        // ratio metrics: Σy, Σy²
  double sum_products = 0;      // ratio metrics: Σxy
  Sums pre = {};                // CUPED: the same metric in the pre-period
  double pre_sum_products = 0;  // CUPED: Σ post·pre

  VariantStats& operator+=(const VariantStats& other);
};

struct MetricSpec {
  MetricType type = MetricType::kProportion;
  ValueKind numerator = ValueKind::kMean;    // ratio metrics only
  ValueKind denominator = ValueKind::kMean;  // ratio metrics only
  bool lower_is_better = false;
};

// A prior on the relative lift; flat (improper) unless `proper`.
struct Prior {
  bool proper = false;
  double mean = 0;
  double stddev = 0.3;
};

struct AnalysisOptions {
  Engine engine = Engine::kBayesian;
  Difference difference = Difference::kRelative;
  double alpha = 0.05;
  Prior prior;
  double sequential_tuning = 5000;
  Correction correction = Correction::kNone;
  bool cuped = false;
};

// Why a comparison has no statistic (the UI shows both as "not enough data").
enum class LiftStatus { kOk, kZeroVariance, kBaselineIsZero };
std::string_view LiftStatusName(LiftStatus status);  // "ok", "zero variance", "baseline is zero"

// A variant's effect against the control. Fields that the engine does not produce are empty: chance_to_win and
// risk are Bayesian only, p-values frequentist and sequential only.
struct Lift {
  double expected = 0;  // posterior mean (Bayesian) or point estimate
  double stddev = 0;
  std::array<double, 2> ci{0, 0};
  std::optional<double> chance_to_win;
  std::optional<std::array<double, 2>> risk;  // expected loss of choosing [control, variant]
  std::optional<double> p_value;
  std::optional<double> p_value_adjusted;  // after the multiple-comparison correction (equals p_value with none)
};

struct Comparison {
  LiftStatus status = LiftStatus::kOk;
  Lift lift;
};

struct VariantResult {
  std::int64_t n = 0;
  double mean = 0;      // the metric's mean (ratio: ΣM/ΣD), without CUPED
  double variance = 0;  // its per-visitor variance (ratio: delta method)
  std::optional<Lift> lift;  // every variant but the control
  LiftStatus status = LiftStatus::kOk;
};

struct AnalysisResult {
  double srm_p_value = 1;
  std::vector<VariantResult> variants;  // in input order, the control first
};

// What is wrong with an input and where, e.g. {"variants[1].sum", "exceeds n for a proportion metric"}.
struct InputProblem {
  std::string field;
  std::string message;
};

// Checks what Analyze assumes: at least 2 variants, counts and sums consistent with the metric type, weights
// non-negative with a positive sum (or empty for equal weights), options in range, CUPED not on a ratio metric.
std::optional<InputProblem> ValidateAnalysisInput(std::span<const VariantStats> variants,
                                                  std::span<const double> weights, const MetricSpec& metric,
                                                  const AnalysisOptions& options);

// Every variant against the first (the control), with the correction applied across the variants' p-values and
// the SRM check over `weights` (empty: equal weights). The input must pass ValidateAnalysisInput.
AnalysisResult Analyze(std::span<const VariantStats> variants, std::span<const double> weights,
                       const MetricSpec& metric, const AnalysisOptions& options);

// One variant against the control, without multiple-comparison correction (p_value_adjusted = p_value).
Comparison Compare(const VariantStats& control, const VariantStats& treatment, const MetricSpec& metric,
                   const AnalysisOptions& options);

// Per-visitor mean and variance of a variant's metric (ratio: delta method).
struct ArmSummary {
  double mean = 0;
  double variance = 0;
};
ArmSummary Summarize(const VariantStats& stats, const MetricSpec& metric);

// Holm-Bonferroni or Benjamini-Hochberg adjusted p-values, in input order, capped at 1 and monotone in the raw
// p-values. pagelift corrects across variants × goal metrics of one experiment (and guarded segments).
std::vector<double> AdjustPValues(std::span<const double> p_values, Correction correction);

// Chi-square goodness-of-fit p-value of the observed counts against the weights (over variants with weight > 0,
// k − 1 degrees of freedom). 1 when there is nothing to test.
double SampleRatioMismatchPValue(std::span<const std::int64_t> observed, std::span<const double> weights);

// ---- Decisions ("Decisions" in the spec) ----

enum class Decision { kShip, kRollBack, kKeepRunning, kInconclusive };
std::string_view DecisionName(Decision decision);  // "ship", "roll_back", "keep_running", "inconclusive"

enum class Verdict { kWin, kLose, kNeutral };

// Thresholds; the defaults are the spec's (GrowthBook's). Experiments may override them in their guardrails.
struct DecisionPolicy {
  double win_chance = 0.95;
  double lose_chance = 0.05;
  double alpha = 0.05;                        // frequentist / sequential significance
  double min_conversions_larger_arm = 150;    // GrowthBook's minimum
  double min_conversions_per_arm = 0;         // Shoplift-style gate for small stores, e.g. 30
  double min_days = 0;                        // e.g. 3
  double srm_p_threshold = 0.001;
  std::optional<double> max_duration_days;    // reached without a decision: inconclusive
};

// One metric's comparison, as a decision sees it.
struct MetricOutcome {
  std::string name;
  std::string segment;  // empty: all visitors; otherwise a guarded segment such as "device:mobile"
  bool lower_is_better = false;
  Comparison comparison;
};

// Win: Bayesian chance to win > win_chance, or p < alpha in the good direction. Lose: chance < lose_chance, or
// p < alpha in the bad direction, or the interval excludes 0 on the bad side. A comparison without a statistic is
// neutral.
Verdict Judge(const MetricOutcome& outcome, const DecisionPolicy& policy);

struct ArmVolume {
  std::int64_t n = 0;
  double conversions = 0;  // of the primary metric (orders, purchasers)
};

struct DecisionInput {
  MetricOutcome primary;                // one variant against the control
  std::vector<MetricOutcome> guardrails;  // overall and in guarded segments
  std::vector<ArmVolume> arms;          // every arm of the experiment
  double srm_p_value = 1;
  double days_running = 0;
};

struct DecisionReason {
  std::string code;  // e.g. "guardrail_losing", "srm", "min_data", "primary_wins"
  std::string message;
};

struct DecisionResult {
  Decision decision = Decision::kKeepRunning;
  std::vector<DecisionReason> reasons;
};

// Roll back if any guardrail loses; otherwise ship only when the primary metric wins, the minimum data is met and
// the sample ratio is healthy; roll back when the primary metric loses on healthy, sufficient data; otherwise keep
// running, or "inconclusive" once max_duration_days is reached.
DecisionResult Decide(const DecisionInput& input, const DecisionPolicy& policy = {});

}  // namespace pagelift::experiments
