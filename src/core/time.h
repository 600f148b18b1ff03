// Time helpers: RFC 3339 formatting and parsing in UTC. No I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pagelift {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

// "2026-11-30T12:34:56.789Z"
std::string FormatRfc3339Millis(Clock::time_point t);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" (also a space for T, lowercase t/z). nullopt on anything else.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace pagelift
