// What every answer of the server carries: the Date header (http/date.h: IMF-fixdate formatting against known
// instants, the per-thread cache; Date on a handler's answer, a routing error, the early 400 for a malformed request,
// a HEAD answer), and the connection handling the client asked for ("Connection: close").
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

#include "http/date.h"
#include "loopback_server.h"

namespace pagelift::http {
namespace {

TEST(ImfFixdate, KnownInstants) {
  EXPECT_EQ(FormatImfFixdate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110 §5.6.7's example
  EXPECT_EQ(FormatImfFixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatImfFixdate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");   // leap day of a century leap year
  EXPECT_EQ(FormatImfFixdate(1709251199), "Thu, 29 Feb 2024 23:59:59 GMT");  // last second of a leap day
  EXPECT_EQ(FormatImfFixdate(1767225600), "Thu, 01 Jan 2026 00:00:00 GMT");
  EXPECT_EQ(FormatImfFixdate(4102444799), "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST(DateCache, FollowsTheSecond) {
  DateCache cache;
  EXPECT_EQ(cache.At(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(cache.At(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(cache.At(784111778), "Sun, 06 Nov 1994 08:49:38 GMT");
  EXPECT_EQ(cache.At(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // a clock stepped back is followed too
}

TEST(DateCache, NowIsTheWallClock) {
  DateCache cache;
  const std::time_t before = std::time(nullptr);
  const std::string now(cache.Now());
  const std::time_t after = std::time(nullptr);
  EXPECT_TRUE(now == FormatImfFixdate(before) || now == FormatImfFixdate(after)) << now;
}

// A real server: every kind of answer carries a Date within the seconds the request took.
class ServerResponses : public testing::Test {
 protected:
  void SetUp() override {
    router_.Add(Verb::get, "/hello", [](Request&, RequestContext&) -> boost::asio::awaitable<Response> {
      Response response{Status::ok, 11};
      response.body() = "hello";
      co_return response;
    });
    // Short timeouts, so that a connection the server wrongly keeps open fails a test in seconds (the tests do not
    // wait for them when the server behaves).
    server_.emplace(router_, std::chrono::seconds(2), std::chrono::seconds(2));
  }
  void TearDown() override { server_.reset(); }

  // Sends `requests` on a new connection and returns all it receives until the server closes it.
  std::string Exchange(const std::string& requests) {
    auto socket = server_->Connect();
    boost::asio::write(socket, boost::asio::buffer(requests));
    std::string received;
    boost::system::error_code ec;
    boost::asio::read(socket, boost::asio::dynamic_buffer(received), ec);
    return received;
  }

  // The response header block of `request`.
  std::string HeaderOf(const std::string& request) {
    const std::string received = Exchange(request);
    return received.substr(0, received.find("\r\n\r\n") + 2);
  }

  // The Date header's value, or "" when absent.
  static std::string DateOf(const std::string& header) {
    const std::string name = "\r\nDate: ";
    const auto at = header.find(name);
    if (at == std::string::npos) return "";
    const auto start = at + name.size();
    return header.substr(start, header.find("\r\n", start) - start);
  }

  void ExpectCurrentDate(const std::string& request, std::string_view status_line) {
    const std::time_t before = std::time(nullptr);
    const std::string header = HeaderOf(request);
    const std::time_t after = std::time(nullptr);
    EXPECT_EQ(header.rfind(status_line, 0), 0u) << header;
    const std::string date = DateOf(header);
    bool within = false;
    for (std::time_t t = before; t <= after; ++t) within = within || date == FormatImfFixdate(t);
    EXPECT_TRUE(within) << "Date \"" << date << "\" is not a second between the request and its answer:\n"
                        << header;
  }

  Router router_;
  std::optional<LoopbackServer> server_;
};

TEST_F(ServerResponses, OnAHandlersAnswer) {
  ExpectCurrentDate("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK");
}

TEST_F(ServerResponses, OnARoutingError) {
  ExpectCurrentDate("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 404 Not Found");
}

TEST_F(ServerResponses, OnTheEarlyAnswerToAMalformedRequest) {
  ExpectCurrentDate("GET /hello HTTP/1.1\r\nHost x\r\n\r\n", "HTTP/1.1 400 Bad Request");
}

TEST_F(ServerResponses, OnAHeadAnswer) {  // only the header is written (GET's handler answers HEAD)
  ExpectCurrentDate("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK");
}

// A client's "Connection: close" ends the connection after the answer: a request pipelined behind it is not served.
TEST_F(ServerResponses, ConnectionCloseIsHonouredOnARoutedRequest) {
  const std::string received = Exchange(
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(received.find("HTTP/1.1 200 OK"), 0u) << received;
  EXPECT_EQ(received.find("HTTP/1.1", 1), std::string::npos) << "answered past Connection: close:\n" << received;
  EXPECT_NE(received.find("\r\nConnection: close\r\n"), std::string::npos) << received;
}

// The same connection without "Connection: close" serves both (the test above is not passing by accident).
TEST_F(ServerResponses, KeepAliveServesAPipelinedRequest) {
  const std::string received = Exchange(
      "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(received.find("HTTP/1.1 200 OK"), 0u) << received;
  EXPECT_NE(received.find("HTTP/1.1 200 OK", 1), std::string::npos) << received;
}

}  // namespace
}  // namespace pagelift::http
