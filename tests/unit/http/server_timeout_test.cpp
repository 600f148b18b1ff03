// The server's timeouts (deadlines checked by each worker's ticker, server.h): a connection that sends nothing, or
// stops halfway through its header, or stays idle after a keep-alive answer, is closed by the server; a slow handler
// is not cut off (no deadline runs while it works). No timing thresholds: each wait is bounded generously.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "loopback_server.h"

namespace pagelift::http {
namespace {

using tcp = boost::asio::ip::tcp;

class ServerTimeouts : public testing::Test {
 protected:
  void SetUp() override {
    router_.Add(Verb::get, "/fast", [](Request&, RequestContext&) -> boost::asio::awaitable<Response> {
      Response response{Status::ok, 11};
      response.body() = "ok";
      co_return response;
    });
    router_.Add(Verb::get, "/slow", [](Request&, RequestContext&) -> boost::asio::awaitable<Response> {
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(600));
      co_await timer.async_wait(boost::asio::use_awaitable);
      Response response{Status::ok, 11};
      response.body() = "slow";
      co_return response;
    });
    server_.emplace(router_, std::chrono::milliseconds(200), std::chrono::milliseconds(300));
  }
  void TearDown() override { server_.reset(); }

  tcp::socket Connect() { return server_->Connect(); }

  // Reads until the server closes the connection or 10 s pass; returns what was read and whether it closed.
  static std::pair<std::string, bool> ReadUntilClosed(tcp::socket& socket) {
    std::string received;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    socket.non_blocking(true);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < give_up) {
      boost::system::error_code ec;
      const size_t n = socket.read_some(boost::asio::buffer(buffer), ec);
      if (ec == boost::asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (ec) return {received, true};  // eof or reset: closed by the server
      received.append(buffer, n);
    }
    return {received, false};
  }

  Router router_;
  std::optional<LoopbackServer> server_;
};

TEST_F(ServerTimeouts, SilentConnectionIsClosed) {
  auto socket = Connect();
  const auto [received, closed] = ReadUntilClosed(socket);
  EXPECT_TRUE(closed) << "a connection that never sent a request was still open after 10 s";
  EXPECT_TRUE(received.empty()) << received;
}

TEST_F(ServerTimeouts, HalfAHeaderIsClosed) {
  auto socket = Connect();
  boost::asio::write(socket, boost::asio::buffer(std::string("GET /fast HTTP/1.1\r\nHost: x\r\n")));
  const auto [received, closed] = ReadUntilClosed(socket);
  EXPECT_TRUE(closed) << "a request header that never ended kept its connection open for 10 s";
}

TEST_F(ServerTimeouts, IdleKeepAliveConnectionIsClosedAfterItsAnswer) {
  auto socket = Connect();
  boost::asio::write(socket, boost::asio::buffer(std::string("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")));
  const auto [received, closed] = ReadUntilClosed(socket);
  EXPECT_NE(received.find("HTTP/1.1 200 OK"), std::string::npos) << received;
  EXPECT_NE(received.find("\r\n\r\nok"), std::string::npos) << received;
  EXPECT_TRUE(closed) << "an idle keep-alive connection was still open after 10 s";
}

TEST_F(ServerTimeouts, SlowHandlerIsNotCutOff) {
  // The handler takes three times the request timeout: only reading and writing have deadlines.
  auto socket = Connect();
  boost::asio::write(socket,
                     boost::asio::buffer(std::string("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  const auto [received, closed] = ReadUntilClosed(socket);
  EXPECT_NE(received.find("\r\n\r\nslow"), std::string::npos) << received;
  EXPECT_TRUE(closed);
}

TEST_F(ServerTimeouts, KeepAliveServesRequestsSpacedWithinTheIdleTimeout) {
  auto socket = Connect();
  for (int i = 0; i < 3; ++i) {
    boost::asio::write(socket, boost::asio::buffer(std::string("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string response;
    char c;
    while (response.find("\r\n\r\nok") == std::string::npos) {
      boost::asio::read(socket, boost::asio::buffer(&c, 1));
      response += c;
    }
    EXPECT_NE(response.find("200 OK"), std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace
}  // namespace pagelift::http
