// Visitor assignment, compatible with GrowthBook's SDKs (../shared/spec/statistics.md, "Assignment").
// Assignment is a pure function of (experiment seed, visitor id): the storefront script and the server compute it
// independently and must agree bit for bit, so everything here follows the SDKs' arithmetic exactly (FNV-1a over
// UTF-16 code units, the same float divisions, the same half-open range checks).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pagelift::experiments {

// GrowthBook's default when an experiment names no hash version; kept for SDK compatibility.
inline constexpr int kDefaultHashVersion = 1;
// The hash version pagelift's own experiments use (better distributed than v1 for similar seeds).
inline constexpr int kPageliftHashVersion = 2;

// FNV-1a 32-bit over the UTF-16 code units of `utf8` (what JavaScript's charCodeAt yields), so that astral
// characters hash as their surrogate pairs. Invalid UTF-8 bytes count as U+FFFD each, as TextDecoder does.
std::uint32_t Fnv1a32Utf16(std::string_view utf8);

// A number in [0, 1): v1 `(fnv(value + seed) % 1000) / 1000`, v2 `(fnv(str(fnv(seed + value))) % 10000) / 10000`.
// Any other version yields no hash.
std::optional<double> Hash(std::string_view seed, std::string_view value, int version);

// n weights of 1/n each; empty when n <= 0.
std::vector<double> GetEqualWeights(int num_variations);

// A half-open interval [start, end) of the hash space.
struct BucketRange {
  double start = 0;
  double end = 0;
  friend bool operator==(const BucketRange&, const BucketRange&) = default;
};

// Range i = [s, s + coverage * w_i), then s += w_i; coverage is clamped to [0, 1]. Weights that are missing, of the
// wrong count, or whose sum is outside [0.99, 1.01] are replaced by equal weights.
std::vector<BucketRange> GetBucketRanges(int num_variations, double coverage,
                                         std::optional<std::span<const double>> weights = std::nullopt);

// The first range with start <= n < end, or -1 when none holds n.
int ChooseVariation(double n, std::span<const BucketRange> ranges);

// Whether the user falls in [start, end) of namespace `ns_id` (hash v1 of user_id with seed "__" + ns_id).
bool InNamespace(std::string_view user_id, std::string_view ns_id, double start, double end);

struct NamespaceRange {
  std::string id;
  double start = 0;
  double end = 1;
};

// What assignment needs to know about one experiment (a subset of GrowthBook's experiment definition).
struct AssignmentSpec {
  std::string key;
  std::optional<std::string> seed = std::nullopt;  // defaults to key
  int hash_version = kDefaultHashVersion;
  int num_variations = 0;
  std::optional<std::vector<double>> weights = std::nullopt;  // defaults to equal weights
  double coverage = 1.0;
  std::optional<NamespaceRange> ns = std::nullopt;
};

// The variation index a visitor (identified by the value of the experiment's hash attribute) gets, or nullopt when
// the visitor is not in the experiment: fewer than 2 variations, empty hash value, outside the namespace, unknown
// hash version, or in a coverage gap.
std::optional<int> Assign(const AssignmentSpec& experiment, std::string_view hash_value);

}  // namespace pagelift::experiments
