// The vocabulary of the HTTP layer: requests, responses, the per-request context and handlers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace pagelift::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Status = boost::beast::http::status;
using Verb = boost::beast::http::verb;

// What one request carries besides its message: set by the server, read by handlers and the access log.
struct RequestContext {
  std::string request_id;
  std::chrono::steady_clock::time_point start;
  std::string route;                              // the matched route pattern, "" when none matched
  std::map<std::string, std::string, std::less<>> params;  // path parameters by name
  std::optional<std::string> shop;                // set by authentication once the shop is known
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&, RequestContext&)>;

}  // namespace pagelift::http
