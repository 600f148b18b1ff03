// The statistics engine; see stats.h. Formulas and their conventions are those of ../shared/spec/statistics.md;
// distributions come from Boost.Math.
#include "experiments/stats.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace pagelift::experiments {
namespace {

namespace bm = boost::math;

// Boost.Math computes double results in long double by default; in double they agree to ~1e-15 (far beyond the
// 1e-6 the spec asks) and the Student's t functions run 6-20 times faster, which the frequentist engine needs to
// meet its throughput target (bench/experiments_stats.cpp).
using Policy = bm::policies::policy<bm::policies::promote_double<false>>;
using Normal = bm::normal_distribution<double, Policy>;
using StudentsT = bm::students_t_distribution<double, Policy>;
using ChiSquared = bm::chi_squared_distribution<double, Policy>;

// ---- Moments of one per-visitor value ----

double MeanOf(double n, double sum) { return n > 0 ? sum / n : 0; }

// Binary values use p(1 − p) (the population variance, as GrowthBook does); other values the sample variance.
double VarianceOf(double n, double sum, double sum_squares, ValueKind kind) {
  if (n <= 0) return 0;
  if (kind == ValueKind::kProportion) {
    const double p = sum / n;
    return p * (1 - p);
  }
  if (n <= 1) return 0;
  return (sum_squares - sum * sum / n) / (n - 1);
}

// When both values are binary the covariance follows the binary variance's convention (divide by n).
double CovarianceOf(double n, double sum_x, double sum_y, double sum_xy, bool both_binary) {
  if (n <= 1) return 0;
  if (both_binary) return sum_xy / n - sum_x * sum_y / (n * n);
  return (sum_xy - sum_x * sum_y / n) / (n - 1);
}

ValueKind PrimaryKind(const MetricSpec& metric) {
  switch (metric.type) {
    case MetricType::kProportion:
      return ValueKind::kProportion;
    case MetricType::kMean:
      return ValueKind::kMean;
    case MetricType::kRatio:
      return metric.numerator;
  }
  return ValueKind::kMean;
}

// ---- One arm, CUPED-aware ----

struct Arm {
  double n = 0;
  double mean = 0;      // unadjusted post mean
  double variance = 0;  // unadjusted per-visitor variance
  double pre_mean = 0;
  double pre_variance = 0;
  double covariance = 0;  // cov(post, pre)
};

Arm MakeArm(const VariantStats& stats, const MetricSpec& metric, bool cuped) {
  Arm arm;
  arm.n = static_cast<double>(stats.n);
  const ArmSummary summary = Summarize(stats, metric);
  arm.mean = summary.mean;
  arm.variance = summary.variance;
  if (cuped) {
    // The covariate has the metric's own type (ratio metrics are rejected by validation).
    const ValueKind kind = PrimaryKind(metric);
    arm.pre_mean = MeanOf(arm.n, stats.pre.sum);
    arm.pre_variance = VarianceOf(arm.n, stats.pre.sum, stats.pre.sum_squares, kind);
    arm.covariance = CovarianceOf(arm.n, stats.sum, stats.pre.sum, stats.pre_sum_products,
                                  kind == ValueKind::kProportion);
  }
  return arm;
}

// θ = cov(post, pre) / var(pre) over both arms pooled; 0 when either pooled variance is 0.
double CupedTheta(const VariantStats& a, const VariantStats& b, const MetricSpec& metric) {
  const ValueKind kind = PrimaryKind(metric);
  const double n = static_cast<double>(a.n + b.n);
  const double sum = a.sum + b.sum;
  const double pre_sum = a.pre.sum + b.pre.sum;
  const double post_variance = VarianceOf(n, sum, a.sum_squares + b.sum_squares, kind);
  const double pre_variance = VarianceOf(n, pre_sum, a.pre.sum_squares + b.pre.sum_squares, kind);
  if (post_variance <= 0 || pre_variance <= 0) return 0;
  const double covariance = CovarianceOf(n, sum, pre_sum, a.pre_sum_products + b.pre_sum_products,
                                         kind == ValueKind::kProportion);
  return covariance / pre_variance;
}

double AdjustedVariance(const Arm& arm, double theta) {
  return arm.variance + theta * theta * arm.pre_variance - 2 * theta * arm.covariance;
}

// ---- The effect and its sampling variance ----

struct Effect {
  LiftStatus status = LiftStatus::kOk;
  double delta = 0;
  double variance = 0;
  double variance_a = 0;  // per-visitor variances entering the test (CUPED-adjusted), for Welch's ν
  double variance_b = 0;
};

Effect EstimateEffect(const Arm& a, const Arm& b, double theta, Difference difference) {
  Effect effect;
  effect.variance_a = AdjustedVariance(a, theta);
  effect.variance_b = AdjustedVariance(b, theta);
  if (a.variance <= 0 || b.variance <= 0 || effect.variance_a <= 0 || effect.variance_b <= 0) {
    effect.status = LiftStatus::kZeroVariance;
    return effect;
  }
  if (a.mean == 0) {
    effect.status = LiftStatus::kBaselineIsZero;
    return effect;
  }
  const double adjusted_a = a.mean - theta * a.pre_mean;
  const double adjusted_b = b.mean - theta * b.pre_mean;
  if (difference == Difference::kAbsolute) {
    effect.delta = adjusted_b - adjusted_a;
    effect.variance = effect.variance_b / b.n + effect.variance_a / a.n;
  } else {
    // Relative to the unadjusted control mean; with θ = 0 this is exactly the plain delta-method variance
    // σB²/(nB·μA²) + σA²·μB²/(nA·μA⁴).
    const double mean_a2 = a.mean * a.mean;
    const double ratio = b.mean / a.mean;
    effect.delta = (adjusted_b - adjusted_a) / std::abs(a.mean);
    effect.variance =
        effect.variance_b / (b.n * mean_a2) +
        (a.variance * ratio * ratio - 2 * theta * a.covariance * ratio + theta * theta * a.pre_variance) /
            (a.n * mean_a2);
  }
  if (!(effect.variance > 0) || !std::isfinite(effect.variance) || !std::isfinite(effect.delta)) {
    effect.status = LiftStatus::kZeroVariance;
  }
  return effect;
}

// ---- Engines ----

Lift NoStatistic(Engine engine) {
  Lift lift;  // lift 0, sd 0, interval [0, 0]
  if (engine == Engine::kBayesian) {
    lift.chance_to_win = 0.5;
    lift.risk = std::array<double, 2>{0, 0};
  } else {
    lift.p_value = 1;
    lift.p_value_adjusted = 1;
  }
  return lift;
}

// [E[max(X, 0)], E[max(−X, 0)]] for X ~ N(m, s).
std::array<double, 2> Risk(double m, double s) {
  const double z = m / s;
  if (std::abs(z) > 37) return {std::max(m, 0.0), std::max(-m, 0.0)};  // the normal tails underflow past here
  const Normal standard;
  const double density = bm::pdf(standard, z);
  return {m * bm::cdf(standard, z) + s * density, -m * bm::cdf(standard, -z) + s * density};
}

Lift Bayesian(const Effect& effect, double control_mean, const MetricSpec& metric, const AnalysisOptions& options) {
  double m = effect.delta;
  double s = std::sqrt(effect.variance);
  if (options.prior.proper) {
    // The prior is on the relative lift; an absolute effect uses it rescaled to the metric's units.
    const bool relative = options.difference == Difference::kRelative;
    const double scale = relative ? 1 : std::abs(control_mean);
    const double prior_mean = options.prior.mean * scale;
    const double prior_variance = options.prior.stddev * options.prior.stddev * scale * scale;
    const double precision = 1 / effect.variance + 1 / prior_variance;
    m = (effect.delta / effect.variance + prior_mean / prior_variance) / precision;
    s = std::sqrt(1 / precision);
  }
  const Normal standard;
  const double z = bm::quantile(standard, 1 - options.alpha / 2);
  Lift lift;
  lift.expected = m;
  lift.stddev = s;
  lift.ci = {m - z * s, m + z * s};
  std::array<double, 2> risk = Risk(m, s);
  if (metric.lower_is_better) {
    lift.chance_to_win = bm::cdf(standard, -m / s);
    std::swap(risk[0], risk[1]);
  } else {
    lift.chance_to_win = bm::cdf(standard, m / s);
  }
  lift.risk = risk;
  return lift;
}

// Welch–Satterthwaite degrees of freedom from the arms' per-visitor variances (also for relative effects).
double WelchDegreesOfFreedom(const Effect& effect, double n_a, double n_b) {
  const double a = effect.variance_a / n_a;
  const double b = effect.variance_b / n_b;
  return (a + b) * (a + b) / (a * a / (n_a - 1) + b * b / (n_b - 1));
}

Lift Frequentist(const Effect& effect, const Arm& a, const Arm& b, const AnalysisOptions& options) {
  const double se = std::sqrt(effect.variance);
  const StudentsT t(WelchDegreesOfFreedom(effect, a.n, b.n));
  const double critical = bm::quantile(bm::complement(t, options.alpha / 2));
  Lift lift;
  lift.expected = effect.delta;
  lift.stddev = se;
  lift.ci = {effect.delta - critical * se, effect.delta + critical * se};
  lift.p_value = std::min(1.0, 2 * bm::cdf(bm::complement(t, std::abs(effect.delta / se))));
  lift.p_value_adjusted = lift.p_value;
  return lift;
}

// Asymptotic confidence sequence (Waudby-Smith et al., arXiv 2103.06476) with tuning τ.
Lift Sequential(const Effect& effect, const Arm& a, const Arm& b, const AnalysisOptions& options) {
  const double se = std::sqrt(effect.variance);
  const double n = a.n + b.n;
  const double log_alpha = std::log(options.alpha);
  const double rho = std::sqrt((-2 * log_alpha + std::log(1 - 2 * log_alpha)) / options.sequential_tuning);
  const double spread = n * rho * rho + 1;
  const double half_width =
      se * std::sqrt(n) * std::sqrt(2 * spread * std::log(std::sqrt(spread) / options.alpha) / ((n * rho) * (n * rho)));
  Lift lift;
  lift.expected = effect.delta;
  lift.stddev = se;
  lift.ci = {effect.delta - half_width, effect.delta + half_width};
  lift.p_value = std::min(
      1.0, std::sqrt(spread) * std::exp(-rho * rho * n * effect.delta * effect.delta / (2 * se * se * spread)));
  lift.p_value_adjusted = lift.p_value;
  return lift;
}

// ---- Validation helpers ----

bool Finite(double x) { return std::isfinite(x); }

// Relative slack for consistency checks on sums that were accumulated in floating point.
bool ExceedsWithSlack(double value, double bound) {
  return value > bound + 1e-9 * std::max(1.0, std::abs(bound));
}

std::optional<InputProblem> CheckValue(const std::string& field, double n, const Sums& sums, ValueKind kind) {
  if (!Finite(sums.sum)) return InputProblem{field + ".sum", "must be a finite number"};
  if (!Finite(sums.sum_squares)) return InputProblem{field + ".sum_squares", "must be a finite number"};
  if (kind == ValueKind::kProportion) {
    if (sums.sum < 0) return InputProblem{field + ".sum", "must not be negative for a proportion"};
    if (ExceedsWithSlack(sums.sum, n)) return InputProblem{field + ".sum", "exceeds n for a proportion"};
    if (std::abs(sums.sum_squares - sums.sum) > 1e-9 * std::max(1.0, sums.sum)) {
      return InputProblem{field + ".sum_squares", "must equal sum for 0/1 values"};
    }
    return std::nullopt;
  }
  if (sums.sum_squares < 0) return InputProblem{field + ".sum_squares", "must not be negative"};
  if (n == 0 && (sums.sum != 0 || sums.sum_squares != 0)) {
    return InputProblem{field + ".sum", "must be 0 when n is 0"};
  }
  // Cauchy–Schwarz: (Σx)² ≤ n·Σx².
  if (ExceedsWithSlack(sums.sum * sums.sum, n * sums.sum_squares)) {
    return InputProblem{field + ".sum_squares", "is too small for sum and n ((Σx)² > n·Σx²)"};
  }
  return std::nullopt;
}

// Cauchy–Schwarz for a cross product: (Σxy)² ≤ Σx²·Σy².
std::optional<InputProblem> CheckProducts(const std::string& field, double sum_products, double sum_squares_x,
                                          double sum_squares_y) {
  if (!Finite(sum_products)) return InputProblem{field, "must be a finite number"};
  if (ExceedsWithSlack(sum_products * sum_products, sum_squares_x * sum_squares_y)) {
    return InputProblem{field, "is inconsistent with the sums of squares ((Σxy)² > Σx²·Σy²)"};
  }
  return std::nullopt;
}

std::string VariantField(std::size_t i) { return "variants[" + std::to_string(i) + "]"; }

}  // namespace

VariantStats& VariantStats::operator+=(const VariantStats& other) {
  n += other.n;
  sum += other.sum;
  sum_squares += other.sum_squares;
  denominator.sum += other.denominator.sum;
  denominator.sum_squares += other.denominator.sum_squares;
  sum_products += other.sum_products;
  pre.sum += other.pre.sum;
  pre.sum_squares += other.pre.sum_squares;
  pre_sum_products += other.pre_sum_products;
  return *this;
}

std::string_view LiftStatusName(LiftStatus status) {
  switch (status) {
    case LiftStatus::kOk:
      return "ok";
    case LiftStatus::kZeroVariance:
      return "zero variance";
    case LiftStatus::kBaselineIsZero:
      return "baseline is zero";
  }
  return "ok";
}

ArmSummary Summarize(const VariantStats& stats, const MetricSpec& metric) {
  const double n = static_cast<double>(stats.n);
  if (metric.type != MetricType::kRatio) {
    const ValueKind kind = PrimaryKind(metric);
    return {MeanOf(n, stats.sum), VarianceOf(n, stats.sum, stats.sum_squares, kind)};
  }
  // Delta method for M/D: σM²/μD² + σD²·μM²/μD⁴ − 2·cov·μM/μD³ (0 when μD = 0).
  const double mean_m = MeanOf(n, stats.sum);
  const double mean_d = MeanOf(n, stats.denominator.sum);
  if (mean_d == 0) return {0, 0};
  const double var_m = VarianceOf(n, stats.sum, stats.sum_squares, metric.numerator);
  const double var_d = VarianceOf(n, stats.denominator.sum, stats.denominator.sum_squares, metric.denominator);
  const bool both_binary = metric.numerator == ValueKind::kProportion && metric.denominator == ValueKind::kProportion;
  const double cov = CovarianceOf(n, stats.sum, stats.denominator.sum, stats.sum_products, both_binary);
  const double d2 = mean_d * mean_d;
  return {mean_m / mean_d, var_m / d2 + var_d * mean_m * mean_m / (d2 * d2) - 2 * cov * mean_m / (d2 * mean_d)};
}

Comparison Compare(const VariantStats& control, const VariantStats& treatment, const MetricSpec& metric,
                   const AnalysisOptions& options) {
  const Arm a = MakeArm(control, metric, options.cuped);
  const Arm b = MakeArm(treatment, metric, options.cuped);
  const double theta = options.cuped ? CupedTheta(control, treatment, metric) : 0;
  const Effect effect = EstimateEffect(a, b, theta, options.difference);
  if (effect.status != LiftStatus::kOk) return {effect.status, NoStatistic(options.engine)};
  switch (options.engine) {
    case Engine::kBayesian:
      return {LiftStatus::kOk, Bayesian(effect, a.mean, metric, options)};
    case Engine::kFrequentist:
      return {LiftStatus::kOk, Frequentist(effect, a, b, options)};
    case Engine::kSequential:
      return {LiftStatus::kOk, Sequential(effect, a, b, options)};
  }
  return {LiftStatus::kOk, NoStatistic(options.engine)};
}

std::vector<double> AdjustPValues(std::span<const double> p_values, Correction correction) {
  std::vector<double> adjusted(p_values.begin(), p_values.end());
  const std::size_t m = p_values.size();
  if (correction == Correction::kNone || m == 0) return adjusted;
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return p_values[i] < p_values[j]; });
  const double count = static_cast<double>(m);
  if (correction == Correction::kHolm) {
    // Step-down: the k-th smallest (0-based) is multiplied by m − k, then made non-decreasing.
    double running_max = 0;
    for (std::size_t k = 0; k < m; ++k) {
      running_max = std::max(running_max, std::min(1.0, (count - static_cast<double>(k)) * p_values[order[k]]));
      adjusted[order[k]] = running_max;
    }
  } else {
    // Step-up: the k-th smallest (1-based) is multiplied by m / k, then made non-increasing from the largest.
    double running_min = 1;
    for (std::size_t k = m; k-- > 0;) {
      running_min = std::min(running_min, count / static_cast<double>(k + 1) * p_values[order[k]]);
      adjusted[order[k]] = std::min(1.0, running_min);
    }
  }
  return adjusted;
}

double SampleRatioMismatchPValue(std::span<const std::int64_t> observed, std::span<const double> weights) {
  if (observed.size() != weights.size()) return 1;
  double total_weight = 0;
  double total = 0;
  int tested = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    total += static_cast<double>(observed[i]);
    if (weights[i] > 0) {
      total_weight += weights[i];
      ++tested;
    }
  }
  if (tested < 2 || total <= 0) return 1;
  double chi_square = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    if (weights[i] <= 0) continue;
    const double expected = weights[i] / total_weight * total;
    const double diff = static_cast<double>(observed[i]) - expected;
    chi_square += diff * diff / expected;
  }
  return bm::cdf(bm::complement(ChiSquared(tested - 1), chi_square));
}

std::optional<InputProblem> ValidateAnalysisInput(std::span<const VariantStats> variants,
                                                  std::span<const double> weights, const MetricSpec& metric,
                                                  const AnalysisOptions& options) {
  if (!(options.alpha > 0 && options.alpha < 1)) return InputProblem{"alpha", "must be between 0 and 1 (exclusive)"};
  if (options.prior.proper && !(options.prior.stddev > 0 && Finite(options.prior.stddev))) {
    return InputProblem{"prior.stddev", "must be a positive number"};
  }
  if (!Finite(options.prior.mean)) return InputProblem{"prior.mean", "must be a finite number"};
  if (!(options.sequential_tuning > 0 && Finite(options.sequential_tuning))) {
    return InputProblem{"sequential_tuning", "must be a positive number"};
  }
  if (options.cuped && metric.type == MetricType::kRatio) {
    return InputProblem{"cuped", "CUPED is not supported for ratio metrics"};
  }
  if (variants.size() < 2) return InputProblem{"variants", "at least 2 variants are needed (the first is the control)"};
  if (!weights.empty()) {
    if (weights.size() != variants.size()) return InputProblem{"variants", "every variant needs a weight, or none"};
    double total = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (!(weights[i] >= 0 && Finite(weights[i]))) {
        return InputProblem{VariantField(i) + ".weight", "must be a non-negative number"};
      }
      total += weights[i];
    }
    if (!(total > 0)) return InputProblem{VariantField(0) + ".weight", "the weights must not all be 0"};
  }
  const ValueKind kind = PrimaryKind(metric);
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const VariantStats& v = variants[i];
    const std::string field = VariantField(i);
    if (v.n < 0) return InputProblem{field + ".n", "must not be negative"};
    const double n = static_cast<double>(v.n);
    // A variant's own numbers live at its top level ("variants[i].sum"), the others under their object.
    if (auto problem = CheckValue(field, n, {v.sum, v.sum_squares}, kind)) return problem;
    if (metric.type == MetricType::kRatio) {
      if (auto problem = CheckValue(field + ".denominator", n, v.denominator, metric.denominator)) return problem;
      if (v.denominator.sum < 0) return InputProblem{field + ".denominator.sum", "must not be negative"};
      if (auto problem = CheckProducts(field + ".sum_products", v.sum_products, v.sum_squares,
                                       v.denominator.sum_squares)) {
        return problem;
      }
    }
    if (options.cuped) {
      if (auto problem = CheckValue(field + ".pre", n, v.pre, kind)) return problem;
      if (auto problem = CheckProducts(field + ".pre_sum_products", v.pre_sum_products, v.sum_squares,
                                       v.pre.sum_squares)) {
        return problem;
      }
    }
  }
  return std::nullopt;
}

AnalysisResult Analyze(std::span<const VariantStats> variants, std::span<const double> weights,
                       const MetricSpec& metric, const AnalysisOptions& options) {
  AnalysisResult result;
  result.variants.reserve(variants.size());
  std::vector<std::int64_t> observed;
  observed.reserve(variants.size());
  std::vector<double> p_values;
  std::vector<std::size_t> tested;  // variants whose p-value enters the correction
  for (std::size_t i = 0; i < variants.size(); ++i) {
    observed.push_back(variants[i].n);
    VariantResult out;
    out.n = variants[i].n;
    const ArmSummary summary = Summarize(variants[i], metric);
    out.mean = summary.mean;
    out.variance = summary.variance;
    if (i > 0) {
      Comparison comparison = Compare(variants[0], variants[i], metric, options);
      out.status = comparison.status;
      // A comparison without a statistic is not a test, so it does not count towards the correction.
      if (comparison.status == LiftStatus::kOk && comparison.lift.p_value) {
        p_values.push_back(*comparison.lift.p_value);
        tested.push_back(i);
      }
      out.lift = std::move(comparison.lift);
    }
    result.variants.push_back(std::move(out));
  }
  const std::vector<double> adjusted = AdjustPValues(p_values, options.correction);
  for (std::size_t k = 0; k < tested.size(); ++k) result.variants[tested[k]].lift->p_value_adjusted = adjusted[k];

  const std::vector<double> equal(variants.size(), 1.0);
  result.srm_p_value = SampleRatioMismatchPValue(observed, weights.empty() ? std::span<const double>(equal) : weights);
  return result;
}

// ---- Decisions ----

std::string_view DecisionName(Decision decision) {
  switch (decision) {
    case Decision::kShip:
      return "ship";
    case Decision::kRollBack:
      return "roll_back";
    case Decision::kKeepRunning:
      return "keep_running";
    case Decision::kInconclusive:
      return "inconclusive";
  }
  return "keep_running";
}

Verdict Judge(const MetricOutcome& outcome, const DecisionPolicy& policy) {
  const Comparison& c = outcome.comparison;
  if (c.status != LiftStatus::kOk) return Verdict::kNeutral;
  const Lift& lift = c.lift;
  // The interval excluding 0 on the bad side is a loss whatever the engine.
  const bool interval_bad = outcome.lower_is_better ? lift.ci[0] > 0 : lift.ci[1] < 0;
  if (lift.chance_to_win) {
    if (*lift.chance_to_win > policy.win_chance) return Verdict::kWin;
    if (*lift.chance_to_win < policy.lose_chance || interval_bad) return Verdict::kLose;
    return Verdict::kNeutral;
  }
  const double p = lift.p_value_adjusted.value_or(lift.p_value.value_or(1));
  const bool good_direction = outcome.lower_is_better ? lift.expected < 0 : lift.expected > 0;
  if (p < policy.alpha && good_direction) return Verdict::kWin;
  if ((p < policy.alpha && !good_direction) || interval_bad) return Verdict::kLose;
  return Verdict::kNeutral;
}

namespace {

std::string Describe(const MetricOutcome& outcome) {
  return outcome.segment.empty() ? outcome.name : outcome.name + " (" + outcome.segment + ")";
}

std::string FormatNumber(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", x);
  return buffer;
}

// The minimum-data gates that are not met yet, as reasons.
std::vector<DecisionReason> MissingData(const DecisionInput& input, const DecisionPolicy& policy) {
  std::vector<DecisionReason> missing;
  double largest = 0;
  bool empty_arm = input.arms.empty();
  bool small_arm = false;
  for (const ArmVolume& arm : input.arms) {
    largest = std::max(largest, arm.conversions);
    if (arm.n == 0) empty_arm = true;
    if (arm.conversions < policy.min_conversions_per_arm) small_arm = true;
  }
  if (empty_arm) missing.push_back({"min_data", "an arm has no visitors yet"});
  if (largest < policy.min_conversions_larger_arm) {
    missing.push_back({"min_data", "the larger arm has " + FormatNumber(largest) + " conversions, " +
                                       FormatNumber(policy.min_conversions_larger_arm) + " are needed"});
  }
  if (small_arm) {
    missing.push_back({"min_data", "every arm needs " + FormatNumber(policy.min_conversions_per_arm) + " conversions"});
  }
  if (input.days_running < policy.min_days) {
    missing.push_back({"min_data", "the experiment has run " + FormatNumber(input.days_running) + " days, " +
                                       FormatNumber(policy.min_days) + " are needed"});
  }
  return missing;
}

}  // namespace

DecisionResult Decide(const DecisionInput& input, const DecisionPolicy& policy) {
  DecisionResult result;
  for (const MetricOutcome& guardrail : input.guardrails) {
    if (Judge(guardrail, policy) == Verdict::kLose) {
      result.reasons.push_back({"guardrail_losing", "guardrail " + Describe(guardrail) + " is losing"});
    }
  }
  if (!result.reasons.empty()) {
    result.decision = Decision::kRollBack;
    return result;
  }
  const bool out_of_time = policy.max_duration_days && input.days_running >= *policy.max_duration_days;
  const auto wait = [&](DecisionResult r) {
    if (out_of_time) {
      r.decision = Decision::kInconclusive;
      r.reasons.push_back({"max_duration", "the maximum duration of " + FormatNumber(*policy.max_duration_days) +
                                               " days is reached without a decision"});
    } else {
      r.decision = Decision::kKeepRunning;
    }
    return r;
  };
  if (input.srm_p_value < policy.srm_p_threshold) {
    result.reasons.push_back({"srm", "sample ratio mismatch (p = " + FormatNumber(input.srm_p_value) +
                                         "): the split is not the configured one, check the assignment"});
    return wait(std::move(result));
  }
  std::vector<DecisionReason> missing = MissingData(input, policy);
  if (!missing.empty()) {
    result.reasons = std::move(missing);
    return wait(std::move(result));
  }
  switch (Judge(input.primary, policy)) {
    case Verdict::kWin:
      result.decision = Decision::kShip;
      result.reasons.push_back({"primary_wins", "primary metric " + Describe(input.primary) + " wins"});
      return result;
    case Verdict::kLose:
      result.decision = Decision::kRollBack;
      result.reasons.push_back({"primary_loses", "primary metric " + Describe(input.primary) + " loses"});
      return result;
    case Verdict::kNeutral:
      break;
  }
  const bool no_statistic = input.primary.comparison.status != LiftStatus::kOk;
  result.reasons.push_back(
      {"no_winner_yet", no_statistic ? "primary metric " + Describe(input.primary) + " has no statistic yet (" +
                                           std::string(LiftStatusName(input.primary.comparison.status)) + ")"
                                     : "primary metric " + Describe(input.primary) + " is neither winning nor losing"});
  return wait(std::move(result));
}

}  // namespace pagelift::experiments
