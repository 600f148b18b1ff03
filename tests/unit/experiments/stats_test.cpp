// Tests of experiments/stats.h: every golden case of ../shared/spec/statistics.md to 1e-6, and cases derived by hand
// from the spec's formulas (the arithmetic is in the comments). Where a test needs a distribution function it uses
// std::erfc or a closed form rather than Boost.Math, so that it checks the engine rather than repeating it.
#include "experiments/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace pagelift::experiments {
namespace {

constexpr double kGolden = 1e-6;

VariantStats Proportion(std::int64_t n, double conversions) {
  VariantStats s;
  s.n = n;
  s.sum = conversions;
  s.sum_squares = conversions;
  return s;
}

VariantStats MeanOfValues(const std::vector<double>& values) {
  VariantStats s;
  s.n = static_cast<std::int64_t>(values.size());
  for (double x : values) {
    s.sum += x;
    s.sum_squares += x * x;
  }
  return s;
}

// post/pre pairs of a mean metric with its CUPED covariate.
VariantStats WithPre(const std::vector<std::pair<double, double>>& post_pre) {
  VariantStats s;
  s.n = static_cast<std::int64_t>(post_pre.size());
  for (auto [post, pre] : post_pre) {
    s.sum += post;
    s.sum_squares += post * post;
    s.pre.sum += pre;
    s.pre.sum_squares += pre * pre;
    s.pre_sum_products += post * pre;
  }
  return s;
}

// Φ(x) from the C library, independent of Boost.Math.
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

AnalysisOptions Options(Engine engine, Difference difference) {
  AnalysisOptions o;
  o.engine = engine;
  o.difference = difference;
  return o;
}

const MetricSpec kProportion{};
MetricSpec LowerIsBetter() {
  MetricSpec m;
  m.lower_is_better = true;
  return m;
}
MetricSpec MeanMetric() {
  MetricSpec m;
  m.type = MetricType::kMean;
  return m;
}

void ExpectGolden(const Lift& lift, double expected, double stddev, double lo, double hi) {
  EXPECT_NEAR(lift.expected, expected, kGolden);
  EXPECT_NEAR(lift.stddev, stddev, kGolden);
  EXPECT_NEAR(lift.ci[0], lo, kGolden);
  EXPECT_NEAR(lift.ci[1], hi, kGolden);
}

void ExpectBayesGolden(const Comparison& c, double chance, double risk_control, double risk_variant) {
  ASSERT_EQ(c.status, LiftStatus::kOk);
  ASSERT_TRUE(c.lift.chance_to_win.has_value());
  ASSERT_TRUE(c.lift.risk.has_value());
  EXPECT_NEAR(*c.lift.chance_to_win, chance, kGolden);
  EXPECT_NEAR((*c.lift.risk)[0], risk_control, kGolden);
  EXPECT_NEAR((*c.lift.risk)[1], risk_variant, kGolden);
  EXPECT_FALSE(c.lift.p_value.has_value());
  EXPECT_FALSE(c.lift.p_value_adjusted.has_value());
}

// ---- Golden cases of the spec ----

TEST(StatsGolden, BayesianRelative49vs51) {
  const Comparison c = Compare(Proportion(100, 49), Proportion(100, 51), kProportion,
                               Options(Engine::kBayesian, Difference::kRelative));
  ExpectGolden(c.lift, 0.040816, 0.147253, -0.247793, 0.329426);
  ExpectBayesGolden(c, 0.609181, 0.081396, 0.040580);
}

TEST(StatsGolden, BayesianRelative49vs51LowerIsBetter) {
  const Comparison c = Compare(Proportion(100, 49), Proportion(100, 51), LowerIsBetter(),
                               Options(Engine::kBayesian, Difference::kRelative));
  ExpectGolden(c.lift, 0.040816, 0.147253, -0.247793, 0.329426);  // the estimate itself does not change
  ExpectBayesGolden(c, 0.390819, 0.040580, 0.081396);
}

TEST(StatsGolden, BayesianAbsolute49vs51) {
  const Comparison c = Compare(Proportion(100, 49), Proportion(100, 51), kProportion,
                               Options(Engine::kBayesian, Difference::kAbsolute));
  ExpectGolden(c.lift, 0.02, 0.0706965, -0.118563, 0.158563);
  ExpectBayesGolden(c, 0.611373, 0.039325, 0.019325);
}

TEST(StatsGolden, BayesianRelative1000vs1100) {
  const Comparison c = Compare(Proportion(10000, 1000), Proportion(10000, 1100), kProportion,
                               Options(Engine::kBayesian, Difference::kRelative));
  ExpectGolden(c.lift, 0.1, 0.0454753, 0.0108701, 0.189130);
  ExpectBayesGolden(c, 0.986061, 0.100223, 0.000222873);
}

TEST(StatsGolden, BayesianAbsolute4500vs4400) {
  const Comparison c = Compare(Proportion(50000, 4500), Proportion(50000, 4400), kProportion,
                               Options(Engine::kBayesian, Difference::kAbsolute));
  ExpectGolden(c.lift, -0.002, 0.00180087, -0.00552963, 0.00152963);
  ExpectBayesGolden(c, 0.133375, 0.000121012, 0.00212101);
}

TEST(StatsGolden, FrequentistWelch) {
  const AnalysisOptions o = Options(Engine::kFrequentist, Difference::kRelative);
  const Comparison small = Compare(Proportion(100, 49), Proportion(100, 51), kProportion, o);
  ASSERT_EQ(small.status, LiftStatus::kOk);
  ExpectGolden(small.lift, 0.040816, 0.147253, -0.249568, 0.331201);
  EXPECT_NEAR(*small.lift.p_value, 0.781927, kGolden);
  EXPECT_FALSE(small.lift.chance_to_win.has_value());
  EXPECT_FALSE(small.lift.risk.has_value());

  const Comparison large = Compare(Proportion(10000, 1000), Proportion(10000, 1100), kProportion, o);
  ExpectGolden(large.lift, 0.1, 0.0454753, 0.0108647, 0.189135);
  EXPECT_NEAR(*large.lift.p_value, 0.0278895, kGolden);
  EXPECT_EQ(large.lift.p_value_adjusted, large.lift.p_value);
}

TEST(StatsGolden, Sequential) {
  const Comparison c = Compare(Proportion(10000, 1000), Proportion(10000, 1100), kProportion,
                               Options(Engine::kSequential, Difference::kRelative));
  ASSERT_EQ(c.status, LiftStatus::kOk);
  ExpectGolden(c.lift, 0.1, 0.0454753, -0.0422064, 0.242206);
  EXPECT_NEAR(*c.lift.p_value, 0.549038, kGolden);
}

// ---- Degenerate inputs ----

void ExpectNoStatistic(const Comparison& c, LiftStatus status, Engine engine) {
  EXPECT_EQ(c.status, status);
  EXPECT_EQ(c.lift.expected, 0);
  EXPECT_EQ(c.lift.stddev, 0);
  EXPECT_EQ(c.lift.ci[0], 0);
  EXPECT_EQ(c.lift.ci[1], 0);
  if (engine == Engine::kBayesian) {
    EXPECT_EQ(c.lift.chance_to_win, 0.5);
    ASSERT_TRUE(c.lift.risk.has_value());
    EXPECT_EQ((*c.lift.risk)[0], 0);
    EXPECT_EQ((*c.lift.risk)[1], 0);
    EXPECT_FALSE(c.lift.p_value.has_value());
  } else {
    EXPECT_EQ(c.lift.p_value, 1);
    EXPECT_EQ(c.lift.p_value_adjusted, 1);
    EXPECT_FALSE(c.lift.chance_to_win.has_value());
  }
}

TEST(StatsDegenerate, ZeroConversionsInBothArms) {
  // p = 0 in both arms: variances 0·1 = 0.
  for (Engine engine : {Engine::kBayesian, Engine::kFrequentist, Engine::kSequential}) {
    for (Difference d : {Difference::kRelative, Difference::kAbsolute}) {
      ExpectNoStatistic(Compare(Proportion(1000, 0), Proportion(1000, 0), kProportion, Options(engine, d)),
                        LiftStatus::kZeroVariance, engine);
    }
  }
}

TEST(StatsDegenerate, ZeroOf500VersusThreeOf500) {
  // Control p = 0 → σA² = 0 → no test, for relative and absolute effects alike (the spec's example).
  for (Difference d : {Difference::kRelative, Difference::kAbsolute}) {
    ExpectNoStatistic(Compare(Proportion(500, 0), Proportion(500, 3), kProportion, Options(Engine::kBayesian, d)),
                      LiftStatus::kZeroVariance, Engine::kBayesian);
  }
}

TEST(StatsDegenerate, OneArmEmpty) {
  const std::vector<VariantStats> variants = {Proportion(0, 0), Proportion(1000, 100)};
  const AnalysisResult r = Analyze(variants, {}, kProportion, Options(Engine::kFrequentist, Difference::kRelative));
  EXPECT_EQ(r.variants[0].n, 0);
  EXPECT_EQ(r.variants[0].mean, 0);
  EXPECT_EQ(r.variants[0].variance, 0);
  ExpectNoStatistic({r.variants[1].status, *r.variants[1].lift}, LiftStatus::kZeroVariance, Engine::kFrequentist);
  EXPECT_LT(r.srm_p_value, 1e-6);  // 0 vs 1000 on a 50/50 split
}

TEST(StatsDegenerate, BaselineIsZero) {
  // Control values {1, −1, 1, −1}: mean 0, variance (4 − 0)/3 = 4/3 > 0; the relative lift is undefined.
  const VariantStats control = MeanOfValues({1, -1, 1, -1});
  const VariantStats variant = MeanOfValues({1, 2, 1, 2});
  ExpectNoStatistic(Compare(control, variant, MeanMetric(), Options(Engine::kBayesian, Difference::kRelative)),
                    LiftStatus::kBaselineIsZero, Engine::kBayesian);
}

// ---- Large counts ----

TEST(StatsHand, HugeCounts) {
  // 10^8 of 10^9 vs 1.001·10^8 of 10^9: μA = 0.1, μB = 0.1001, σA² = 0.09, σB² = 0.1001·0.8999 = 0.09007999.
  // Relative: Δ = 0.0001/0.1 = 0.001; Var = 0.09007999/(1e9·0.01) + 0.09·0.1001²/(1e9·1e-4)
  //         = 9.007999e-9 + 9.018009e-9 = 1.8026008e-8.
  const double variance = 1.8026008e-8;
  const VariantStats a = Proportion(1'000'000'000, 100'000'000);
  const VariantStats b = Proportion(1'000'000'000, 100'100'000);
  const Comparison bayes = Compare(a, b, kProportion, Options(Engine::kBayesian, Difference::kRelative));
  ASSERT_EQ(bayes.status, LiftStatus::kOk);
  EXPECT_NEAR(bayes.lift.expected, 0.001, 1e-12);
  EXPECT_NEAR(bayes.lift.stddev, std::sqrt(variance), 1e-12);
  EXPECT_NEAR(*bayes.lift.chance_to_win, Phi(0.001 / std::sqrt(variance)), 1e-12);
  // Welch ν ≈ 2·10^9, so Student's t is the normal to many digits: Δ ± 1.959963985·se.
  const Comparison freq = Compare(a, b, kProportion, Options(Engine::kFrequentist, Difference::kRelative));
  ASSERT_EQ(freq.status, LiftStatus::kOk);
  EXPECT_NEAR(freq.lift.ci[0], 0.001 - 1.959963985 * std::sqrt(variance), 1e-10);
  EXPECT_NEAR(freq.lift.ci[1], 0.001 + 1.959963985 * std::sqrt(variance), 1e-10);
  // z = 7.448, two-sided p = erfc(z/√2) ≈ 9.5e-14.
  EXPECT_NEAR(*freq.lift.p_value, std::erfc(0.001 / std::sqrt(variance) / std::sqrt(2.0)), 1e-15);
  EXPECT_GT(*freq.lift.p_value, 0);
}

TEST(StatsHand, RiskShortcutBeyond37Sd) {
  // 10^6 of 10^9 vs 2·10^6 of 10^9 is a 100 % lift hundreds of standard deviations out: risk = [m, 0] exactly.
  const Comparison c = Compare(Proportion(1'000'000'000, 1'000'000), Proportion(1'000'000'000, 2'000'000),
                               kProportion, Options(Engine::kBayesian, Difference::kRelative));
  ASSERT_EQ(c.status, LiftStatus::kOk);
  EXPECT_GT(c.lift.expected / c.lift.stddev, 37);
  EXPECT_EQ((*c.lift.risk)[0], c.lift.expected);
  EXPECT_EQ((*c.lift.risk)[1], 0);
  EXPECT_EQ(*c.lift.chance_to_win, 1);
}

// ---- Lower is better ----

TEST(StatsHand, LowerIsBetterFrequentistKeepsIntervalAndP) {
  const AnalysisOptions o = Options(Engine::kFrequentist, Difference::kRelative);
  const Comparison up = Compare(Proportion(100, 49), Proportion(100, 51), kProportion, o);
  const Comparison down = Compare(Proportion(100, 49), Proportion(100, 51), LowerIsBetter(), o);
  EXPECT_EQ(up.lift.ci, down.lift.ci);
  EXPECT_EQ(up.lift.p_value, down.lift.p_value);
}

// ---- Mean metric ----

TEST(StatsHand, MeanMetric) {
  // Control {1,2,3,4}: Σ 10, Σ² 30, mean 2.5, var (30 − 100/4)/3 = 5/3.
  // Variant {2,3,4,5}: Σ 14, Σ² 54, mean 3.5, var (54 − 196/4)/3 = 5/3.
  // Absolute: Δ = 1, Var = (5/3)/4 + (5/3)/4 = 5/6, se = 0.9128709.
  // Welch ν = (5/12 + 5/12)² / ((5/12)²/3 + (5/12)²/3) = 6; t_6(0.975) = 2.446912 (tables).
  const VariantStats a = MeanOfValues({1, 2, 3, 4});
  const VariantStats b = MeanOfValues({2, 3, 4, 5});
  const ArmSummary summary = Summarize(a, MeanMetric());
  EXPECT_DOUBLE_EQ(summary.mean, 2.5);
  EXPECT_DOUBLE_EQ(summary.variance, 5.0 / 3);
  const double se = std::sqrt(5.0 / 6);

  const Comparison bayes = Compare(a, b, MeanMetric(), Options(Engine::kBayesian, Difference::kAbsolute));
  EXPECT_NEAR(bayes.lift.expected, 1, 1e-12);
  EXPECT_NEAR(bayes.lift.stddev, se, 1e-12);
  EXPECT_NEAR(*bayes.lift.chance_to_win, Phi(1 / se), 1e-12);

  const Comparison freq = Compare(a, b, MeanMetric(), Options(Engine::kFrequentist, Difference::kAbsolute));
  EXPECT_NEAR(freq.lift.ci[0], 1 - 2.446912 * se, kGolden);
  EXPECT_NEAR(freq.lift.ci[1], 1 + 2.446912 * se, kGolden);
  // Two-sided p for even ν in closed form: p = 1 − x·Σ_{k<ν/2} c_k (1 − x²)^k with x = |t|/√(ν + t²) and
  // c = 1, 1/2, 3/8 for ν = 6.
  const double t = 1 / se;
  const double x = t / std::sqrt(6 + t * t);
  const double y = 1 - x * x;
  EXPECT_NEAR(*freq.lift.p_value, 1 - x * (1 + y / 2 + 3 * y * y / 8), 1e-12);

  // Relative: Δ = 1/2.5 = 0.4; Var = (5/3)/(4·6.25) + (5/3)·12.25/(4·39.0625) = 0.0666667 + 0.1306667 = 0.1973333.
  const Comparison rel = Compare(a, b, MeanMetric(), Options(Engine::kBayesian, Difference::kRelative));
  EXPECT_NEAR(rel.lift.expected, 0.4, 1e-12);
  EXPECT_NEAR(rel.lift.stddev, std::sqrt(0.1973333333333333), 1e-9);
}

// ---- Ratio metric (delta method) ----

TEST(StatsHand, RatioMetricDeltaMethod) {
  // Revenue per order. Control visitors (M, D): (10,1) (0,0) (30,2) (20,1):
  //   ΣM 60, ΣM² 1400, ΣD 4, ΣD² 6, ΣMD 90; μM 15, μD 1; σM² = (1400 − 900)/3 = 500/3, σD² = (6 − 4)/3 = 2/3,
  //   cov = (90 − 60)/3 = 10; var = 500/3 + (2/3)·225 − 2·10·15 = 50/3.
  // Variant (20,1) (0,0) (40,2) (25,1): ΣM 85, ΣM² 2625, ΣD 4, ΣD² 6, ΣMD 125; μM 21.25;
  //   σM² = (2625 − 1806.25)/3 = 818.75/3, cov = (125 − 85)/3 = 40/3;
  //   var = 818.75/3 + (2/3)·451.5625 − 2·(40/3)·21.25 = 21.875/3.
  // Absolute: Δ = 6.25, Var = (21.875/3)/4 + (50/3)/4 = 71.875/12.
  // Relative: Δ = 6.25/15; Var = (21.875/3)/(4·225) + (50/3)·451.5625/(4·50625).
  MetricSpec ratio;
  ratio.type = MetricType::kRatio;
  VariantStats a{.n = 4, .sum = 60, .sum_squares = 1400, .denominator = {4, 6}, .sum_products = 90};
  VariantStats b{.n = 4, .sum = 85, .sum_squares = 2625, .denominator = {4, 6}, .sum_products = 125};
  const ArmSummary sa = Summarize(a, ratio);
  EXPECT_NEAR(sa.mean, 15, 1e-12);
  EXPECT_NEAR(sa.variance, 50.0 / 3, 1e-9);
  EXPECT_NEAR(Summarize(b, ratio).variance, 21.875 / 3, 1e-9);

  const Comparison abs = Compare(a, b, ratio, Options(Engine::kBayesian, Difference::kAbsolute));
  EXPECT_NEAR(abs.lift.expected, 6.25, 1e-12);
  EXPECT_NEAR(abs.lift.stddev, std::sqrt(71.875 / 12), 1e-9);
  const Comparison rel = Compare(a, b, ratio, Options(Engine::kBayesian, Difference::kRelative));
  EXPECT_NEAR(rel.lift.expected, 6.25 / 15, 1e-12);
  EXPECT_NEAR(rel.lift.stddev, std::sqrt((21.875 / 3) / 900 + (50.0 / 3) * 451.5625 / 202500), 1e-9);
}

TEST(StatsHand, RatioOfTwoBinaryPartsUsesPopulationCovariance) {
  // Purchases per add-to-cart visitor, both 0/1. n 10, ΣD 5, ΣM 2 (both among the 5), ΣMD 2.
  // μM 0.2, μD 0.5, σM² 0.16, σD² 0.25, cov = 2/10 − 2·5/100 = 0.1 (not the sample (2 − 1)/9);
  // var = 0.16/0.25 + 0.25·0.04/0.0625 − 2·0.1·0.2/0.125 = 0.64 + 0.16 − 0.32 = 0.48.
  MetricSpec ratio;
  ratio.type = MetricType::kRatio;
  ratio.numerator = ValueKind::kProportion;
  ratio.denominator = ValueKind::kProportion;
  const VariantStats s{.n = 10, .sum = 2, .sum_squares = 2, .denominator = {5, 5}, .sum_products = 2};
  const ArmSummary summary = Summarize(s, ratio);
  EXPECT_NEAR(summary.mean, 0.4, 1e-12);
  EXPECT_NEAR(summary.variance, 0.48, 1e-12);
}

// ---- CUPED ----

TEST(StatsHand, CupedWithThetaZeroEqualsPlain) {
  // A constant covariate has variance 0, so θ = 0 and every number equals the plain test's, bit for bit.
  VariantStats a = MeanOfValues({1, 2, 3, 4, 7});
  VariantStats b = MeanOfValues({2, 3, 4, 5, 9});
  for (VariantStats* s : {&a, &b}) {
    s->pre = {static_cast<double>(s->n) * 2, static_cast<double>(s->n) * 4};
    s->pre_sum_products = s->sum * 2;
  }
  for (Engine engine : {Engine::kBayesian, Engine::kFrequentist, Engine::kSequential}) {
    for (Difference d : {Difference::kRelative, Difference::kAbsolute}) {
      AnalysisOptions plain = Options(engine, d);
      AnalysisOptions cuped = plain;
      cuped.cuped = true;
      const Comparison p = Compare(a, b, MeanMetric(), plain);
      const Comparison c = Compare(a, b, MeanMetric(), cuped);
      EXPECT_EQ(p.lift.expected, c.lift.expected);
      EXPECT_EQ(p.lift.stddev, c.lift.stddev);
      EXPECT_EQ(p.lift.ci, c.lift.ci);
      EXPECT_EQ(p.lift.chance_to_win, c.lift.chance_to_win);
      EXPECT_EQ(p.lift.p_value, c.lift.p_value);
    }
  }
}

TEST(StatsHand, CupedSmallSampleByHand) {
  // (post, pre) control (1,1) (2,2) (3,2) (4,3); variant (2,1) (4,3) (5,4) (3,2).
  // Pooled n 8: Σpost 24, Σpre 18, Σpre² 48, Σpost·pre 63; var(pre) = (48 − 40.5)/7 = 7.5/7,
  //   cov = (63 − 54)/7 = 9/7, θ = 9/7.5 = 1.2.
  // Control: μpost 2.5, μpre 2, σpost² 5/3, σpre² (18 − 16)/3 = 2/3, cov (23 − 20)/3 = 1;
  //   adjusted mean 2.5 − 2.4 = 0.1, adjusted var 5/3 + 1.44·2/3 − 2.4 = 0.2266667.
  // Variant: μpost 3.5, μpre 2.5, σpost² 5/3, σpre² (30 − 25)/3 = 5/3, cov (40 − 35)/3 = 5/3;
  //   adjusted mean 3.5 − 3 = 0.5, adjusted var (5/3)(1 + 1.44 − 2.4) = 0.0666667.
  // Absolute: Δ = 0.4, Var = 0.0666667/4 + 0.2266667/4 = 0.0733333 (plain: Δ 1, Var 5/6).
  // Relative: Δ = 0.4/2.5 = 0.16; Var = 0.0666667/25 + [(5/3)·1.96 − 2·1.2·1·1.4 + 1.44·2/3]/25
  //         = 0.0026667 + 0.0346667 = 0.0373333.
  const VariantStats a = WithPre({{1, 1}, {2, 2}, {3, 2}, {4, 3}});
  const VariantStats b = WithPre({{2, 1}, {4, 3}, {5, 4}, {3, 2}});
  AnalysisOptions o = Options(Engine::kBayesian, Difference::kAbsolute);
  o.cuped = true;
  const Comparison abs = Compare(a, b, MeanMetric(), o);
  ASSERT_EQ(abs.status, LiftStatus::kOk);
  EXPECT_NEAR(abs.lift.expected, 0.4, 1e-12);
  EXPECT_NEAR(abs.lift.stddev, std::sqrt(0.22 / 3), 1e-12);
  o.difference = Difference::kRelative;
  const Comparison rel = Compare(a, b, MeanMetric(), o);
  EXPECT_NEAR(rel.lift.expected, 0.16, 1e-12);
  EXPECT_NEAR(rel.lift.stddev, std::sqrt(0.112 / 3), 1e-12);
}

TEST(StatsHand, CupedReducesVarianceOnCorrelatedData) {
  // 2 × 5,000 visitors whose post-period spend is their pre-period spend plus small noise and, in the variant,
  // +1. Deterministic pseudo-random numbers (an LCG) keep the test reproducible.
  std::uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  std::vector<std::pair<double, double>> control, variant;
  for (int i = 0; i < 5000; ++i) {
    const double pre_a = 50 * uniform();
    control.push_back({pre_a + 4 * uniform(), pre_a});
    const double pre_b = 50 * uniform();
    variant.push_back({pre_b + 4 * uniform() + 1, pre_b});
  }
  const VariantStats a = WithPre(control);
  const VariantStats b = WithPre(variant);
  for (Difference d : {Difference::kRelative, Difference::kAbsolute}) {
    AnalysisOptions o = Options(Engine::kFrequentist, d);
    const Comparison plain = Compare(a, b, MeanMetric(), o);
    o.cuped = true;
    const Comparison cuped = Compare(a, b, MeanMetric(), o);
    // Var(pre) = 2500/12 ≈ 208, Var(noise) = 16/12 ≈ 1.3: CUPED removes almost all of the variance.
    EXPECT_LT(cuped.lift.stddev, plain.lift.stddev / 5);
    EXPECT_LT(*cuped.lift.p_value, *plain.lift.p_value);
  }
  AnalysisOptions o = Options(Engine::kFrequentist, Difference::kAbsolute);
  o.cuped = true;
  EXPECT_NEAR(Compare(a, b, MeanMetric(), o).lift.expected, 1, 0.05);  // the true effect
}

// ---- Priors ----

TEST(StatsHand, ProperPriorShrinksTowardsItsMean) {
  // 49/100 vs 51/100: Δ = 0.02/0.49, v = 0.2499/(100·0.2401) + 0.2499·0.2601/(100·0.2401²).
  // Prior N(0, 0.3²): precision = 1/v + 1/0.09, mean = (Δ/v)/precision, sd = √(1/precision).
  const double delta = 0.02 / 0.49;
  const double v = 0.2499 / (100 * 0.2401) + 0.2499 * 0.2601 / (100 * 0.2401 * 0.2401);
  const double precision = 1 / v + 1 / 0.09;
  AnalysisOptions o = Options(Engine::kBayesian, Difference::kRelative);
  o.prior.proper = true;
  const Comparison c = Compare(Proportion(100, 49), Proportion(100, 51), kProportion, o);
  EXPECT_NEAR(c.lift.expected, delta / v / precision, 1e-12);
  EXPECT_NEAR(c.lift.stddev, std::sqrt(1 / precision), 1e-12);
  EXPECT_LT(c.lift.expected, delta);
  EXPECT_NEAR(*c.lift.chance_to_win, Phi(c.lift.expected / c.lift.stddev), 1e-12);

  // Absolute: the prior is rescaled to N(0·0.49, 0.09·0.49²); v = 0.2499/100 · 2.
  o.difference = Difference::kAbsolute;
  const double v_abs = 2 * 0.2499 / 100;
  const double prior_var = 0.09 * 0.49 * 0.49;
  const double precision_abs = 1 / v_abs + 1 / prior_var;
  const Comparison a = Compare(Proportion(100, 49), Proportion(100, 51), kProportion, o);
  EXPECT_NEAR(a.lift.expected, 0.02 / v_abs / precision_abs, 1e-12);
  EXPECT_NEAR(a.lift.stddev, std::sqrt(1 / precision_abs), 1e-12);

  // A non-zero prior mean pulls towards itself: prior N(0.5, 0.3²) on a 4 % observed lift.
  o.difference = Difference::kRelative;
  o.prior.mean = 0.5;
  const Comparison pulled = Compare(Proportion(100, 49), Proportion(100, 51), kProportion, o);
  EXPECT_NEAR(pulled.lift.expected, (delta / v + 0.5 / 0.09) / precision, 1e-12);
  EXPECT_GT(pulled.lift.expected, delta);
}

// ---- Sequential ----

TEST(StatsHand, SequentialPBelowAlphaExactlyWhenIntervalExcludesZero) {
  const AnalysisOptions o = Options(Engine::kSequential, Difference::kRelative);
  for (double conversions : {1000.0, 1050.0, 1100.0, 1150.0, 1200.0, 1300.0}) {
    const Comparison c = Compare(Proportion(10000, 1000), Proportion(10000, conversions), kProportion, o);
    const bool excludes_zero = c.lift.ci[0] > 0 || c.lift.ci[1] < 0;
    EXPECT_EQ(*c.lift.p_value < 0.05, excludes_zero) << conversions;
    // Always-valid intervals are wider than the fixed-horizon ones.
    const Comparison fixed =
        Compare(Proportion(10000, 1000), Proportion(10000, conversions), kProportion,
                Options(Engine::kFrequentist, Difference::kRelative));
    EXPECT_GT(c.lift.ci[1] - c.lift.ci[0], fixed.lift.ci[1] - fixed.lift.ci[0]);
  }
}

// ---- SRM ----

TEST(StatsHand, SampleRatioMismatch) {
  const std::vector<double> half = {0.5, 0.5};
  EXPECT_DOUBLE_EQ(SampleRatioMismatchPValue(std::vector<std::int64_t>{5000, 5000}, half), 1);
  // 5000 vs 5050: e = 5025, χ² = 2·25²/5025 = 0.2488; df 1 → p = erfc(√(χ²/2)) = 0.618.
  EXPECT_NEAR(SampleRatioMismatchPValue(std::vector<std::int64_t>{5000, 5050}, half),
              std::erfc(std::sqrt(2 * 625.0 / 5025 / 2)), 1e-12);
  // 5000 vs 4000: e = 4500, χ² = 2·500²/4500 = 111.1; p = erfc(√55.56) ≈ 5.6e-26 < 0.001.
  const double p = SampleRatioMismatchPValue(std::vector<std::int64_t>{5000, 4000}, half);
  EXPECT_LT(p, 0.001);
  EXPECT_NEAR(p / std::erfc(std::sqrt(111.11111111111111 / 2)), 1, 1e-9);
  // Three arms 20/40/40 with 2000/4000/4000: exactly as expected.
  EXPECT_DOUBLE_EQ(SampleRatioMismatchPValue(std::vector<std::int64_t>{2000, 4000, 4000},
                                             std::vector<double>{0.2, 0.4, 0.4}),
                   1);
  // df 2: χ² = 100²/2000 + 50²/4000 + 50²/4000 = 6.25 → p = exp(−χ²/2) = 0.0439 (closed form for 2 df).
  EXPECT_NEAR(SampleRatioMismatchPValue(std::vector<std::int64_t>{2100, 3950, 3950},
                                        std::vector<double>{0.2, 0.4, 0.4}),
              std::exp(-6.25 / 2), 1e-12);
  // A zero-weight arm is left out: 5000/5000/0 with weights 0.5/0.5/0 is balanced.
  EXPECT_DOUBLE_EQ(SampleRatioMismatchPValue(std::vector<std::int64_t>{5000, 5000, 0},
                                             std::vector<double>{0.5, 0.5, 0}),
                   1);
  EXPECT_EQ(SampleRatioMismatchPValue(std::vector<std::int64_t>{0, 0}, half), 1);
}

// ---- Multiple comparisons ----

TEST(StatsHand, HolmAndBenjaminiHochberg) {
  // p = (0.01, 0.04, 0.03, 0.005), m = 4; sorted 0.005, 0.01, 0.03, 0.04.
  // Holm: 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06, 1·0.04 = 0.04 → running max 0.02, 0.03, 0.06, 0.06.
  // BH:   4/1·0.005 = 0.02, 4/2·0.01 = 0.02, 4/3·0.03 = 0.04, 4/4·0.04 = 0.04 → running min from the top: same.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const std::vector<double> holm = AdjustPValues(p, Correction::kHolm);
  const std::vector<double> bh = AdjustPValues(p, Correction::kBenjaminiHochberg);
  const std::vector<double> holm_expected = {0.03, 0.06, 0.06, 0.02};
  const std::vector<double> bh_expected = {0.02, 0.04, 0.04, 0.02};
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_NEAR(holm[i], holm_expected[i], 1e-15) << i;
    EXPECT_NEAR(bh[i], bh_expected[i], 1e-15) << i;
  }
  EXPECT_EQ(AdjustPValues(p, Correction::kNone), p);
  // Capped at 1: Holm (0.5, 0.8) → (2·0.5, max(1, 0.8)) = (1, 1); BH → (min(2·0.5, 0.8), 0.8) = (0.8, 0.8).
  EXPECT_EQ(AdjustPValues(std::vector<double>{0.5, 0.8}, Correction::kHolm), (std::vector<double>{1, 1}));
  EXPECT_EQ(AdjustPValues(std::vector<double>{0.5, 0.8}, Correction::kBenjaminiHochberg),
            (std::vector<double>{0.8, 0.8}));
  // BH where the step-up matters: (0.04, 0.045), m = 2 → (min(2·0.04, 0.045), 0.045) = (0.045, 0.045).
  const std::vector<double> step_up = AdjustPValues(std::vector<double>{0.04, 0.045}, Correction::kBenjaminiHochberg);
  EXPECT_NEAR(step_up[0], 0.045, 1e-15);
  EXPECT_NEAR(step_up[1], 0.045, 1e-15);
}

TEST(StatsHand, AnalyzeCorrectsAcrossVariants) {
  const std::vector<VariantStats> variants = {Proportion(10000, 1000), Proportion(10000, 1100),
                                              Proportion(10000, 1050), Proportion(10000, 0)};
  AnalysisOptions o = Options(Engine::kFrequentist, Difference::kRelative);
  o.correction = Correction::kHolm;
  const AnalysisResult r = Analyze(variants, {}, kProportion, o);
  ASSERT_EQ(r.variants.size(), 4u);
  EXPECT_FALSE(r.variants[0].lift.has_value());
  EXPECT_EQ(r.variants[3].status, LiftStatus::kZeroVariance);
  // Two real tests (the zero-variance arm is not a test): Holm on their raw p-values.
  const double p1 = *r.variants[1].lift->p_value;
  const double p2 = *r.variants[2].lift->p_value;
  const std::vector<double> expected = AdjustPValues(std::vector<double>{p1, p2}, Correction::kHolm);
  EXPECT_NEAR(p1, 0.0278895, kGolden);
  EXPECT_DOUBLE_EQ(*r.variants[1].lift->p_value_adjusted, expected[0]);
  EXPECT_DOUBLE_EQ(*r.variants[1].lift->p_value_adjusted, 2 * p1);  // the smaller of two: ×2
  EXPECT_DOUBLE_EQ(*r.variants[2].lift->p_value_adjusted, expected[1]);
  EXPECT_EQ(*r.variants[3].lift->p_value_adjusted, 1);
  EXPECT_DOUBLE_EQ(r.variants[1].mean, 0.11);
  EXPECT_DOUBLE_EQ(r.variants[1].variance, 0.11 * 0.89);
}

// ---- Sufficient statistics merge ----

TEST(StatsHand, SufficientStatisticsMergeByAddition) {
  VariantStats day1 = MeanOfValues({1, 2, 3});
  const VariantStats day2 = MeanOfValues({4, 7});
  day1 += day2;
  const VariantStats all = MeanOfValues({1, 2, 3, 4, 7});
  EXPECT_EQ(day1.n, all.n);
  EXPECT_DOUBLE_EQ(day1.sum, all.sum);
  EXPECT_DOUBLE_EQ(day1.sum_squares, all.sum_squares);
}

// ---- Validation ----

TEST(StatsValidation, RejectsInconsistentInput) {
  const AnalysisOptions o;
  const std::vector<VariantStats> ok = {Proportion(100, 49), Proportion(100, 51)};
  EXPECT_FALSE(ValidateAnalysisInput(ok, {}, kProportion, o).has_value());
  auto field = [&](std::vector<VariantStats> v, const MetricSpec& m, const AnalysisOptions& opts,
                   std::vector<double> w = {}) {
    const auto problem = ValidateAnalysisInput(v, w, m, opts);
    return problem ? problem->field : std::string("(none)");
  };
  EXPECT_EQ(field({Proportion(100, 49)}, kProportion, o), "variants");
  EXPECT_EQ(field({Proportion(100, 49), Proportion(-1, 0)}, kProportion, o), "variants[1].n");
  EXPECT_EQ(field({Proportion(100, 49), Proportion(100, 101)}, kProportion, o), "variants[1].sum");
  EXPECT_EQ(field({Proportion(100, -1), Proportion(100, 1)}, kProportion, o), "variants[0].sum");
  VariantStats bad_squares = Proportion(100, 10);
  bad_squares.sum_squares = 20;
  EXPECT_EQ(field({Proportion(100, 49), bad_squares}, kProportion, o), "variants[1].sum_squares");
  // Mean metric: (Σx)² ≤ n·Σx².
  VariantStats mean{.n = 2, .sum = 10, .sum_squares = 10};
  EXPECT_EQ(field({MeanOfValues({1, 2}), mean}, MeanMetric(), o), "variants[1].sum_squares");
  EXPECT_EQ(field(ok, kProportion, o, {0.5, -0.5}), "variants[1].weight");
  EXPECT_EQ(field(ok, kProportion, o, {0, 0}), "variants[0].weight");
  AnalysisOptions bad_alpha;
  bad_alpha.alpha = 1;
  EXPECT_EQ(field(ok, kProportion, bad_alpha), "alpha");
  AnalysisOptions bad_prior;
  bad_prior.prior = {true, 0, 0};
  EXPECT_EQ(field(ok, kProportion, bad_prior), "prior.stddev");
  MetricSpec ratio;
  ratio.type = MetricType::kRatio;
  AnalysisOptions cuped;
  cuped.cuped = true;
  EXPECT_EQ(field(ok, ratio, cuped), "cuped");
  VariantStats pre_too_big = Proportion(100, 49);
  pre_too_big.pre = {150, 150};
  EXPECT_EQ(field({Proportion(100, 49), pre_too_big}, kProportion, cuped), "variants[1].pre.sum");
}

// ---- Decisions ----

MetricOutcome Outcome(const Comparison& c, bool lower_is_better = false, std::string segment = "") {
  return {"purchase_rate", std::move(segment), lower_is_better, c};
}

DecisionInput WinningInput() {
  DecisionInput input;
  input.primary = Outcome(Compare(Proportion(10000, 1000), Proportion(10000, 1100), kProportion, AnalysisOptions{}));
  input.arms = {{10000, 1000}, {10000, 1100}};
  input.srm_p_value = 0.5;
  input.days_running = 14;
  return input;
}

bool HasReason(const DecisionResult& r, std::string_view code) {
  for (const DecisionReason& reason : r.reasons) {
    if (reason.code == code) return true;
  }
  return false;
}

TEST(StatsDecide, ShipsAClearWinner) {
  // Chance to win 0.986 > 0.95, 1100 ≥ 150 conversions, SRM healthy, no guardrails.
  const DecisionResult r = Decide(WinningInput());
  EXPECT_EQ(r.decision, Decision::kShip);
  EXPECT_TRUE(HasReason(r, "primary_wins"));
  EXPECT_EQ(DecisionName(r.decision), "ship");
}

TEST(StatsDecide, LosingGuardrailRollsBack) {
  DecisionInput input = WinningInput();
  // Mobile conversion falls 10 % → 9 % on 10,000 visitors: chance to win ≈ 0.008 < 0.05.
  input.guardrails.push_back(
      Outcome(Compare(Proportion(10000, 1000), Proportion(10000, 900), kProportion, AnalysisOptions{}), false,
              "device:mobile"));
  const DecisionResult r = Decide(input);
  EXPECT_EQ(r.decision, Decision::kRollBack);
  ASSERT_TRUE(HasReason(r, "guardrail_losing"));
  EXPECT_NE(r.reasons[0].message.find("device:mobile"), std::string::npos);
}

TEST(StatsDecide, GuardrailWithLowerIsBetter) {
  // A refund rate (lower is better) rising 10 % → 11 %: its chance to win is 1 − 0.986 < 0.05 → roll back.
  DecisionInput input = WinningInput();
  input.guardrails.push_back(
      Outcome(Compare(Proportion(10000, 1000), Proportion(10000, 1100), LowerIsBetter(), AnalysisOptions{}), true));
  EXPECT_EQ(Decide(input).decision, Decision::kRollBack);
  // The same rate falling is fine.
  input.guardrails.back() =
      Outcome(Compare(Proportion(10000, 1100), Proportion(10000, 1000), LowerIsBetter(), AnalysisOptions{}), true);
  EXPECT_EQ(Decide(input).decision, Decision::kShip);
}

TEST(StatsDecide, KeepsRunningUntilMinimumData) {
  DecisionInput input;
  input.primary = Outcome(Compare(Proportion(100, 49), Proportion(100, 51), kProportion, AnalysisOptions{}));
  input.arms = {{100, 49}, {100, 51}};  // 51 < 150 conversions in the larger arm
  DecisionResult r = Decide(input);
  EXPECT_EQ(r.decision, Decision::kKeepRunning);
  EXPECT_TRUE(HasReason(r, "min_data"));
  // A winner with an empty arm does not ship either.
  input = WinningInput();
  input.arms.push_back({0, 0});
  EXPECT_EQ(Decide(input).decision, Decision::kKeepRunning);
  // Configurable gates: 3 days minimum.
  input = WinningInput();
  input.days_running = 2;
  DecisionPolicy policy;
  policy.min_days = 3;
  EXPECT_EQ(Decide(input, policy).decision, Decision::kKeepRunning);
  input.days_running = 3;
  EXPECT_EQ(Decide(input, policy).decision, Decision::kShip);
}

TEST(StatsDecide, SampleRatioMismatchBlocksShipping) {
  DecisionInput input = WinningInput();
  input.srm_p_value = 1e-5;
  const DecisionResult r = Decide(input);
  EXPECT_EQ(r.decision, Decision::kKeepRunning);
  EXPECT_TRUE(HasReason(r, "srm"));
}

TEST(StatsDecide, LosingPrimaryRollsBack) {
  DecisionInput input = WinningInput();
  input.primary = Outcome(Compare(Proportion(10000, 1100), Proportion(10000, 1000), kProportion, AnalysisOptions{}));
  const DecisionResult r = Decide(input);
  EXPECT_EQ(r.decision, Decision::kRollBack);
  EXPECT_TRUE(HasReason(r, "primary_loses"));
}

TEST(StatsDecide, InconclusiveAtMaxDuration) {
  DecisionInput input = WinningInput();
  input.primary = Outcome(Compare(Proportion(10000, 1000), Proportion(10000, 1010), kProportion, AnalysisOptions{}));
  DecisionPolicy policy;
  policy.max_duration_days = 28;
  input.days_running = 20;
  EXPECT_EQ(Decide(input, policy).decision, Decision::kKeepRunning);
  input.days_running = 28;
  const DecisionResult r = Decide(input, policy);
  EXPECT_EQ(r.decision, Decision::kInconclusive);
  EXPECT_TRUE(HasReason(r, "max_duration"));
}

TEST(StatsDecide, FrequentistWinNeedsSignificanceInTheGoodDirection) {
  const AnalysisOptions freq = Options(Engine::kFrequentist, Difference::kRelative);
  DecisionInput input = WinningInput();
  input.primary = Outcome(Compare(Proportion(10000, 1000), Proportion(10000, 1100), kProportion, freq));  // p 0.028
  EXPECT_EQ(Decide(input).decision, Decision::kShip);
  // The same numbers for a lower-is-better metric are a significant loss.
  input.primary = Outcome(Compare(Proportion(10000, 1000), Proportion(10000, 1100), LowerIsBetter(), freq), true);
  EXPECT_EQ(Decide(input).decision, Decision::kRollBack);
  // Not significant: keep running.
  input.primary = Outcome(Compare(Proportion(10000, 1000), Proportion(10000, 1020), kProportion, freq));
  EXPECT_EQ(Decide(input).decision, Decision::kKeepRunning);
}

TEST(StatsDecide, DegeneratePrimaryIsNeutral) {
  DecisionInput input = WinningInput();
  input.primary = Outcome(Compare(Proportion(500, 0), Proportion(500, 3), kProportion, AnalysisOptions{}));
  input.arms = {{500, 0}, {500, 300}};
  const DecisionResult r = Decide(input);
  EXPECT_EQ(r.decision, Decision::kKeepRunning);
  EXPECT_TRUE(HasReason(r, "no_winner_yet"));
}

}  // namespace
}  // namespace pagelift::experiments
