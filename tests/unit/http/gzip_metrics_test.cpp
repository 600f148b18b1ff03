#include <gtest/gtest.h>

#include "http/gzip.h"
#include "http/metrics.h"
#include "http/responses.h"

namespace pagelift::http {
namespace {

TEST(Gzip, RoundTrip) {
  const std::string text = R"({"events":[{"type":"page_view"}]})";
  auto plain = Gunzip(Gzip(text), 1024);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, text);
}

TEST(Gzip, BombIsCappedNotInflated) {
  const std::string zeros(50 * 1024 * 1024, '\0');
  const std::string bomb = Gzip(zeros);
  ASSERT_LT(bomb.size(), 100 * 1024u);
  auto plain = Gunzip(bomb, 1024 * 1024);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(Gzip, GarbageAndTruncation) {
  EXPECT_EQ(Gunzip("not gzip at all", 1024).error().code, ErrorCode::kBadRequest);
  const std::string whole = Gzip(std::string(10000, 'x'));
  EXPECT_EQ(Gunzip(whole.substr(0, whole.size() / 2), 1 << 20).error().code, ErrorCode::kBadRequest);
}

TEST(Metrics, CountsAndHistogram) {
  Metrics metrics;
  metrics.ObserveRequest("/healthz", "GET", 200, 0.0007);
  metrics.ObserveRequest("/healthz", "GET", 200, 0.2);
  metrics.AddSource([](std::string& out) { out += "pagelift_custom 1\n"; });
  const auto text = metrics.Render();
  EXPECT_NE(text.find(R"(pagelift_http_requests_total{route="/healthz",method="GET",status="200"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(pagelift_http_request_duration_seconds_bucket{route="/healthz",method="GET",status="200",le="0.001"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(le="0.25"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(le="+Inf"} 2)"), std::string::npos);
  EXPECT_NE(text.find("pagelift_custom 1\n"), std::string::npos);
  EXPECT_EQ(Metrics::EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Responses, ErrorCarriesStatusAndRetryAfter) {
  auto error = MakeError(ErrorCode::kUnavailable, "down");
  error.retry_after_seconds = 3;
  auto response = ErrorResponse(error);
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(response[boost::beast::http::field::retry_after], "3");
  EXPECT_EQ(response[boost::beast::http::field::content_type], "application/json");
}

TEST(Responses, ParseJsonBodyExplains) {
  Request request;
  request.body() = "{\"a\":";
  auto parsed = ParseJsonBody(request);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::kBadRequest);
  request.body() = R"({"a":1})";
  ASSERT_TRUE(ParseJsonBody(request).ok());
}

}  // namespace
}  // namespace pagelift::http
