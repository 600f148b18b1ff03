// End-to-end: the real `pagelift serve` binary over real HTTP against the test PostgreSQL. Covers the contract's
// error mapping, limits, logs, metrics and readiness. Shutdown and outage behaviour: lifecycle_test.cpp.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <sstream>
#include <thread>

#include "http/gzip.h"
#include "support/http_client.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

std::string ErrorCodeOf(const HttpResult& result) {
  auto body = boost::json::parse(result.body).as_object();
  return std::string(body.at("error").at("code").as_string());
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = std::make_unique<TestDatabase>();
    port_ = FreePort();
    service_ = std::make_unique<ServiceProcess>(std::vector<std::string>{"serve"},
                                                ServeEnv(database_->conninfo(), port_));
    service_->Start();
    ASSERT_TRUE(service_->WaitForHttp(port_, "/readyz", 200, std::chrono::seconds(30))) << service_->Output();
  }
  static void TearDownTestSuite() {
    service_.reset();
    database_.reset();
  }

  static std::unique_ptr<TestDatabase> database_;
  static std::unique_ptr<ServiceProcess> service_;
  static unsigned short port_;
};

std::unique_ptr<TestDatabase> ServerTest::database_;
std::unique_ptr<ServiceProcess> ServerTest::service_;
unsigned short ServerTest::port_ = 0;

TEST_F(ServerTest, HealthzAndReadyz) {
  HttpClient client(port_);
  auto health = client.Get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(boost::json::parse(health.body).at("status").as_string(), "ok");
  EXPECT_FALSE(health.headers["x-request-id"].empty());
  EXPECT_EQ(health.headers["content-type"], "application/json");
  EXPECT_FALSE(health.headers["date"].empty());
  // The answer is prepared once (api/health.cpp): a second request gets the same body but its own request id.
  auto again = client.Get("/healthz");
  EXPECT_EQ(again.body, health.body);
  EXPECT_NE(again.headers["x-request-id"], health.headers["x-request-id"]);
  auto ready = client.Get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(boost::json::parse(ready.body).at("migrations").as_string(), "current");
  EXPECT_EQ(client.Get("/readyz").body, ready.body);
}

TEST_F(ServerTest, EchoesASaneRequestIdAndReplacesABadOne) {
  HttpClient client(port_);
  EXPECT_EQ(client.Get("/healthz", {{"X-Request-Id", "abc-123"}}).headers["x-request-id"], "abc-123");
  EXPECT_NE(client.Get("/healthz", {{"X-Request-Id", "bad id\"<>"}}).headers["x-request-id"], "bad id\"<>");
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpClient client(port_);
  for (int i = 0; i < 5; ++i) {
    auto result = client.Get("/healthz");
    EXPECT_EQ(result.status, 200);
    EXPECT_TRUE(result.keep_alive);
  }
}

TEST_F(ServerTest, HeadHasHeadersButNoBody) {
  HttpClient client(port_);
  client.WriteRaw("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = client.ReadResponse(/*head=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.headers["content-length"], "0");
  EXPECT_TRUE(head.body.empty());
  // Had body bytes followed the header, they would corrupt the next response on this connection.
  EXPECT_EQ(client.Get("/healthz").status, 200);
}

TEST_F(ServerTest, UnknownRouteIs404WithErrorBody) {
  HttpClient client(port_);
  auto result = client.Get("/no/such/route");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(result.headers["content-type"], "application/json");
  EXPECT_EQ(ErrorCodeOf(result), "not_found");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  HttpClient client(port_);
  auto result = client.Request("POST", "/healthz", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(result.status, 405);
  EXPECT_EQ(result.headers["allow"], "GET, HEAD");
  EXPECT_EQ(ErrorCodeOf(result), "method_not_allowed");
}

TEST_F(ServerTest, MalformedJsonIs400WithErrorBody) {
  HttpClient client(port_);
  auto result = client.Request("POST", "/v1/collect", "{\"shop\": \"abc\", \"events\": [", {{"Content-Type", "application/json"}});
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(ErrorCodeOf(result), "bad_request");
  auto message = boost::json::parse(result.body).at("error").at("message").as_string();
  EXPECT_NE(std::string(message).find("JSON"), std::string::npos);
  // The connection stays usable after a client error.
  EXPECT_EQ(client.Get("/healthz").status, 200);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  HttpClient client(port_);
  const std::string big(2 * 1024 * 1024, 'x');
  auto result = client.Request("POST", "/v1/collect", big, {{"Content-Type", "application/json"}});
  EXPECT_EQ(result.status, 413);
  EXPECT_EQ(ErrorCodeOf(result), "payload_too_large");
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  HttpClient client(port_);
  std::ostringstream request;
  request << "POST /v1/collect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          << "Transfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(256 * 1024, 'x');
  for (int i = 0; i < 8; ++i) request << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
  request << "0\r\n\r\n";
  client.WriteRaw(request.str());
  auto result = client.ReadResponse();
  EXPECT_EQ(result.status, 413);
  EXPECT_EQ(ErrorCodeOf(result), "payload_too_large");
}

TEST_F(ServerTest, GzipBombIs413) {
  const std::string bomb = http::Gzip(std::string(200 * 1024 * 1024, ' '));
  ASSERT_LT(bomb.size(), 512 * 1024u);
  HttpClient client(port_);
  auto result = client.Request("POST", "/v1/collect", bomb,
                               {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(result.status, 413);
  EXPECT_EQ(ErrorCodeOf(result), "payload_too_large");
}

TEST_F(ServerTest, GzipBodyIsDecoded) {
  HttpClient client(port_);
  auto result = client.Request("POST", "/v1/collect", http::Gzip("{\"shop\": "),
                               {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  // The body reached the JSON parser decompressed: the error is about JSON, not about gzip.
  EXPECT_EQ(result.status, 400);
  EXPECT_NE(result.body.find("JSON"), std::string::npos) << result.body;
}

TEST_F(ServerTest, UnsupportedEncodingAndMediaTypeAre415) {
  HttpClient client(port_);
  auto br = client.Request("POST", "/v1/collect", "xx", {{"Content-Type", "application/json"}, {"Content-Encoding", "br"}});
  EXPECT_EQ(br.status, 415);
  EXPECT_EQ(ErrorCodeOf(br), "unsupported_media_type");
  HttpClient client2(port_);
  auto xml = client2.Request("POST", "/v1/collect", "<x/>", {{"Content-Type", "application/xml"}});
  EXPECT_EQ(xml.status, 415);
}

TEST_F(ServerTest, MalformedHttpIs400) {
  HttpClient client(port_);
  client.WriteRaw("THIS IS NOT HTTP\r\n\r\n");
  auto result = client.ReadResponse();
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(ErrorCodeOf(result), "bad_request");
}

TEST_F(ServerTest, HugeHeaderIs431) {
  HttpClient client(port_);
  auto result = client.Get("/healthz", {{"X-Filler", std::string(20 * 1024, 'a')}});
  EXPECT_EQ(result.status, 431);
}

TEST_F(ServerTest, MetricsInPrometheusFormat) {
  HttpClient client(port_);
  ASSERT_EQ(client.Get("/healthz").status, 200);
  ASSERT_EQ(client.Get("/no-such-thing").status, 404);
  auto result = client.Get("/metrics");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.headers["content-type"], "text/plain; version=0.0.4");
  EXPECT_NE(result.body.find("pagelift_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(result.body.find("route=\"unmatched\",method=\"GET\",status=\"404\""), std::string::npos);
  EXPECT_NE(result.body.find("pagelift_http_request_duration_seconds_bucket{route=\"/healthz\""), std::string::npos);
  EXPECT_NE(result.body.find("pagelift_db_pool_connections{state=\"open\"}"), std::string::npos);
  EXPECT_NE(result.body.find("pagelift_build_info{version=\""), std::string::npos);
  EXPECT_NE(result.body.find("pagelift_collect_queue_events"), std::string::npos);
}

TEST_F(ServerTest, LogsAreOneJsonObjectPerLineWithRequestIds) {
  HttpClient client(port_);
  ASSERT_EQ(client.Get("/no-such-thing", {{"X-Request-Id", "trace-me-42"}}).status, 404);
  // The access log line is written right after the response; give it a moment to reach the file.
  for (int i = 0; i < 100 && service_->Output().find("trace-me-42") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::istringstream lines(service_->Output());
  std::string line;
  int parsed = 0;
  bool found = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    const auto& object = value.as_object();
    EXPECT_TRUE(object.contains("time") && object.contains("level") && object.contains("message")) << line;
    if (object.contains("request_id") && object.at("request_id").as_string() == "trace-me-42") found = true;
    ++parsed;
  }
  EXPECT_GT(parsed, 2);
  EXPECT_TRUE(found) << "no log line carries the request id";
}

}  // namespace
}  // namespace pagelift::testing
