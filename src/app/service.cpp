// `serve`, `worker` and `migrate`: wiring the capabilities into a running process.
#include <signal.h>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "api/admin_ui.h"
#include "api/assign.h"
#include "api/collect.h"
#include "api/experiments.h"
#include "api/recommendations.h"
#include "api/patches.h"
#include "api/health.h"
#include "api/proxy.h"
#include "api/sdk.h"
#include "api/sync.h"
#include "collect/collector.h"
#include "collect/options.h"
#include "app/commands.h"
#include "app/shopify_component.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/time.h"
#include "db/database.h"
#include "db/migrations.h"
#include "db/partitions.h"
#include "experiments/aggregation.h"
#include "experiments/repository.h"
#include "experiments/sdk_document.h"
#include "http/server.h"
#include "jobs/scheduler.h"
#include "recommend/audit_service.h"
#include "recommend/autopilot.h"
#include "recommend/patches.h"
#include "shopify/storefront_metafields.h"
#include "shopify/sync_service.h"

namespace pagelift::app {
namespace {

// Shutdown signals are taken synchronously by the main thread (sigwait), so they are blocked before any other
// thread exists; every thread inherits the mask.
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void BlockShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForShutdownSignal() {
  const sigset_t set = ShutdownSignals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

// serve and worker alike: both run the job queue, whose jobs decrypt, refresh and use the shops' Shopify tokens.
std::optional<Error> RequireForServe(const Config& config) {
  auto missing = [](std::string_view name, std::string_view why) {
    return MakeError(ErrorCode::kBadRequest, fmt::format("environment variable {} is required: {}", name, why),
                     {{"variable", name}});
  };
  if (!config.database_url) return missing("DATABASE_URL", "the PostgreSQL connection string (or use `pagelift demo`)");
  if (!config.token_keys) {
    return missing("PAGELIFT_TOKEN_KEYS", "comma-separated id:base64-of-32-bytes keys that encrypt Shopify tokens");
  }
  if (auto keys = crypto::KeyRing::Parse(*config.token_keys); !keys) {
    return MakeError(ErrorCode::kBadRequest,
                     fmt::format("environment variable PAGELIFT_TOKEN_KEYS is malformed: {}", keys.error().message),
                     {{"variable", "PAGELIFT_TOKEN_KEYS"}});
  }
  if (config.shopify_api_key.empty()) return missing("SHOPIFY_API_KEY", "the app's client id");
  if (config.shopify_api_secrets.empty()) return missing("SHOPIFY_API_SECRET", "the app's client secret");
  return std::nullopt;
}

// Migrates, waiting for PostgreSQL for up to a minute so that a service started together with its database comes up.
bool MigrateWithRetry(const std::string& conninfo) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int attempt = 1;; ++attempt) {
    try {
      auto report = db::Migrate(conninfo);
      if (report) return true;
      log::Error("migration failed", {{"error", report.error().message}});
      return false;
    } catch (const db::Unavailable& e) {
      if (std::chrono::steady_clock::now() > deadline) {
        log::Error("PostgreSQL stayed unreachable; giving up on migrations", {{"error", e.what()}});
        return false;
      }
      log::Warn("PostgreSQL not reachable yet; retrying migrations", {{"attempt", attempt}, {"error", e.what()}});
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

void ScheduleWorkers(jobs::Scheduler& scheduler, db::Database& database, const Config& config) {
  const int retention = config.events_retention_months;
  scheduler.Every("partition-maintenance", std::chrono::hours(1), [&database, retention] {
    auto report = db::MaintainEventPartitions(
        database, std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()), retention);
    if (!report) log::Warn("partition maintenance failed", {{"error", std::string(report.error().message)}});
  });
  // Experiment results: each run folds what arrived since the last one (one worker per experiment at a time).
  scheduler.Every("experiment-aggregation", config.aggregation_interval,
                  [&database] { experiments::RunAggregationPass(database); });
}

void AddProcessMetrics(http::Metrics& metrics, db::Database& database) {
  metrics.AddSource([&database](std::string& out) {
    const auto stats = database.Stats();
    out += "# HELP pagelift_db_pool_connections Database connections by state.\n";
    out += "# TYPE pagelift_db_pool_connections gauge\n";
    out += fmt::format("pagelift_db_pool_connections{{state=\"max\"}} {}\n", stats.size);
    out += fmt::format("pagelift_db_pool_connections{{state=\"open\"}} {}\n", stats.open);
    out += fmt::format("pagelift_db_pool_connections{{state=\"in_use\"}} {}\n", stats.in_use);
    out += "# HELP pagelift_db_pool_waiting Database calls waiting for a thread or a connection.\n";
    out += "# TYPE pagelift_db_pool_waiting gauge\n";
    out += fmt::format("pagelift_db_pool_waiting {}\n", stats.waiting);
  });
  metrics.AddSource([](std::string& out) {
    out += "# HELP pagelift_build_info The running build.\n# TYPE pagelift_build_info gauge\n";
    out += fmt::format("pagelift_build_info{{version=\"{}\"}} 1\n", PAGELIFT_VERSION);
  });
}

std::optional<Error> TranslateException(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const db::Unavailable& e) {
    auto error = MakeError(ErrorCode::kUnavailable, "the database is unavailable; retry shortly");
    error.retry_after_seconds = e.retry_after_seconds();
    log::Warn("database unavailable", {{"error", e.what()}});
    return error;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

int RunMigrate(const Config& config) {
  if (!config.database_url) {
    std::cerr << "pagelift: environment variable DATABASE_URL is required: the database to migrate\n";
    return 2;
  }
  return MigrateWithRetry(*config.database_url) ? 0 : 1;
}

int RunService(const Config& config, Mode mode) {
  if (auto error = RequireForServe(config)) {
    std::cerr << "pagelift: " << error->message << "\n";
    return 2;
  }
  BlockShutdownSignals();
  if (mode == Mode::kServe && config.auto_migrate && !MigrateWithRetry(*config.database_url)) return 1;

  db::Database database(*config.database_url, config.db_pool_size);
  ShopifyComponent shopify_component(config, database);  // job queue, webhooks, install and session auth
  shopify::SyncService shopify_sync(config, database, shopify_component.tokens());  // Admin API client, bulk sync
  shopify_sync.Register(shopify_component.registry(), shopify_component.dispatcher());
  jobs::Scheduler scheduler;
  if (mode == Mode::kWorker || config.run_workers) ScheduleWorkers(scheduler, database, config);
  if (mode == Mode::kWorker || config.run_workers) shopify_sync.ScheduleReconcile(scheduler);
  // The audit: recommend_audit jobs, and the watcher that re-audits shops whose cached products changed.
  recommend::AuditService audit_service(database, config.shopify_api_key);
  audit_service.Register(shopify_component.registry());
  if (mode == Mode::kWorker || config.run_workers) audit_service.ScheduleWatcher(scheduler);

  http::Metrics metrics;
  http::Router router;
  std::optional<collect::Collector> collector;
  std::optional<http::Server> server;
  const experiments::Repository experiment_repository(database);
  recommend::PatchService patch_service(database, shopify_sync.client());  // apply / roll back patches (issue 6)
  recommend::Autopilot autopilot(database, patch_service, experiment_repository);
  // The storefront's shop id and hold (storefront_metafields jobs: at install, on lifecycle moves, and at start).
  shopify::RegisterStorefrontMetafieldsJob(shopify_component.registry(), database, experiment_repository,
                                           shopify_sync.client());
  if (mode == Mode::kWorker || config.run_workers) shopify::QueueStorefrontMetafieldsOfInstalledShops(database);
  if (mode == Mode::kWorker || config.run_workers) {
    scheduler.Every("autopilot", std::chrono::minutes(15), [&autopilot] { autopilot.RunPass(); });
  }
  std::optional<experiments::SdkDocumentCache> sdk_cache;
  if (mode == Mode::kServe) {
    auto collector_options = collect::LoadCollectorOptions(ProcessEnv());
    if (!collector_options) {
      std::cerr << "pagelift: " << collector_options.error().message << "\n";
      return 2;
    }
    collector.emplace(database, *collector_options);
    AddProcessMetrics(metrics, database);
    metrics.AddSource([&collector](std::string& out) { collector->AppendMetrics(out); });
    api::RegisterHealthRoutes(router, database, metrics);
    api::RegisterCollectRoutes(router, *collector);
    shopify_component.RegisterRoutes(router);
    shopify_component.AddMetrics(metrics);
    sdk_cache.emplace(database, experiment_repository);
    sdk_cache->Start();  // LISTEN pagelift_experiments: drops a shop's SDK document when its experiments change
    api::RegisterSdkRoutes(router, database, *sdk_cache);
    api::RegisterProxyRoutes(router, database, *collector, *sdk_cache, experiment_repository,
                             config.shopify_api_secrets);
    api::RegisterAssignRoutes(router, database, experiment_repository);
    api::RegisterExperimentRoutes(router, shopify_component.auth_deps(), experiment_repository);
    api::RegisterPatchRoutes(router, shopify_component.auth_deps(), patch_service);
    api::RegisterSyncRoutes(router, shopify_component.auth_deps());
    api::RegisterRecommendationRoutes(router, shopify_component.auth_deps(), audit_service);
    api::RegisterAdminUiRoutes(router, api::AdminUiOptionsFromEnvironment(shopify_component.app()));
    http::ServerOptions options;
    options.host = config.listen.host;
    options.port = config.listen.port;
    options.io_threads = config.io_threads;
    options.request_timeout = config.request_timeout;
    options.idle_timeout = config.idle_timeout;
    options.translate_exception = TranslateException;
    server.emplace(std::move(options), router, metrics);
    try {
      server->Start();
    } catch (const std::system_error& e) {
      log::Error("cannot start the HTTP server", {{"error", e.what()}});
      return 1;
    }
    log::Info("listening", {{"address", fmt::format("http://{}:{}", config.listen.host, server->port())},
                            {"io_threads", config.io_threads}, {"version", PAGELIFT_VERSION}});
  }
  // Every job kind and webhook topic is registered above this line.
  if (mode == Mode::kWorker || config.run_workers) shopify_component.StartWorkers();
  scheduler.Start();
  log::Info(mode == Mode::kServe ? "pagelift serve started" : "pagelift worker started");

  const int signal_number = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"grace_ms", config.shutdown_grace.count()}});
  size_t abandoned = 0;
  if (server) abandoned = server->Shutdown(config.shutdown_grace);
  if (collector) collector->Stop();  // commits what is queued while the executors it answers on still exist
  if (sdk_cache) sdk_cache->Stop();  // before the pool shuts down: the listener holds a connection
  shopify_component.Stop();
  scheduler.Stop();
  database.Shutdown();
  log::Info("stopped", {{"abandoned_connections", abandoned}});
  return 0;
}

}  // namespace pagelift::app
