// Building responses: JSON bodies, the contract's error body, and parsing JSON request bodies.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "core/error.h"
#include "http/types.h"

namespace pagelift::http {

Response JsonResponse(Status status, const boost::json::value& body);
Response TextResponse(Status status, std::string body, std::string_view content_type = "text/plain; charset=utf-8");

// {"error": {...}} with the status of error.code, and Retry-After when the error carries one.
Response ErrorResponse(const Error& error);

// The request body as JSON; a 400 error that says where parsing stopped when it is not. The value's memory comes
// from `storage` (e.g. a monotonic_resource for a large body that is read once: one allocation instead of one per
// object and string).
Result<boost::json::value> ParseJsonBody(const Request& request, boost::json::storage_ptr storage = {});

}  // namespace pagelift::http
