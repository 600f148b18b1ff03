#include "collect/bots.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace pagelift::collect {

namespace {

// Lower-case substrings of self-declared bots.
constexpr std::array<std::string_view, 6> kBotMarkers = {"bot", "crawler", "spider", "slurp", "facebookexternalhit",
                                                         "bingpreview"};
// Real browsers whose User-Agent happens to contain a marker (Cubot phones: "... Android 10; CUBOT X30 ...").
constexpr std::array<std::string_view, 1> kFalsePositives = {"cubot"};

bool ContainsAt(const std::string& text, std::string_view needle, size_t& position) {
  position = text.find(needle, position);
  return position != std::string::npos;
}

}  // namespace

bool IsBotUserAgent(std::string_view user_agent) {
  std::string lower(user_agent);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto marker : kBotMarkers) {
    for (size_t position = 0; ContainsAt(lower, marker, position); position += marker.size()) {
      const bool explained = std::any_of(kFalsePositives.begin(), kFalsePositives.end(), [&](std::string_view fp) {
        const size_t offset = fp.find(marker);
        return offset != std::string_view::npos && position >= offset &&
               std::string_view(lower).substr(position - offset, fp.size()) == fp;
      });
      if (!explained) return true;
    }
  }
  return false;
}

}  // namespace pagelift::collect
