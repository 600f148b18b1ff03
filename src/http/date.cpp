#include "http/date.h"

#include <fmt/format.h>

#include <chrono>
#include <iterator>

namespace pagelift::http {

namespace {

// Writes the IMF-fixdate of `seconds` at `out` (calendar arithmetic through <chrono>: no locale, no time zone, no
// lock) and returns the end of what it wrote.
template <typename Out>
Out WriteImfFixdate(std::time_t seconds, Out out) {
  static constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  using namespace std::chrono;
  const sys_seconds time{std::chrono::seconds(seconds)};
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};
  return fmt::format_to(out, "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[weekday{day}.c_encoding()],
                        static_cast<unsigned>(date.day()), kMonths[static_cast<unsigned>(date.month()) - 1],
                        static_cast<int>(date.year()), clock.hours().count(), clock.minutes().count(),
                        clock.seconds().count());
}

}  // namespace

std::string FormatImfFixdate(std::time_t seconds) {
  std::string text;
  WriteImfFixdate(seconds, std::back_inserter(text));
  return text;
}

std::string_view DateCache::At(std::time_t seconds) {
  if (seconds != second_) {
    text_.clear();
    WriteImfFixdate(seconds, std::back_inserter(text_));
    second_ = seconds;
  }
  return text_;
}

}  // namespace pagelift::http
