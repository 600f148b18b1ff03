#include "http/responses.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace pagelift::http {

Response JsonResponse(Status status, const boost::json::value& body) {
  return TextResponse(status, boost::json::serialize(body), "application/json");
}

Response TextResponse(Status status, std::string body, std::string_view content_type) {
  Response response{status, 11};
  response.set(boost::beast::http::field::content_type, content_type);
  response.set(boost::beast::http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

Response ErrorResponse(const Error& error) {
  auto response = JsonResponse(static_cast<Status>(HttpStatus(error.code)), error.ToJson());
  if (error.retry_after_seconds) {
    response.set(boost::beast::http::field::retry_after, std::to_string(*error.retry_after_seconds));
  }
  return response;
}

Result<boost::json::value> ParseJsonBody(const Request& request, boost::json::storage_ptr storage) {
  if (request.body().empty()) return MakeError(ErrorCode::kBadRequest, "the request body is empty; JSON expected");
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::json::value value = boost::json::parse(request.body(), ec, std::move(storage), options);
  if (ec) {
    boost::json::object details;
    details["reason"] = ec.message();
    return MakeError(ErrorCode::kBadRequest, fmt::format("the request body is not valid JSON: {}", ec.message()),
                     details);
  }
  return value;
}

}  // namespace pagelift::http
