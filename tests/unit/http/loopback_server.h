// A real Server for the tests that talk to it over raw sockets (server_timeout_test.cpp, server_response_test.cpp):
// a free loopback port, one I/O thread (one worker: deterministic), the timeouts a test needs, and its own metrics.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>

#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"

namespace pagelift::http {

class LoopbackServer {
 public:
  // Starts serving `router`'s routes (add them first; the router must outlive the server).
  LoopbackServer(const Router& router, std::chrono::milliseconds request_timeout,
                 std::chrono::milliseconds idle_timeout)
      : server_(Options(request_timeout, idle_timeout), router, metrics_) {
    server_.Start();
  }
  ~LoopbackServer() { server_.Shutdown(std::chrono::seconds(2)); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // A new blocking client connection to the server.
  boost::asio::ip::tcp::socket Connect() {
    boost::asio::ip::tcp::socket socket(io_);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), server_.port()});
    return socket;
  }

 private:
  static ServerOptions Options(std::chrono::milliseconds request_timeout, std::chrono::milliseconds idle_timeout) {
    ServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.request_timeout = request_timeout;
    options.idle_timeout = idle_timeout;
    return options;
  }

  boost::asio::io_context io_;
  Metrics metrics_;  // declared before server_, which refers to it
  Server server_;
};

}  // namespace pagelift::http
