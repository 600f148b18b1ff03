#include "core/config.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

namespace pagelift {
namespace {

Error Malformed(std::string_view name, std::string_view why) {
  boost::json::object details;
  details["variable"] = name;
  return MakeError(ErrorCode::kBadRequest, fmt::format("environment variable {} {}", name, why), details);
}

Result<long long> ParseInteger(std::string_view name, const std::string& text, long long min, long long max) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Malformed(name, fmt::format("must be an integer, got \"{}\"", text));
  }
  if (value < min || value > max) {
    return Malformed(name, fmt::format("must be between {} and {}, got {}", min, max, value));
  }
  return value;
}

Result<bool> ParseBool(std::string_view name, const std::string& text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  return Malformed(name, fmt::format("must be true or false, got \"{}\"", text));
}

Result<ListenAddress> ParseListen(std::string_view name, const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Malformed(name, fmt::format("must be host:port, got \"{}\"", text));
  }
  auto port = ParseInteger(name, text.substr(colon + 1), 0, 65535);
  if (!port) return port.error();
  ListenAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  address.port = static_cast<unsigned short>(*port);
  return address;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string::npos ? text.size() : comma;
    std::string part = text.substr(start, end - start);
    const auto first = part.find_first_not_of(" \t");
    const auto last = part.find_last_not_of(" \t");
    if (first != std::string::npos) parts.push_back(part.substr(first, last - first + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Config> LoadConfig(const EnvLookup& env) {
  Config config;
  // An empty variable counts as unset, as most shells and service managers make that hard to tell apart.
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    auto value = env(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  };
  auto integer = [&](std::string_view name, long long min, long long max, auto& out) -> std::optional<Error> {
    if (auto text = get(name)) {
      auto value = ParseInteger(name, *text, min, max);
      if (!value) return value.error();
      out = static_cast<std::remove_reference_t<decltype(out)>>(*value);
    }
    return std::nullopt;
  };
  auto millis = [&](std::string_view name, std::chrono::milliseconds& out) -> std::optional<Error> {
    long long value = out.count();
    if (auto error = integer(name, 1, 3'600'000, value)) return error;
    out = std::chrono::milliseconds(value);
    return std::nullopt;
  };
  auto flag = [&](std::string_view name, bool& out) -> std::optional<Error> {
    if (auto text = get(name)) {
      auto value = ParseBool(name, *text);
      if (!value) return value.error();
      out = *value;
    }
    return std::nullopt;
  };

  config.database_url = get("DATABASE_URL");
  if (auto text = get("PAGELIFT_LISTEN")) {
    auto listen = ParseListen("PAGELIFT_LISTEN", *text);
    if (!listen) return listen.error();
    config.listen = *listen;
  }
  for (auto error : {integer("PAGELIFT_IO_THREADS", 1, 256, config.io_threads),
                     integer("PAGELIFT_DB_POOL_SIZE", 1, 512, config.db_pool_size),
                     integer("PAGELIFT_EVENTS_RETENTION_MONTHS", 1, 120, config.events_retention_months),
                     flag("PAGELIFT_AUTO_MIGRATE", config.auto_migrate),
                     flag("PAGELIFT_WORKERS", config.run_workers),
                     millis("PAGELIFT_SHUTDOWN_GRACE_MS", config.shutdown_grace),
                     millis("PAGELIFT_REQUEST_TIMEOUT_MS", config.request_timeout),
                     millis("PAGELIFT_IDLE_TIMEOUT_MS", config.idle_timeout),
                     millis("PAGELIFT_AGGREGATION_INTERVAL_MS", config.aggregation_interval)}) {
    if (error) return *error;
  }
  if (auto text = get("PAGELIFT_LOG_LEVEL")) {
    if (!log::ParseLevel(*text, config.log_level)) {
      return Malformed("PAGELIFT_LOG_LEVEL", fmt::format("must be debug, info, warn or error, got \"{}\"", *text));
    }
  }
  if (auto text = get("SHOPIFY_API_KEY")) config.shopify_api_key = *text;
  if (auto text = get("SHOPIFY_API_SECRET")) {
    config.shopify_api_secrets = SplitComma(*text);
    if (config.shopify_api_secrets.empty()) return Malformed("SHOPIFY_API_SECRET", "has no secret in it");
  }
  if (auto text = get("SHOPIFY_APP_URL")) {
    if (text->rfind("https://", 0) != 0 && text->rfind("http://", 0) != 0) {
      return Malformed("SHOPIFY_APP_URL", fmt::format("must be an http(s) URL, got \"{}\"", *text));
    }
    while (!text->empty() && text->back() == '/') text->pop_back();
    config.shopify_app_url = *text;
  }
  if (auto text = get("SHOPIFY_SCOPES")) config.shopify_scopes = *text;
  if (auto text = get("SHOPIFY_API_VERSION")) {
    // Quarterly versions "YYYY-MM" or "unstable".
    const bool quarterly = text->size() == 7 && (*text)[4] == '-' &&
                           text->find_first_not_of("0123456789-") == std::string::npos;
    if (!quarterly && *text != "unstable") {
      return Malformed("SHOPIFY_API_VERSION", fmt::format("must look like 2026-10, got \"{}\"", *text));
    }
    config.shopify_api_version = *text;
  }
  if (auto text = get("SHOPIFY_ADMIN_BASE_URL")) {
    if (text->rfind("https://", 0) != 0 && text->rfind("http://", 0) != 0) {
      return Malformed("SHOPIFY_ADMIN_BASE_URL", fmt::format("must be an http(s) URL, got \"{}\"", *text));
    }
    while (!text->empty() && text->back() == '/') text->pop_back();
    config.shopify_admin_base_url = *text;
  }
  config.token_keys = get("PAGELIFT_TOKEN_KEYS");
  return config;
}

}  // namespace pagelift
