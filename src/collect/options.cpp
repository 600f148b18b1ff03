#include "collect/options.h"

#include <charconv>
#include <fmt/format.h>

namespace pagelift::collect {

namespace {

// A non-negative integer no larger than `max`, or an error naming the variable.
Result<double> ReadCount(const EnvLookup& env, const char* name, double fallback, long long max) {
  const auto text = env(name);
  if (!text || text->empty()) return fallback;
  long long value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size() || value < 0 || value > max) {
    return MakeError(ErrorCode::kBadRequest, fmt::format("{} must be an integer from 0 to {}", name, max),
                     {{"variable", name}, {"value", *text}});
  }
  return static_cast<double>(value);
}

}  // namespace

Result<CollectorOptions> LoadCollectorOptions(const EnvLookup& env) {
  CollectorOptions options;
  auto rate = ReadCount(env, "PAGELIFT_COLLECT_SHOP_RATE", options.rate_limit.events_per_second, 100'000'000);
  if (!rate) return rate.error();
  auto burst = ReadCount(env, "PAGELIFT_COLLECT_SHOP_BURST", options.rate_limit.burst_events, 1'000'000'000);
  if (!burst) return burst.error();
  options.rate_limit.events_per_second = *rate;
  options.rate_limit.burst_events = *burst;
  return options;
}

}  // namespace pagelift::collect
