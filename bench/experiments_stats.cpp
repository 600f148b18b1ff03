// Benchmark of the statistics engine (issue #5): results for 10,000 cells (experiment × variant × segment × metric)
// against the target of 10,000 cells in 20 ms, i.e. 500,000 cells/s. Prints cells/s and ratio_to_target (> 1 is
// faster than the target). The workload is 250 experiments × 2 variants × 5 segments × 4 metrics (a proportion, a
// mean, a ratio, and a CUPED mean), each (experiment, segment, metric) analysed with Analyze as the results API does.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "experiments/stats.h"

namespace pagelift::experiments {
namespace {

constexpr int kExperiments = 250;
constexpr int kVariants = 2;
constexpr int kSegments = 5;
constexpr int kMetrics = 4;
constexpr double kCells = kExperiments * kVariants * kSegments * kMetrics;
constexpr double kTargetCellsPerSecond = 10000 / 0.020;

struct Analysis {
  MetricSpec metric;
  AnalysisOptions options;
  std::vector<VariantStats> variants;
};

// Deterministic, realistic-looking sufficient statistics (no randomness: runs are comparable).
std::vector<Analysis> MakeWorkload(Engine engine) {
  std::vector<Analysis> work;
  std::uint64_t state = 42;
  auto next = [&](double lo, double hi) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int e = 0; e < kExperiments; ++e) {
    for (int s = 0; s < kSegments; ++s) {
      for (int m = 0; m < kMetrics; ++m) {
        Analysis a;
        a.options.engine = engine;
        a.options.correction = engine == Engine::kBayesian ? Correction::kNone : Correction::kHolm;
        for (int v = 0; v < kVariants; ++v) {
          VariantStats stats;
          stats.n = static_cast<std::int64_t>(next(2000, 20000));
          const double n = static_cast<double>(stats.n);
          switch (m) {
            case 0:  // purchase rate
              a.metric.type = MetricType::kProportion;
              stats.sum = std::floor(n * next(0.02, 0.04));
              stats.sum_squares = stats.sum;
              break;
            case 1:  // revenue per visitor
              a.metric.type = MetricType::kMean;
              stats.sum = n * next(1.5, 2.5);
              stats.sum_squares = n * next(200, 400);
              break;
            case 2:  // average order value = revenue / orders
              a.metric.type = MetricType::kRatio;
              stats.denominator.sum = std::floor(n * 0.03);
              stats.denominator.sum_squares = stats.denominator.sum * 1.1;
              stats.sum = stats.denominator.sum * next(50, 80);
              stats.sum_squares = stats.denominator.sum * next(5000, 9000);
              stats.sum_products = stats.sum * 1.05;
              break;
            default:  // revenue per visitor with CUPED
              a.metric.type = MetricType::kMean;
              a.options.cuped = true;
              stats.sum = n * next(1.5, 2.5);
              stats.sum_squares = n * next(200, 400);
              stats.pre.sum = n * next(1.5, 2.5);
              stats.pre.sum_squares = n * next(200, 400);
              stats.pre_sum_products = n * next(50, 150);
              break;
          }
          a.variants.push_back(stats);
        }
        work.push_back(std::move(a));
      }
    }
  }
  return work;
}

void BM_StatsCells(benchmark::State& state, Engine engine) {
  const std::vector<Analysis> work = MakeWorkload(engine);
  // Wall time, as the target is: on a loaded machine this understates the engine, never overstates it.
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (const Analysis& a : work) {
      AnalysisResult result = Analyze(a.variants, {}, a.metric, a.options);
      benchmark::DoNotOptimize(result);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cells_per_second = kCells * static_cast<double>(state.iterations()) / seconds;
  state.counters["cells_per_s"] = cells_per_second;
  state.counters["ratio_to_target"] = cells_per_second / kTargetCellsPerSecond;
}

BENCHMARK_CAPTURE(BM_StatsCells, bayesian, Engine::kBayesian)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_StatsCells, frequentist, Engine::kFrequentist)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_StatsCells, sequential, Engine::kSequential)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace pagelift::experiments

BENCHMARK_MAIN();
