#include "core/error.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace pagelift {
namespace {

TEST(Error, StatusForEveryCode) {
  EXPECT_EQ(HttpStatus(ErrorCode::kBadRequest), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnauthorized), 401);
  EXPECT_EQ(HttpStatus(ErrorCode::kForbidden), 403);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kMethodNotAllowed), 405);
  EXPECT_EQ(HttpStatus(ErrorCode::kConflict), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kPayloadTooLarge), 413);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnsupportedMediaType), 415);
  EXPECT_EQ(HttpStatus(ErrorCode::kTooManyRequests), 429);
  EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnavailable), 503);
}

TEST(Error, JsonBodyHasTheContractShape) {
  auto error = MakeError(ErrorCode::kPayloadTooLarge, "too big", {{"limit", 10}});
  EXPECT_EQ(boost::json::serialize(error.ToJson()),
            R"({"error":{"code":"payload_too_large","message":"too big","details":{"limit":10}}})");
}

TEST(Result, HoldsValueOrError) {
  Result<int> good = 3;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  Result<int> bad = MakeError(ErrorCode::kNotFound, "gone");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
  Result<void> nothing;
  EXPECT_TRUE(nothing.ok());
  Result<void> failed = MakeError(ErrorCode::kConflict, "x");
  EXPECT_FALSE(failed.ok());
}

}  // namespace
}  // namespace pagelift
