// Unit tests of experiments/hashing.h beyond the GrowthBook conformance file: UTF-16 code units (what the storefront
// script hashes), invalid UTF-8, and Assign's defaults.
#include "experiments/hashing.h"

#include <gtest/gtest.h>

#include <vector>

namespace pagelift::experiments {
namespace {

// The textbook FNV-1a over a list of 16-bit code units, written independently of the implementation.
std::uint32_t ReferenceFnv(const std::vector<std::uint32_t>& code_units) {
  std::uint64_t h = 2166136261u;
  for (std::uint32_t c : code_units) {
    h ^= c;
    h = (h * 16777619u) % 4294967296u;
  }
  return static_cast<std::uint32_t>(h);
}

TEST(Fnv1a32Utf16, AsciiMatchesPublishedVectors) {
  // Published FNV-1a 32-bit test vectors (ASCII: one code unit per byte).
  EXPECT_EQ(Fnv1a32Utf16(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a32Utf16("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv1a32Utf16("foobar"), 0xbf9cf968u);
}

TEST(Fnv1a32Utf16, HashesCodeUnitsNotBytes) {
  // "é" is U+00E9: one UTF-16 code unit 0xE9 (two UTF-8 bytes C3 A9).
  EXPECT_EQ(Fnv1a32Utf16("\xC3\xA9"), ReferenceFnv({0xE9}));
  EXPECT_NE(Fnv1a32Utf16("\xC3\xA9"), ReferenceFnv({0xC3, 0xA9}));
  // "€" is U+20AC, three UTF-8 bytes.
  EXPECT_EQ(Fnv1a32Utf16("x\xE2\x82\xAC"), ReferenceFnv({'x', 0x20AC}));
}

TEST(Fnv1a32Utf16, AstralCharactersAreSurrogatePairs) {
  // U+1F600 (grinning face) = F0 9F 98 80 in UTF-8 = D83D DE00 in UTF-16.
  EXPECT_EQ(Fnv1a32Utf16("\xF0\x9F\x98\x80"), ReferenceFnv({0xD83D, 0xDE00}));
  // U+10FFFF, the last code point: DBFF DFFF.
  EXPECT_EQ(Fnv1a32Utf16("a\xF4\x8F\xBF\xBF" "b"), ReferenceFnv({'a', 0xDBFF, 0xDFFF, 'b'}));
}

TEST(Fnv1a32Utf16, InvalidUtf8BecomesReplacementCharacters) {
  // A stray continuation byte, a truncated sequence at the end, and an overlong "/" (C0 AF): each byte is U+FFFD.
  EXPECT_EQ(Fnv1a32Utf16("a\x80" "b"), ReferenceFnv({'a', 0xFFFD, 'b'}));
  EXPECT_EQ(Fnv1a32Utf16("a\xE2\x82"), ReferenceFnv({'a', 0xFFFD, 0xFFFD}));
  EXPECT_EQ(Fnv1a32Utf16("\xC0\xAF"), ReferenceFnv({0xFFFD, 0xFFFD}));
  // An encoded surrogate (ED A0 80) is not valid UTF-8 either.
  EXPECT_EQ(Fnv1a32Utf16("\xED\xA0\x80"), ReferenceFnv({0xFFFD, 0xFFFD, 0xFFFD}));
}

TEST(Hash, V2IsHashOfDecimalHash) {
  // v2 = (fnv(decimal string of fnv(seed + value)) % 10000) / 10000.
  const std::uint32_t inner = Fnv1a32Utf16("seedvisitor-1");
  const double expected = static_cast<double>(Fnv1a32Utf16(std::to_string(inner)) % 10000) / 10000;
  EXPECT_EQ(Hash("seed", "visitor-1", 2), expected);
  EXPECT_FALSE(Hash("seed", "visitor-1", 0).has_value());
  EXPECT_FALSE(Hash("seed", "visitor-1", 3).has_value());
}

TEST(Assign, SeedDefaultsToKey) {
  AssignmentSpec by_key{.key = "exp-42", .hash_version = kPageliftHashVersion, .num_variations = 2};
  AssignmentSpec by_seed = by_key;
  by_seed.key = "other";
  by_seed.seed = "exp-42";
  int differing_from_other_seed = 0;
  AssignmentSpec other_seed = by_key;
  other_seed.seed = "exp-43";
  for (int i = 0; i < 200; ++i) {
    const std::string visitor = "anon-" + std::to_string(i);
    EXPECT_EQ(Assign(by_key, visitor), Assign(by_seed, visitor));
    if (Assign(by_key, visitor) != Assign(other_seed, visitor)) ++differing_from_other_seed;
  }
  EXPECT_GT(differing_from_other_seed, 50);  // a different seed reshuffles visitors
}

TEST(Assign, SplitsTrafficByWeights) {
  AssignmentSpec spec{.key = "split", .hash_version = kPageliftHashVersion, .num_variations = 2};
  spec.weights = std::vector<double>{0.2, 0.8};
  int counts[2] = {0, 0};
  constexpr int kVisitors = 20000;
  for (int i = 0; i < kVisitors; ++i) {
    const std::optional<int> v = Assign(spec, "visitor-" + std::to_string(i));
    ASSERT_TRUE(v.has_value());
    ++counts[*v];
  }
  // 20% of 20,000 = 4,000 with binomial sd ~57; allow 5 sd.
  EXPECT_NEAR(counts[0], 4000, 285);
}

TEST(Assign, NotInExperiment) {
  AssignmentSpec spec{.key = "k", .num_variations = 2};
  EXPECT_FALSE(Assign(spec, "").has_value());
  spec.num_variations = 1;
  EXPECT_FALSE(Assign(spec, "visitor").has_value());
  spec.num_variations = 2;
  spec.coverage = 0;
  EXPECT_FALSE(Assign(spec, "visitor").has_value());
  spec.coverage = 1;
  spec.hash_version = 7;
  EXPECT_FALSE(Assign(spec, "visitor").has_value());
}

}  // namespace
}  // namespace pagelift::experiments
