#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/log.h"
#include "core/time.h"

namespace pagelift {
namespace {

using namespace std::chrono;

TEST(Time, FormatsUtcWithMilliseconds) {
  const auto t = sys_days{year{2026} / 12 / 31} + hours{23} + minutes{59} + seconds{58} + milliseconds{7};
  EXPECT_EQ(FormatRfc3339Millis(t), "2026-12-31T23:59:58.007Z");
}

TEST(Time, ParsesOffsetsAndFractions) {
  auto a = ParseRfc3339("2026-11-30T10:00:00.5+02:00");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, sys_days{year{2026} / 11 / 30} + hours{8} + milliseconds{500});
  auto b = ParseRfc3339("2026-11-30t08:00:00.5z");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*a, *b);
}

TEST(Time, RejectsMalformed) {
  for (const char* text : {"", "2026-11-30", "2026-11-30T10:00:00", "2026-02-30T10:00:00Z", "2026-11-30T25:00:00Z",
                           "2026-11-30T10:00:00.Z", "2026-11-30T10:00:00Zjunk", "26-11-30T10:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(text).has_value()) << text;
  }
}

TEST(Log, OneJsonObjectPerLine) {
  const std::string line = log::FormatLine(log::Level::kWarn, "quote \" and\nnewline",
                                           {{"request_id", "r-1"}, {"shop", "a.myshopify.com"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto json = boost::json::parse(line).as_object();
  EXPECT_EQ(json.at("level").as_string(), "warn");
  EXPECT_EQ(json.at("message").as_string(), "quote \" and\nnewline");
  EXPECT_EQ(json.at("request_id").as_string(), "r-1");
  EXPECT_EQ(json.at("shop").as_string(), "a.myshopify.com");
  EXPECT_TRUE(ParseRfc3339(json.at("time").as_string()).has_value());
}

TEST(Log, ParsesLevels) {
  log::Level level = log::Level::kInfo;
  EXPECT_TRUE(log::ParseLevel("error", level));
  EXPECT_EQ(level, log::Level::kError);
  EXPECT_FALSE(log::ParseLevel("verbose", level));
}

}  // namespace
}  // namespace pagelift
