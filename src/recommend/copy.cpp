// Generated copy for automatic fixes. See copy.h.
#include "recommend/copy.h"

#include <fmt/format.h>

#include <cctype>

#include "core/text.h"

namespace pagelift::recommend {

namespace {

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The option a shopper chooses between (Size, Color…), if the product has real options.
const OptionView* MainOption(const ProductView& product) {
  for (const auto& option : product.options) {
    if (option.values.size() > 1 && !option.name.empty() && option.name != "Title") return &option;
  }
  return nullptr;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string TruncateAtWord(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  std::size_t cut = max_chars;
  while (cut > 0 && IsUtf8Continuation(text[cut])) --cut;
  const std::size_t space = text.substr(0, cut + 1).rfind(' ');
  if (space != std::string_view::npos && space > max_chars / 2) cut = space;
  std::string out(text.substr(0, cut));
  while (!out.empty() && (out.back() == ' ' || out.back() == ',' || out.back() == '-' || out.back() == '|')) out.pop_back();
  return out;
}

std::string GenerateAltText(const ProductView& product, std::size_t index, std::size_t count, Voice voice) {
  const std::string& title = product.title.empty() ? product.handle : product.title;
  const std::size_t n = index + 1;
  switch (voice) {
    case Voice::kFormal:
      if (count <= 1) return product.vendor.empty() ? title : fmt::format("{} by {}", title, product.vendor);
      return fmt::format("{}, image {} of {}", title, n, count);
    case Voice::kFriendly:
      if (count <= 1) return fmt::format("A look at the {}", title);
      return fmt::format("A look at the {}, photo {} of {}", title, n, count);
    case Voice::kNeutral:
      break;
  }
  if (count <= 1) return title;
  return fmt::format("{} – image {} of {}", title, n, count);
}

std::string GenerateSeoTitle(const ProductView& product, Voice voice, int max_chars) {
  const auto limit = static_cast<std::size_t>(std::max(10, max_chars));
  std::string candidate;
  if (!product.vendor.empty()) {
    switch (voice) {
      case Voice::kFormal: candidate = fmt::format("{} — {}", product.title, product.vendor); break;
      case Voice::kFriendly: candidate = fmt::format("{} from {}", product.title, product.vendor); break;
      case Voice::kNeutral: candidate = fmt::format("{} | {}", product.title, product.vendor); break;
    }
  }
  if (!candidate.empty() && candidate.size() <= limit) return candidate;
  return TruncateAtWord(product.title, limit);
}

std::string GenerateSeoDescription(const ProductView& product, Voice voice, int min_chars, int max_chars) {
  const auto limit = static_cast<std::size_t>(std::max(50, max_chars));
  // The description's own words first.
  std::string text;
  for (const auto& sentence : product.description.sentences) {
    if (sentence == product.title) continue;  // a description that only repeats the title says nothing new
    const std::string next = text.empty() ? sentence : text + " " + sentence;
    if (next.size() > limit) {
      if (text.empty()) text = TruncateAtWord(sentence, limit);
      break;
    }
    text = next;
  }
  if (text.size() >= static_cast<std::size_t>(std::max(0, min_chars))) return text;
  // Too little text: a sentence from the product's facts.
  std::string built;
  const std::string by = product.vendor.empty() ? "" : fmt::format(" by {}", product.vendor);
  switch (voice) {
    case Voice::kFormal: built = fmt::format("Discover the {}{}.", product.title, by); break;
    case Voice::kFriendly: built = fmt::format("Meet the {}{}.", product.title, by); break;
    case Voice::kNeutral: built = fmt::format("Shop the {}{}.", product.title, by); break;
  }
  if (const OptionView* option = MainOption(product)) {
    std::string values;
    for (std::size_t i = 0; i < option->values.size(); ++i) {
      if (i) values += i + 1 == option->values.size() ? " and " : ", ";
      values += option->values[i];
    }
    built += fmt::format(" Available in {} {} options: {}.", option->values.size(), Lower(option->name), values);
  } else if (!product.product_type.empty()) {
    built += fmt::format(" {}.", product.product_type);
  }
  if (!text.empty()) built += " " + text;
  return TruncateAtWord(built, limit);
}

std::string TitleCase(std::string_view title) {
  std::string out;
  out.reserve(title.size());
  std::size_t i = 0;
  while (i < title.size()) {
    if (title[i] == ' ') {
      out += ' ';
      ++i;
      continue;
    }
    std::size_t end = title.find(' ', i);
    if (end == std::string_view::npos) end = title.size();
    const std::string_view word = title.substr(i, end - i);
    bool has_digit = false;
    for (char c : word) has_digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (has_digit) {
      out += word;
    } else {
      bool first = true;
      for (char c : word) {
        const auto u = static_cast<unsigned char>(c);
        out += static_cast<char>(first ? std::toupper(u) : std::tolower(u));
        if (std::isalpha(u)) first = false;
      }
    }
    i = end;
  }
  return out;
}

std::optional<std::string> ShortenTitle(std::string_view title, int max_chars) {
  static constexpr std::string_view kSeparators[] = {" - ", " – ", " — ", " | ", ", "};
  std::size_t best = std::string_view::npos;
  for (const auto separator : kSeparators) best = std::min(best, title.find(separator));
  if (best == std::string_view::npos || best < 10 || best > static_cast<std::size_t>(max_chars)) return std::nullopt;
  return std::string(title.substr(0, best));
}

std::optional<std::string> StructuredDescription(const DescriptionView& description) {
  if (description.sentences.size() < 3) return std::nullopt;
  std::string html = fmt::format("<p>{}</p><ul>", HtmlEscape(description.sentences.front()));
  for (std::size_t i = 1; i < description.sentences.size(); ++i) {
    html += fmt::format("<li>{}</li>", HtmlEscape(description.sentences[i]));
  }
  html += "</ul>";
  return html;
}

}  // namespace pagelift::recommend
