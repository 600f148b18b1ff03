// COPY text rows (src/collect/copy_text.h): escaping, NULL, exact timestamps, row separation.
#include "collect/copy_text.h"

#include <gtest/gtest.h>

#include <string>

namespace pagelift::collect {
namespace {

TEST(CopyRows, SeparatesColumnsByTabsAndRowsByNewlines) {
  CopyRows rows;
  EXPECT_EQ(rows.text(), "");
  rows.Text("a");
  rows.Null();
  rows.Text("");
  rows.EndRow();
  rows.Text("b");
  rows.Text("c");
  rows.EndRow();
  EXPECT_EQ(rows.text(), "a\t\\N\t\nb\tc");
}

TEST(CopyRows, ClearStartsAfreshAfterRowsWereSent) {
  CopyRows rows;
  rows.Text("a");
  rows.Text("b");
  rows.EndRow();
  rows.Clear();
  EXPECT_EQ(rows.text(), "");
  rows.Text("c");
  rows.Null();
  rows.EndRow();
  EXPECT_EQ(rows.text(), "c\t\\N");
}

TEST(CopyRows, EscapesTheCharactersTheFormatReserves) {
  CopyRows rows;
  rows.Text("back\\slash\ttab\nnew\rret {\"k\":\"x\\\"y\"} \\N");
  EXPECT_EQ(rows.text(), "back\\\\slash\\ttab\\nnew\\rret {\"k\":\"x\\\\\"y\"} \\\\N");
}

// Text scans eight bytes at a time: every reserved character is escaped wherever it falls in a word, next to UTF-8
// and other control bytes (which are kept), in strings of every length around the word size.
TEST(CopyRows, EscapesAtEveryPositionOfLongText) {
  const std::string specials[] = {"\\", "\n", "\r", "\t"};
  const std::string escapes[] = {"\\\\", "\\n", "\\r", "\\t"};
  for (size_t length = 0; length < 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (size_t k = 0; k < 4; ++k) {
        std::string input;
        std::string expected;
        for (size_t i = 0; i < length; ++i) {
          if (i == at) {
            input += specials[k];
            expected += escapes[k];
          } else {
            const char plain = i % 5 == 0 ? '\x1f' : i % 7 == 0 ? '\xc3' : static_cast<char>('a' + i % 26);
            input += plain;
            expected += plain;
          }
        }
        CopyRows rows;
        rows.Text(input);
        ASSERT_EQ(rows.text(), expected) << "length " << length << ", at " << at << ", special " << k;
      }
    }
  }
}

TEST(CopyRows, KeepsUtf8AndOtherBytesAsTheyAre) {
  CopyRows rows;
  rows.Text("caf\xc3\xa9 \x01 x");
  EXPECT_EQ(rows.text(), "caf\xc3\xa9 \x01 x");
}

TEST(CopyRows, WritesTimestampsInUtcWithMicroseconds) {
  CopyRows rows;
  rows.Timestamp(*ParseRfc3339("2026-11-30T06:14:58.123456Z"));
  rows.Timestamp(*ParseRfc3339("2024-02-29T23:59:59.000001+01:00"));
  rows.Timestamp(*ParseRfc3339("1970-01-01T00:00:00Z"));
  rows.Timestamp(*ParseRfc3339("1969-12-31T23:59:59.5Z"));
  EXPECT_EQ(rows.text(),
            "2026-11-30 06:14:58.123456+00\t2024-02-29 22:59:59.000001+00\t1970-01-01 00:00:00.000000+00\t"
            "1969-12-31 23:59:59.500000+00");
}

}  // namespace
}  // namespace pagelift::collect
