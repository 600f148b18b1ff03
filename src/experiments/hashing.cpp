// GrowthBook-compatible hashing and bucketing; see hashing.h.
#include "experiments/hashing.h"

#include <algorithm>
#include <string>

namespace pagelift::experiments {
namespace {

constexpr std::uint32_t kFnvOffsetBasis = 0x811c9dc5u;
constexpr std::uint32_t kFnvPrime = 0x01000193u;
constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes one code point starting at text[i] and advances i. Malformed sequences (bad lead byte, truncated or bad
// continuation, overlong forms, surrogates, > U+10FFFF) consume one byte and decode to U+FFFD, the WHATWG decoder's
// behaviour, so a visitor id that is not valid UTF-8 still hashes deterministically.
char32_t DecodeUtf8(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  int length = 0;
  char32_t code_point = 0;
  char32_t min_value = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
    min_value = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
    min_value = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
    min_value = 0x10000;
  } else {
    ++i;
    return kReplacementCharacter;
  }
  if (i + length > text.size()) {
    ++i;
    return kReplacementCharacter;
  }
  for (int k = 1; k < length; ++k) {
    const unsigned char continuation = byte(i + k);
    if ((continuation & 0xC0) != 0x80) {
      ++i;
      return kReplacementCharacter;
    }
    code_point = (code_point << 6) | (continuation & 0x3F);
  }
  if (code_point < min_value || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    ++i;
    return kReplacementCharacter;
  }
  i += length;
  return code_point;
}

std::uint32_t FnvStep(std::uint32_t hash, std::uint32_t code_unit) {
  hash ^= code_unit;
  return hash * kFnvPrime;  // unsigned arithmetic wraps mod 2^32, as the SDKs' `>>> 0` does
}

std::string Concat(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a);
  out.append(b);
  return out;
}

}  // namespace

std::uint32_t Fnv1a32Utf16(std::string_view utf8) {
  std::uint32_t hash = kFnvOffsetBasis;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const char32_t code_point = DecodeUtf8(utf8, i);
    if (code_point >= 0x10000) {
      const char32_t offset = code_point - 0x10000;
      hash = FnvStep(hash, 0xD800 + (offset >> 10));
      hash = FnvStep(hash, 0xDC00 + (offset & 0x3FF));
    } else {
      hash = FnvStep(hash, code_point);
    }
  }
  return hash;
}

std::optional<double> Hash(std::string_view seed, std::string_view value, int version) {
  if (version == 1) {
    return static_cast<double>(Fnv1a32Utf16(Concat(value, seed)) % 1000) / 1000;
  }
  if (version == 2) {
    const std::string inner = std::to_string(Fnv1a32Utf16(Concat(seed, value)));
    return static_cast<double>(Fnv1a32Utf16(inner) % 10000) / 10000;
  }
  return std::nullopt;
}

std::vector<double> GetEqualWeights(int num_variations) {
  if (num_variations <= 0) return {};
  return std::vector<double>(static_cast<std::size_t>(num_variations), 1.0 / num_variations);
}

std::vector<BucketRange> GetBucketRanges(int num_variations, double coverage,
                                         std::optional<std::span<const double>> weights) {
  coverage = std::clamp(coverage, 0.0, 1.0);
  std::vector<double> effective = GetEqualWeights(num_variations);
  if (weights && weights->size() == effective.size()) {
    double total = 0;
    for (double w : *weights) total += w;
    // The SDKs tolerate rounding in user-entered weights but fall back to equal weights for anything else.
    if (total >= 0.99 && total <= 1.01) effective.assign(weights->begin(), weights->end());
  }
  std::vector<BucketRange> ranges;
  ranges.reserve(effective.size());
  double cumulative = 0;
  for (double w : effective) {
    const double start = cumulative;
    cumulative += w;
    ranges.push_back({start, start + coverage * w});
  }
  return ranges;
}

int ChooseVariation(double n, std::span<const BucketRange> ranges) {
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (n >= ranges[i].start && n < ranges[i].end) return static_cast<int>(i);
  }
  return -1;
}

bool InNamespace(std::string_view user_id, std::string_view ns_id, double start, double end) {
  const std::optional<double> n = Hash(Concat("__", ns_id), user_id, 1);
  return n && *n >= start && *n < end;
}

std::optional<int> Assign(const AssignmentSpec& experiment, std::string_view hash_value) {
  if (experiment.num_variations < 2 || hash_value.empty()) return std::nullopt;
  if (experiment.ns && !InNamespace(hash_value, experiment.ns->id, experiment.ns->start, experiment.ns->end)) {
    return std::nullopt;
  }
  const std::string_view seed = experiment.seed ? std::string_view(*experiment.seed) : experiment.key;
  const std::optional<double> n = Hash(seed, hash_value, experiment.hash_version);
  if (!n) return std::nullopt;
  std::optional<std::span<const double>> weights;
  if (experiment.weights) weights = std::span<const double>(*experiment.weights);
  const std::vector<BucketRange> ranges = GetBucketRanges(experiment.num_variations, experiment.coverage, weights);
  const int variation = ChooseVariation(*n, ranges);
  if (variation < 0) return std::nullopt;
  return variation;
}

}  // namespace pagelift::experiments
