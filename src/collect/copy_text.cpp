#include "collect/copy_text.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace pagelift::collect {

namespace {

// Appends `value` as exactly `width` decimal digits (value < 10^width).
void AppendDigits(std::string& out, long long value, int width) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<size_t>(width));
}

}  // namespace

void CopyRows::Separate() {
  if (!first_column_) {
    out_ += '\t';
  } else if (!out_.empty()) {
    out_ += '\n';  // the previous row's end
  }
  first_column_ = false;
}

namespace {

// Whether any of the 8 bytes in `word` is below 0x20 or a backslash: the only bytes that may need an escape. A
// word-at-a-time test (the classic "has a byte less than n" bit trick), because text columns are mostly long runs of
// plain bytes (props, URLs) and this loop is the COPY formatting's hottest.
bool MayNeedEscape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;
  const uint64_t backslashes = word ^ (kOnes * '\\');
  const uint64_t backslash = (backslashes - kOnes) & ~backslashes & kHighs;
  return (control | backslash) != 0;
}

}  // namespace

void CopyRows::Text(std::string_view value) {
  Separate();
  size_t plain = 0;  // start of the run of characters that need no escape
  size_t i = 0;
  while (i < value.size()) {
    if (value.size() - i >= 8) {
      uint64_t word;
      std::memcpy(&word, value.data() + i, 8);
      if (!MayNeedEscape(word)) {
        i += 8;
        continue;
      }
    }
    char escaped;
    switch (value[i]) {
      case '\\': escaped = '\\'; break;
      case '\n': escaped = 'n'; break;
      case '\r': escaped = 'r'; break;
      case '\t': escaped = 't'; break;
      default: ++i; continue;
    }
    out_.append(value.data() + plain, i - plain);
    out_ += '\\';
    out_ += escaped;
    plain = ++i;
  }
  out_.append(value.data() + plain, value.size() - plain);
}

void CopyRows::Null() {
  Separate();
  out_ += "\\N";
}

void CopyRows::Timestamp(TimePoint ts) {
  Separate();
  const auto day = std::chrono::floor<std::chrono::days>(ts);
  const std::chrono::year_month_day date{std::chrono::sys_days{day.time_since_epoch()}};
  const long long micros_of_day = (ts - day).count();
  const long long seconds_of_day = micros_of_day / 1'000'000;
  const int year = static_cast<int>(date.year());
  if (year < 1 || year > 9999) {  // validation keeps ts within days of now; anything else is a bug upstream
    throw std::out_of_range("CopyRows::Timestamp: year outside 1..9999");
  }
  AppendDigits(out_, year, 4);
  out_ += '-';
  AppendDigits(out_, static_cast<unsigned>(date.month()), 2);
  out_ += '-';
  AppendDigits(out_, static_cast<unsigned>(date.day()), 2);
  out_ += ' ';
  AppendDigits(out_, seconds_of_day / 3600, 2);
  out_ += ':';
  AppendDigits(out_, seconds_of_day / 60 % 60, 2);
  out_ += ':';
  AppendDigits(out_, seconds_of_day % 60, 2);
  out_ += '.';
  AppendDigits(out_, micros_of_day % 1'000'000, 6);
  out_ += "+00";
}

void CopyRows::EndRow() { first_column_ = true; }

}  // namespace pagelift::collect
