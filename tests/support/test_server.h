// TestServer: the routes under test behind a real http::Server on a free port of 127.0.0.1, with its router and
// metrics, for the integration tests that call their routes over HTTP. It reads like the std::optional<http::Server>
// it replaces (`server_->port()`, `if (server_)`), so a fixture swaps its three members for this one.
//
// Header-only on purpose: tests/support/*.cpp is pagelift_test_support, linked into every unit binary, which does not
// link pagelift_http; only the binaries that include this header do.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "support/http_client.h"

namespace pagelift::testing {

class TestServer {
 public:
  TestServer() = default;
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() { Shutdown(); }

  // Register the routes here before Start().
  http::Router& router() { return router_; }

  // Serves router() on a free port; `options` may set anything but the port (translate_exception, timeouts…).
  void Start(http::ServerOptions options = {}) {
    options.port = 0;
    server_.emplace(std::move(options), router_, metrics_);
    server_->Start();
  }

  // Stops the server (idempotent); the routes stay registered.
  void Shutdown() {
    if (server_) server_->Shutdown(std::chrono::seconds(2));
    server_.reset();
  }

  // Shutdown() and forget every route, so that the next Start() serves freshly registered ones.
  void Reset() {
    Shutdown();
    router_ = http::Router{};
  }

  explicit operator bool() const { return server_.has_value(); }
  http::Server* operator->() { return &*server_; }
  unsigned short port() const { return server_->port(); }

  HttpResult Get(const std::string& target, const std::map<std::string, std::string>& headers = {}) const {
    HttpClient client(port());
    return client.Get(target, headers);
  }
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers = {}) const {
    HttpClient client(port());
    return client.Request(method, target, body, headers);
  }

 private:
  http::Router router_;
  http::Metrics metrics_;
  std::optional<http::Server> server_;
};

}  // namespace pagelift::testing
