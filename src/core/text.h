// Text conversions used on both sides of the app and the simulator: HTML escaping (the admin UI's page template, the
// simulator's pages, generated product copy) and Shopify's decimal money strings ("19.99") as integer cents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pagelift {

// & < > " ' as character references: safe in element content and in a single- or double-quoted attribute.
std::string HtmlEscape(std::string_view text);

// "19", "19.9", "19.99" → cents; anything else (signs, more than two decimals, over 18 characters) → nullopt.
std::optional<std::int64_t> ParseMoneyCents(std::string_view text);

// Cents → Shopify's decimal string with two decimals ("-1.05", "19.90").
std::string FormatMoneyCents(std::int64_t cents);

}  // namespace pagelift
