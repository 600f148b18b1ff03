// Generated copy for automatic fixes: alt text, SEO titles and descriptions, a title without shouting or keyword
// stuffing, and a scannable description. Everything is templated from the product's own data (title, vendor, type,
// option values, its own sentences) in the shop's brand voice — never a claim the merchant did not make.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recommend/audit.h"
#include "recommend/product_view.h"

namespace pagelift::recommend {

// Alt text for image `index` (0-based) of `count`.
std::string GenerateAltText(const ProductView& product, std::size_t index, std::size_t count, Voice voice);
// An SEO title of at most `max_chars` characters.
std::string GenerateSeoTitle(const ProductView& product, Voice voice, int max_chars);
// An SEO description of at most `max_chars` characters: the description's own first sentences, or (when it has too
// little text) a sentence built from title, vendor, type and option values.
std::string GenerateSeoDescription(const ProductView& product, Voice voice, int min_chars, int max_chars);
// "CLASSIC CREW TEE" → "Classic Crew Tee" (words with digits are kept as written).
std::string TitleCase(std::string_view title);
// The title before the first " - ", " – ", " | " or ", " when that leaves a usable title (≥ 10 and ≤ max_chars
// characters); nullopt when the title cannot be shortened without rewriting it.
std::optional<std::string> ShortenTitle(std::string_view title, int max_chars);
// The description's sentences as an intro paragraph and a bulleted list; nullopt with fewer than three sentences.
std::optional<std::string> StructuredDescription(const DescriptionView& description);
// Cuts at a word boundary so the result has at most `max_chars` bytes (UTF-8 safe).
std::string TruncateAtWord(std::string_view text, std::size_t max_chars);

}  // namespace pagelift::recommend
