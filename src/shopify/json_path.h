// Reading nested values out of Shopify's JSON (GraphQL responses, webhook payloads) without exceptions: a missing key
// or a value of another type along the path is simply absent.
#pragma once

#include <boost/json/object.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace pagelift::shopify {

// The value at o[k1][k2]…, or nullptr when a key is missing or an intermediate value is not an object.
inline const boost::json::value* JsonAt(const boost::json::object& o, std::initializer_list<std::string_view> keys) {
  const boost::json::value* at = nullptr;
  const boost::json::object* current = &o;
  for (auto key : keys) {
    if (current == nullptr) return nullptr;
    at = current->if_contains(key);
    if (at == nullptr) return nullptr;
    current = at->if_object();
  }
  return at;
}

// The string at the path, or nullopt (absent, or not a string).
inline std::optional<std::string> StringAt(const boost::json::object& o, std::initializer_list<std::string_view> keys) {
  const auto* v = JsonAt(o, keys);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace pagelift::shopify
