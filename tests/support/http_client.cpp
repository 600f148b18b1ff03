#include "support/http_client.h"

#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

namespace pagelift::testing {

namespace bhttp = boost::beast::http;

HttpClient::HttpClient(unsigned short port) : socket_(context_) {
  socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
}

HttpResult HttpClient::Get(const std::string& target, const std::map<std::string, std::string>& headers) {
  return Request("GET", target, "", headers);
}

HttpResult HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
  request.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT") request.prepare_payload();
  bhttp::write(socket_, request);
  return ReadResponse();
}

void HttpClient::WriteRaw(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }

HttpResult HttpClient::ReadResponse(bool head) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(head);
  parser.body_limit(64 * 1024 * 1024);
  bhttp::read(socket_, buffer_, parser);
  const auto& response = parser.get();
  HttpResult result;
  result.status = response.result_int();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  result.body = response.body();
  result.keep_alive = response.keep_alive();
  return result;
}

bool HttpClient::ClosedByServer(std::chrono::milliseconds timeout) {
  pollfd fd{socket_.native_handle(), POLLIN, 0};
  if (poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char byte;
  boost::system::error_code ec;
  const auto n = socket_.read_some(boost::asio::buffer(&byte, 1), ec);
  return n == 0 && (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset);
}

}  // namespace pagelift::testing
