// bench_audit: the audit engine's throughput on one core — products of the simulator's seeded catalog audited per
// second (every rule, gumbo parse of body_html, generated patch payloads, the product fingerprint), against issue 6's
// target of 5,000 products/s. Two figures: from parsed JSON (what Auditor::AuditCatalog does) and from the JSON text
// products_cache returns (what a re-audit job does, parse included). Single-threaded by construction.
// Usage: bench_audit [PRODUCTS=5000] [ROUNDS=5]   (seed 1; the best round counts, as the machine is shared)
#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <string>
#include <vector>

#include "recommend/audit.h"
#include "unit/recommend/seeded_catalog.h"

namespace json = boost::json;
using namespace pagelift;

namespace {

constexpr double kTargetPerSecond = 5000;

// CPU time of this thread: "products per second on one core" even when the machine is shared (wall time on a loaded
// 2-core box measures the neighbours). Wall time is printed too.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Rate {
  double cpu = 0;   // products per CPU second (best round)
  double wall = 0;  // products per wall second (best round)
};

template <typename F>
Rate BestRate(int rounds, std::size_t products, F&& run) {
  Rate best;
  for (int round = 0; round < rounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuSeconds();
    run();
    const double cpu = ThreadCpuSeconds() - cpu_start;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best.cpu = std::max(best.cpu, static_cast<double>(products) / cpu);
    best.wall = std::max(best.wall, static_cast<double>(products) / wall);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int products = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const auto catalog = recommend::testing::SeededCatalogData(1, products);
  std::vector<std::string> texts;
  texts.reserve(catalog.size());
  for (const auto& data : catalog) texts.push_back(json::serialize(data));

  recommend::AuditConfig config;
  config.shop_domain = "bench.myshopify.com";
  const recommend::Auditor auditor(config);
  std::size_t findings = 0;
  const Rate from_json = BestRate(rounds, catalog.size(), [&] {
    findings = auditor.AuditCatalog(catalog, recommend::ShopFacts{true}).FindingCount();
  });
  const Rate from_text = BestRate(rounds, catalog.size(), [&] {
    std::vector<json::object> parsed;
    parsed.reserve(texts.size());
    for (const auto& text : texts) parsed.push_back(json::parse(text).as_object());
    findings = auditor.AuditCatalog(parsed, recommend::ShopFacts{true}).FindingCount();
  });
  fmt::print("bench_audit: {} products (seed 1), {} findings, best of {} rounds, one core\n", catalog.size(), findings,
             rounds);
  fmt::print("  audit from parsed JSON:      {:>7.0f} products/s of CPU ({:>7.0f}/s wall)  ratio to target {:.0f}/s: {:.2f}\n",
             from_json.cpu, from_json.wall, kTargetPerSecond, from_json.cpu / kTargetPerSecond);
  fmt::print("  audit incl. JSON text parse: {:>7.0f} products/s of CPU ({:>7.0f}/s wall)  ratio to target {:.0f}/s: {:.2f}\n",
             from_text.cpu, from_text.wall, kTargetPerSecond, from_text.cpu / kTargetPerSecond);
  return 0;
}
