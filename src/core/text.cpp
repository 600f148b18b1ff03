#include "core/text.h"

#include <fmt/format.h>

#include <cctype>

namespace pagelift {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::optional<std::int64_t> ParseMoneyCents(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t whole = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    whole = whole * 10 + (text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::int64_t fraction = 0;
  if (i < text.size()) {
    const auto digits = text.substr(i + 1);
    if (digits.empty() || digits.size() > 2) return std::nullopt;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    fraction = (digits[0] - '0') * 10 + (digits.size() == 2 ? digits[1] - '0' : 0);
  }
  return whole * 100 + fraction;
}

std::string FormatMoneyCents(std::int64_t cents) {
  const bool negative = cents < 0;
  const std::int64_t magnitude = negative ? -cents : cents;
  return fmt::format("{}{}.{:02}", negative ? "-" : "", magnitude / 100, magnitude % 100);
}

}  // namespace pagelift
