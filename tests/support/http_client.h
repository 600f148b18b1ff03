// A small blocking HTTP/1.1 client over Boost.Beast for tests: one keep-alive connection to 127.0.0.1:port, plus a
// raw mode that writes exact bytes (for malformed requests and slow uploads).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <map>
#include <string>

namespace pagelift::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = true;
};

class HttpClient {
 public:
  explicit HttpClient(unsigned short port);
  HttpResult Get(const std::string& target, const std::map<std::string, std::string>& headers = {});
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers = {});
  // Writes bytes as they are; ReadResponse() reads the answer.
  void WriteRaw(const std::string& bytes);
  // `head`: the answer to a HEAD request (headers only).
  HttpResult ReadResponse(bool head = false);
  // True when the server closed the connection (a read returns EOF within the timeout).
  bool ClosedByServer(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context context_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace pagelift::testing
