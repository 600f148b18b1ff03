// pagelift's configuration, read from environment variables (ARCHITECTURE.md, "Contract").
// Every variable, its default and its meaning is listed in README.md; LoadConfig names the variable at fault.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/log.h"

namespace pagelift {

// Looks a variable up; nullopt when unset. Production uses the process environment, tests a map.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnv();

struct ListenAddress {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
};

struct Config {
  std::optional<std::string> database_url;        // DATABASE_URL
  ListenAddress listen;                           // PAGELIFT_LISTEN host:port
  int io_threads = 2;                             // PAGELIFT_IO_THREADS
  int db_pool_size = 8;                           // PAGELIFT_DB_POOL_SIZE (connections and blocking threads)
  bool auto_migrate = true;                       // PAGELIFT_AUTO_MIGRATE on `serve`
  bool run_workers = true;                        // PAGELIFT_WORKERS: background jobs inside `serve`
  log::Level log_level = log::Level::kInfo;       // PAGELIFT_LOG_LEVEL
  std::chrono::milliseconds shutdown_grace{10000};  // PAGELIFT_SHUTDOWN_GRACE_MS
  std::chrono::milliseconds request_timeout{30000};  // PAGELIFT_REQUEST_TIMEOUT_MS (headers + body)
  std::chrono::milliseconds idle_timeout{60000};     // PAGELIFT_IDLE_TIMEOUT_MS (keep-alive)
  int events_retention_months = 13;               // PAGELIFT_EVENTS_RETENTION_MONTHS
  std::chrono::milliseconds aggregation_interval{60000};  // PAGELIFT_AGGREGATION_INTERVAL_MS (experiment results)
  std::string shopify_api_key;                    // SHOPIFY_API_KEY
  std::vector<std::string> shopify_api_secrets;   // SHOPIFY_API_SECRET, comma-separated, newest first
  std::string shopify_app_url;                    // SHOPIFY_APP_URL
  std::string shopify_scopes = "read_products,write_products,read_orders,write_pixels,read_customer_events,read_themes";
  std::string shopify_api_version = "2026-10";    // SHOPIFY_API_VERSION
  std::optional<std::string> shopify_admin_base_url;  // SHOPIFY_ADMIN_BASE_URL (the simulator)
  std::optional<std::string> token_keys;          // PAGELIFT_TOKEN_KEYS (parsed by the crypto key ring)
};

// Reads every variable; the first malformed one yields a 400-class error naming it.
Result<Config> LoadConfig(const EnvLookup& env);

}  // namespace pagelift
