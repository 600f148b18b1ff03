// Expected failures as values: ErrorCode, Error and Result<T> (STYLE.md, "errors").
// A capability returns Result<T> for anything a caller can cause or recover from; infrastructure failures throw.
// The HTTP layer maps an Error to its status and the JSON error body of the contract.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pagelift {

enum class ErrorCode {
  kBadRequest,            // 400
  kUnauthorized,          // 401
  kForbidden,             // 403
  kNotFound,              // 404
  kMethodNotAllowed,      // 405
  kConflict,              // 409
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kTooManyRequests,       // 429
  kInternal,              // 500
  kUnavailable,           // 503
};

// The HTTP status that answers an error of this code.
int HttpStatus(ErrorCode code);
// The stable machine-readable name used in error bodies, e.g. "bad_request".
std::string_view CodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  boost::json::object details;
  std::optional<int> retry_after_seconds;  // sent as Retry-After with 429 and 503

  // {"error": {"code": ..., "message": ..., "details": {...}}}
  boost::json::object ToJson() const;
};

inline Error MakeError(ErrorCode code, std::string message, boost::json::object details = {}) {
  return Error{code, std::move(message), std::move(details), std::nullopt};
}

// Holds either a value or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace pagelift
