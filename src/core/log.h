// Structured logging: one JSON object per line on stderr
// {"time": RFC 3339 UTC with ms, "level", "message", then the caller's fields such as request_id and shop}.
// Backed by spdlog (thread-safe sink, level filter); the JSON is built here so every line parses.
// Never pass a secret (token, key, signature) as a field.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace pagelift::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Parses "debug" | "info" | "warn" | "error"; false when the text is none of them.
bool ParseLevel(std::string_view text, Level& level);

// Sets the minimum level written. Safe to call at any time; the default is kInfo.
void SetLevel(Level level);

// Redirects output to a file (tests); an empty path restores stderr.
void SetOutputFile(const std::string& path);

void Write(Level level, std::string_view message, const boost::json::object& fields = {});
inline void Debug(std::string_view m, const boost::json::object& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const boost::json::object& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const boost::json::object& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const boost::json::object& f = {}) { Write(Level::kError, m, f); }

// Formats one line (without the newline); exposed for tests.
std::string FormatLine(Level level, std::string_view message, const boost::json::object& fields);

}  // namespace pagelift::log
