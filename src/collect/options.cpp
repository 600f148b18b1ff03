#include "collect/options.h"

#include <charconv>
#include <fmt/format.h>

namespace pagelift::collect {

namespace {

// An integer from `min` to `max`, or an error naming the variable.
Result<double> ReadCount(const EnvLookup& env, const char* name, double fallback, long long max, long long min = 0) {
  const auto text = env(name);
  if (!text || text->empty()) return fallback;
  long long value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size() || value < min || value > max) {
    return MakeError(ErrorCode::kBadRequest, fmt::format("{} must be an integer from {} to {}", name, min, max),
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
  auto flushers = ReadCount(env, "PAGELIFT_COLLECT_FLUSHERS", options.writer.flushers, 4, 1);
  if (!flushers) return flushers.error();
  auto max_delay = ReadCount(env, "PAGELIFT_COLLECT_MAX_DELAY_US", static_cast<double>(options.writer.max_delay.count()),
                             100'000);
  if (!max_delay) return max_delay.error();
  options.writer.flushers = static_cast<int>(*flushers);
  options.writer.max_delay = std::chrono::microseconds(static_cast<long long>(*max_delay));
  return options;
}

}  // namespace pagelift::collect
