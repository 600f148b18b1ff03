// The HTTP/1.1 server: Boost.Beast with C++20 coroutines.
// One acceptor; each accepted connection is handed round-robin to one of N I/O threads, each running its own
// io_context, so a connection's coroutine and its handlers always run on one thread without locks.
// Per connection: keep-alive, header/body/idle timeouts (deadlines checked by each worker's ticker, every eighth of the
// shorter timeout, between 5 ms and 1 s), per-route body limits, gzip bodies with a decompressed cap,
// request ids, access log and metrics. Handlers never block: database work goes through db::Database::RunAsync.
// Shutdown stops accepting, closes idle connections, lets in-flight requests finish (bounded by a grace period).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "http/metrics.h"
#include "http/router.h"

namespace pagelift::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0 = any free port (tests)
  int io_threads = 2;
  std::chrono::milliseconds request_timeout{30000};  // reading a request's header and body, writing the response
  std::chrono::milliseconds idle_timeout{60000};     // waiting for the next request on a keep-alive connection
  size_t max_header_bytes = 16 * 1024;               // over it: 431
  // Maps an exception escaping a handler to the error the client sees; nullopt → 500 "internal".
  std::function<std::optional<Error>(std::exception_ptr)> translate_exception;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Throws std::system_error naming the address when it cannot bind.
  void Start();
  // The bound port (useful with port 0).
  unsigned short port() const { return bound_port_; }
  // Stops accepting, closes idle connections, waits up to `grace` for in-flight requests, then stops the threads.
  // Returns the number of connections still open when the grace period ran out (0 = clean).
  size_t Shutdown(std::chrono::milliseconds grace);

 private:
  struct Worker;
  struct Connection;
  class Session;

  void Accept();
  void Tick(Worker& worker);
  void ConnectionFinished();

  ServerOptions options_;
  const Router& router_;
  Metrics& metrics_;
  // The workers outlive the accepting side: a pending accept holds a socket bound to a worker's io_context, and it
  // is destroyed with accept_context_.
  std::vector<std::unique_ptr<Worker>> workers_;
  boost::asio::io_context accept_context_{1};
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::steady_timer accept_pause_{accept_context_};
  std::vector<std::thread> threads_;
  size_t next_worker_ = 0;
  std::chrono::steady_clock::duration tick_{};  // how often the workers check deadlines; timeouts fire this late at most
  unsigned short bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex open_mutex_;
  std::condition_variable open_changed_;
  size_t open_connections_ = 0;
  bool stopped_ = false;
};

}  // namespace pagelift::http
