// The Date header (RFC 9110 §6.6.1): an origin server with a clock sends it in every 2xx, 3xx and 4xx answer, as an
// IMF-fixdate (§5.6.7, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"). The value changes once a second, so each I/O thread keeps
// one DateCache and formats the text once per second instead of once per response.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace pagelift::http {

// `seconds` since the Unix epoch as an IMF-fixdate (always 29 characters for the years 1970-9999).
std::string FormatImfFixdate(std::time_t seconds);

// The current IMF-fixdate, reformatted only when the second changes. Not thread-safe: one per I/O thread.
class DateCache {
 public:
  // The text for the wall clock's current second.
  std::string_view Now() { return At(std::time(nullptr)); }
  // The text for `seconds`; valid until the next call with another second.
  std::string_view At(std::time_t seconds);

 private:
  std::time_t second_ = -1;
  std::string text_;  // keeps its capacity: reformatting does not allocate
};

}  // namespace pagelift::http
