// `demo`: pagelift on a private PostgreSQL cluster under ./var/pg (created on the first run, reused afterwards), with a
// generated token-encryption key in ./var/token-keys, against the Shopify simulator (in-process, a seeded store). Once
// serving, it installs the app into the store through the real OAuth flow over HTTP (/auth/install → the simulator's
// authorize → /auth/callback), waits for the products and orders sync, and prints the one URL that opens the admin.
// Then it keeps two experiments running (started through /api/experiments: a planted winner, and one where mobile
// regresses while desktop wins) and sends waves of simulated shoppers through /v1/sdk and /v1/collect every few
// seconds (tools/traffic-sim), so the results move while the merchant watches.
// A second run reuses the data and the same shop: the simulator regenerates the same store from its seed, and the
// install runs again against it (the new simulator has no webhook subscriptions, so shop_installed runs again too).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "api/auth.h"
#include "app/commands.h"
#include "app/sim_command.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/queue.h"
#include "shopify-sim/simulator.h"
#include "shopify/http_client.h"
#include "shopify/oauth.h"
#include "shopify/shops_repository.h"
#include "shopify/urls.h"
#include "traffic-sim/traffic_sim.h"

extern char** environ;

namespace pagelift::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPostgresBin = "/usr/lib/postgresql/15/bin";

// Starts a program with stdout/stderr appended to `log_path` and no signal blocked (the demo blocks SIGINT/SIGTERM
// for its own threads; a child must still stop on them). Returns its pid, or -1 when it could not start.
pid_t Spawn(std::vector<std::string> argv, const fs::path& log_path) {
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int WaitForExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs a program to completion with stdout/stderr appended to `log_path`; as the postgres user when we are root
// (PostgreSQL refuses to run as root). Returns the exit status, or -1 when it could not start.
int RunProgram(std::vector<std::string> argv, const fs::path& log_path) {
  if (geteuid() == 0) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  const pid_t pid = Spawn(std::move(argv), log_path);
  return pid < 0 ? -1 : WaitForExit(pid);
}

// A program running beside the demo (the storefront), stopped with SIGTERM when the demo ends.
class BackgroundProgram {
 public:
  BackgroundProgram() = default;
  BackgroundProgram(const BackgroundProgram&) = delete;
  BackgroundProgram& operator=(const BackgroundProgram&) = delete;
  ~BackgroundProgram() { Stop(); }
  bool Start(std::vector<std::string> argv, const fs::path& log_path) {
    pid_ = Spawn(std::move(argv), log_path);
    return pid_ > 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    WaitForExit(pid_);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string Bin(const char* name) { return fmt::format("{}/{}", kPostgresBin, name); }

class PrivateCluster {
 public:
  explicit PrivateCluster(fs::path root)
      : root_(std::move(root)),
        data_(root_ / "data"),
        socket_dir_(root_ / "run"),
        log_(root_ / "setup.log"),
        server_log_(root_ / "run" / "server.log") {}

  bool Start() {
    fs::create_directories(socket_dir_);
    if (geteuid() == 0) {
      RunProgramAsRoot({"chown", "-R", "postgres:postgres", root_.string()});
    }
    if (!fs::exists(data_ / "PG_VERSION")) {
      log::Info("initialising a private PostgreSQL cluster", {{"path", data_.string()}});
      if (RunProgram({Bin("initdb"), "-D", data_.string(), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--no-instructions"},
                     log_) != 0) {
        return Fail("initdb failed");
      }
    }
    if (RunProgram({Bin("pg_ctl"), "-D", data_.string(), "status"}, log_) == 0) {
      log::Info("reusing the running private PostgreSQL", {{"path", data_.string()}});
      return true;
    }
    const std::string options = fmt::format("-k {} -c listen_addresses='' -c fsync=off", socket_dir_.string());
    // The server writes its own log as the postgres user, into a folder it owns.
    if (RunProgram({Bin("pg_ctl"), "-D", data_.string(), "-l", server_log_.string(), "-w", "-t", "60", "-o", options,
                    "start"},
                   log_) != 0) {
      return Fail("pg_ctl start failed");
    }
    started_ = true;
    return true;
  }

  void Stop() {
    if (!started_) return;
    RunProgram({Bin("pg_ctl"), "-D", data_.string(), "-m", "fast", "-w", "stop"}, log_);
    started_ = false;
  }

  std::string Conninfo(std::string_view database) const {
    return fmt::format("host={} port=5432 user=postgres dbname={}", socket_dir_.string(), database);
  }

 private:
  static void RunProgramAsRoot(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) == 0) waitpid(pid, nullptr, 0);
  }

  bool Fail(std::string_view what) const {
    std::cerr << "pagelift demo: " << what << "; see " << log_.string() << " and " << server_log_.string()
              << (geteuid() == 0 ? " (as root the cluster runs as the postgres user, which must be able to reach "
                                   "this folder)"
                                 : "")
              << "\n";
    return false;
  }

  fs::path root_, data_, socket_dir_, log_, server_log_;
  bool started_ = false;
};

bool EnsureDatabase(const PrivateCluster& cluster, const std::string& name) {
  try {
    pqxx::connection connection(cluster.Conninfo("postgres"));
    pqxx::nontransaction tx(connection);
    if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).empty()) {
      tx.exec0("CREATE DATABASE " + tx.quote_name(name));
    }
    return true;
  } catch (const std::exception& e) {
    std::cerr << "pagelift demo: cannot create the database: " << e.what() << "\n";
    return false;
  }
}

// The demo's token-encryption key: generated once, kept private to the owner.
std::string DemoTokenKeys(const fs::path& path) {
  if (fs::exists(path)) {
    std::ifstream in(path);
    std::string keys;
    std::getline(in, keys);
    if (!keys.empty()) return keys;
  }
  const std::string entry = crypto::KeyRing::GenerateEntry("demo1");
  {
    std::ofstream out(path, std::ios::trunc);
    out << entry << "\n";
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  return entry;
}

// ---- the install, as a merchant's browser does it ------------------------------------------------------------------

namespace json = boost::json;
using namespace std::chrono_literals;

// Sleeps up to `duration` unless the demo is stopping; false when it is.
bool Pause(const std::atomic<bool>& stopping, std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!stopping && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(100ms);
  return !stopping;
}

bool WaitUntilReady(const std::string& app_url, const std::atomic<bool>& stopping) {
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = shopify::HttpGet(app_url + "/readyz");
    if (reply && reply->status == 200) return true;
    if (!Pause(stopping, 200ms)) return false;
  }
  return false;
}

// GETs `url` and returns the Location of its redirect.
Result<std::string> FollowOne(const std::string& url) {
  auto reply = shopify::HttpGet(url);
  if (!reply) return std::move(reply).error();
  const auto location = reply->headers.find("location");
  if ((reply->status != 302 && reply->status != 303) || location == reply->headers.end()) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("{} answered HTTP {} instead of a redirect: {}", url.substr(0, url.find('?')),
                                 reply->status, reply->body.substr(0, 300)));
  }
  return location->second;
}

// /auth/install → the simulator's authorize page (the merchant approves) → /auth/callback → the admin.
Result<void> InstallThroughOAuth(const std::string& app_url, const std::string& shop) {
  auto authorize = FollowOne(app_url + "/auth/install?shop=" + shop);
  if (!authorize) return std::move(authorize).error();
  auto callback = FollowOne(*authorize);
  if (!callback) return std::move(callback).error();
  auto admin = FollowOne(*callback);
  if (!admin) return std::move(admin).error();
  return {};
}

// The installed shop's id, or "" when pagelift holds no installed row for it.
std::string InstalledShopId(const std::string& conninfo, const std::string& shop) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  auto row = shopify::FindShopByDomain(tx, shop);
  return row && row->installed() ? row->id : std::string();
}

// A re-run's shop is already installed, so the callback only re-authorises it; the new simulator has none of the
// webhook subscriptions, so shop_installed (subscriptions, then the sync) is queued here.
void EnqueueShopInstalled(const std::string& conninfo, const std::string& shop_id, const std::string& shop) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  jobs::EnqueueOptions options;
  options.shop_id = shop_id;
  options.dedupe_key = shop_id;
  jobs::Enqueue(tx, shopify::kShopInstalledJobKind, {{"shop_id", shop_id}, {"domain", shop}}, options);
  tx.commit();
}

struct SyncProgress {
  bool done = false;
  long long products = 0;
  long long orders = 0;
  std::string last_error;
};

// A session token for `shop` signed by the simulator, as App Bridge would get it from Shopify; "" when it cannot.
std::string SessionToken(const std::string& sim_url, const std::string& shop) {
  auto session = shopify::HttpPost(sim_url + "/_sim/shops/" + shop + "/session-token", "", {});
  if (!session || session->status != 200) return "";
  return std::string(json::parse(session->body).at("token").as_string());
}

// GET /api/sync with a session token the simulator signs (as App Bridge would get from Shopify): done when both kinds
// finished a run that started after `since`.
SyncProgress ReadSyncProgress(const std::string& app_url, const std::string& sim_url, const std::string& shop,
                              const std::string& since) {
  SyncProgress progress;
  const std::string token = SessionToken(sim_url, shop);
  if (token.empty()) return progress;
  auto reply = shopify::HttpGet(app_url + "/api/sync", {{"Authorization", "Bearer " + token}});
  if (!reply || reply->status != 200) return progress;
  const auto sync = json::parse(reply->body).at("sync").as_object();
  progress.done = true;
  for (const char* kind : {"products", "orders"}) {
    const auto* run = sync.if_contains(kind);
    if (run == nullptr || !run->is_object()) {
      progress.done = false;
      continue;
    }
    const auto& r = run->as_object();
    const bool fresh = std::string_view(r.at("started_at").as_string()) >= since;
    const bool finished = fresh && r.at("state") == "done";
    if (!finished) progress.done = false;
    if (fresh && r.at("last_error").is_string()) progress.last_error = r.at("last_error").as_string();
    (std::string_view(kind) == "products" ? progress.products : progress.orders) = r.at("objects_done").as_int64();
  }
  return progress;
}

// The one URL the demo prints: the simulator's admin page framing the app (shopify::EmbeddedAdminUrl), exactly where
// Shopify's admin would show it.
std::string DemoAdminUrl(const Config& config, const std::string& shop) {
  return shopify::EmbeddedAdminUrl(config.shopify_admin_base_url, shop, config.shopify_api_key);
}

// The simulator's storefront (tools/storefront/storefront.mjs: node and liquidjs render the theme extension) on
// PAGELIFT_LISTEN's port + 2, when the demo runs from the source tree with the npm packages installed (`make run`
// does both). Returns the URL of a product page, or "" when it cannot run here.
std::string StartStorefront(BackgroundProgram& storefront, const Config& config, const std::string& shop,
                            const fs::path& var) {
  const fs::path script = fs::absolute("tools/storefront/storefront.mjs");
  if (!fs::exists(script) || !fs::exists("node_modules/liquidjs")) return "";
  pqxx::connection connection(*config.database_url);
  pqxx::work tx(connection);
  const auto row = tx.exec_params(
      "SELECT s.public_id, (SELECT p.handle FROM products_cache p WHERE p.shop_id = s.id AND p.data->>'status' = 'ACTIVE' "
      "                     ORDER BY p.handle LIMIT 1) "
      "FROM shops s WHERE s.domain = $1",
      shop);
  if (row.empty() || row[0][1].is_null()) return "";
  const std::string port = std::to_string(config.listen.port + 2);
  if (!storefront.Start({"node", script.string(), "--sim", *config.shopify_admin_base_url, "--shop", shop, "--app",
                         config.shopify_app_url, "--secret", config.shopify_api_secrets.front(), "--port", port,
                         "--public-id", row[0][0].as<std::string>()},
                        var / "storefront.log")) {
    return "";
  }
  return fmt::format("http://{}:{}/products/{}", config.listen.host, port, row[0][1].as<std::string>());
}

// ---- live experiments: results that move while the merchant watches ------------------------------------------------

// A demo experiment: its definition for POST /api/experiments and the truth the traffic simulator plants in it.
struct DemoExperiment {
  const char* name;
  const char* definition;
  traffic_sim::Scenario scenario;
};

std::vector<DemoExperiment> DemoExperiments() {
  traffic_sim::Scenario winner;
  winner.lift = 0.3;  // the badge sells 30 % more on every device
  traffic_sim::Scenario mobile_regresses;
  mobile_regresses.device_lift = {{"mobile", -0.35}, {"desktop", 0.4}, {"tablet", 0.0}};
  return {
      {"Free-shipping badge",
       R"({"name": "Free-shipping badge", "target": "product_page:badge",
           "variants": [{"key": "control"}, {"key": "free_shipping", "config": {"text": "Free shipping and returns"}}],
           "weights": [0.5, 0.5], "primary_metric": "purchase_rate", "guardrail_metrics": ["revenue_per_visitor"],
           "guardrails": {"min_sample": 300, "max_duration_days": 30,
                          "segment_guards": [{"segment": "device:mobile", "metric": "purchase_rate"}]}})",
       winner},
      {"Sticky add-to-cart bar",
       R"({"name": "Sticky add-to-cart bar", "target": "product_page:cta",
           "variants": [{"key": "control"},
                        {"key": "sticky_bar", "config": {"css": ".product-form__submit{position:sticky;bottom:0}"}}],
           "weights": [0.5, 0.5], "primary_metric": "purchase_rate", "guardrail_metrics": ["revenue_per_visitor"],
           "guardrails": {"min_sample": 300, "max_duration_days": 30,
                          "segment_guards": [{"segment": "device:mobile", "metric": "purchase_rate"}]}})",
       mobile_regresses},
  };
}

// Creates and starts each demo experiment through /api/experiments unless the shop already has it (a re-run).
// Returns name → experiment id.
std::map<std::string, std::string> EnsureDemoExperiments(const std::string& app_url, const std::string& token) {
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
  std::map<std::string, std::string> ids;
  std::map<std::string, std::string> statuses;
  if (auto list = shopify::HttpGet(app_url + "/api/experiments", auth); list && list->status == 200) {
    const json::value listed = json::parse(list->body);
    for (const auto& e : listed.at("experiments").as_array()) {
      const std::string name(e.at("name").as_string());
      ids[name] = e.at("id").as_string();
      statuses[name] = e.at("status").as_string();
    }
  }
  for (const DemoExperiment& demo : DemoExperiments()) {
    if (!ids.contains(demo.name)) {
      auto created = shopify::HttpPost(app_url + "/api/experiments", demo.definition, auth);
      if (!created || created->status != 201) {
        log::Warn("demo: could not create an experiment", {{"name", demo.name}});
        continue;
      }
      ids[demo.name] = json::parse(created->body).at("experiment").at("id").as_string();
      statuses[demo.name] = "draft";
    }
    if (statuses[demo.name] == "draft" || statuses[demo.name] == "paused") {
      const std::string action = statuses[demo.name] == "draft" ? "start" : "resume";
      auto started = shopify::HttpPost(app_url + "/api/experiments/" + ids[demo.name] + "/" + action, "", auth);
      if (!started || started->status != 200) log::Warn("demo: could not start an experiment", {{"name", demo.name}});
    }
  }
  return ids;
}

// Every few seconds, a wave of new visitors per experiment through /v1/sdk and /v1/collect (the storefront's own
// routes), until the demo stops; the aggregation worker folds them into the results.
void SendDemoTraffic(const Config& config, const std::string& shop, const std::string& public_id,
                     const std::atomic<bool>& stopping) {
  const std::string token = SessionToken(*config.shopify_admin_base_url, shop);
  if (token.empty()) return;
  const auto ids = EnsureDemoExperiments(config.shopify_app_url, token);
  traffic_sim::HttpTransport http(config.listen.port);
  std::uint64_t wave = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
  log::Info("demo: storefront traffic for two experiments (a planted winner; one where mobile regresses)",
            {{"experiments", ids.size()}});
  do {
    auto document = traffic_sim::FetchSdkDocument(http, public_id);
    if (!document) continue;
    for (const DemoExperiment& demo : DemoExperiments()) {
      const auto id = ids.find(demo.name);
      if (id == ids.end()) continue;
      for (const auto& experiment : *document) {
        if (experiment.key != id->second) continue;
        traffic_sim::Scenario scenario = demo.scenario;
        scenario.seed = ++wave;
        scenario.visitors = 120;
        scenario.days = 1;
        scenario.channel = traffic_sim::PurchaseChannel::kEvents;
        const TimePoint now = std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now());
        const auto report = traffic_sim::SendEvents(http, traffic_sim::Generate(scenario, public_id, experiment, now));
        if (!report.failures.empty()) {
          const json::object fields = {{"first", report.failures.front()}};
          log::Warn("demo: traffic refused", fields);
        }
      }
    }
  } while (Pause(stopping, 5s));
}

// The installed shop's public id (the storefront's name for it), or "".
std::string ShopPublicId(const std::string& conninfo, const std::string& shop) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  const auto row = tx.exec_params("SELECT public_id FROM shops WHERE domain = $1", shop);
  return row.empty() ? "" : row[0][0].as<std::string>();
}

// Seconds since `started`, for the "ready in" line.
double SecondsSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

// The first screen answers: the printed admin URL (the simulator's page framing the app) and the app's own overview
// page, which that frame loads, both 200.
bool FirstScreenAnswers(const Config& config, const std::string& shop) {
  const auto admin = shopify::HttpGet(DemoAdminUrl(config, shop));
  const auto app = shopify::HttpGet(config.shopify_app_url + "/app?shop=" + shop + "&embedded=1");
  return admin && admin->status == 200 && app && app->status == 200;
}

void InstallAndSync(const Config& config, const std::string& shop, const std::atomic<bool>& stopping,
                    BackgroundProgram& storefront, const fs::path& var, std::chrono::steady_clock::time_point started) {
  const std::string& app_url = config.shopify_app_url;
  const std::string since = FormatRfc3339Millis(Clock::now() - 1s);
  if (!WaitUntilReady(app_url, stopping)) return;
  try {
    const std::string existing = InstalledShopId(*config.database_url, shop);
    if (auto installed = InstallThroughOAuth(app_url, shop); !installed) {
      std::cerr << "pagelift demo: installing into " << shop << " failed: " << installed.error().message << "\n";
      return;
    }
    if (!existing.empty()) EnqueueShopInstalled(*config.database_url, existing, shop);
    std::cout << "pagelift demo: installed into " << shop << " through OAuth; syncing products and orders…\n"
              << std::flush;
    SyncProgress progress;
    std::string reported_error;
    const auto deadline = std::chrono::steady_clock::now() + 10min;
    while (!progress.done && std::chrono::steady_clock::now() < deadline) {
      if (!Pause(stopping, 500ms)) return;
      progress = ReadSyncProgress(app_url, *config.shopify_admin_base_url, shop, since);
      if (!progress.last_error.empty() && progress.last_error != reported_error) {
        reported_error = progress.last_error;
        std::cerr << "pagelift demo: sync error (retried): " << reported_error << "\n";
      }
    }
    if (progress.done) {
      std::cout << "pagelift demo: synced " << progress.products << " products and " << progress.orders
                << " orders\n";
    } else {
      std::cout << "pagelift demo: the sync is still running (see /api/sync)\n";
    }
    if (const auto store = StartStorefront(storefront, config, shop, var); !store.empty()) {
      log::Info("demo storefront: the shop's product pages with pagelift's theme extension", {{"url", store}});
    }
    // Start to first screen (issue 7 asks for under two minutes on a fresh machine): measured up to the moment the
    // printed URL answers, and printed so that a run (and tests/browser/demo.test.mjs) can quote it.
    if (FirstScreenAnswers(config, shop)) {
      std::cout << fmt::format("pagelift demo: ready in {:.1f} s (start to first screen)\n", SecondsSince(started));
    } else {
      std::cout << "pagelift demo: the admin page does not answer yet\n";
    }
    std::cout << "\n  Open " << DemoAdminUrl(config, shop) << "\n\n  (Ctrl-C stops pagelift, the simulator and "
              << "PostgreSQL; the next run reuses the data)\n"
              << std::flush;
    if (const std::string public_id = ShopPublicId(*config.database_url, shop); !public_id.empty()) {
      SendDemoTraffic(config, shop, public_id, stopping);
    }
  } catch (const std::exception& e) {
    std::cerr << "pagelift demo: " << e.what() << "\n";
  }
}

// The simulator on PAGELIFT_LISTEN's port + 1 unless SIM_LISTEN says otherwise, knowing pagelift as its app.
Result<shopify_sim::SimulatorOptions> DemoSimulatorOptions(const Config& config) {
  shopify_sim::SimulatorOptions defaults;
  defaults.api_key = config.shopify_api_key;
  defaults.api_secrets = config.shopify_api_secrets;
  defaults.api_version = config.shopify_api_version;
  defaults.scopes = config.shopify_scopes;
  const std::string listen = fmt::format("{}:{}", config.listen.host, config.listen.port + 1);
  // An empty variable counts as unset, as for pagelift's own configuration.
  const EnvLookup process_env = ProcessEnv();
  const EnvLookup env = [&process_env](std::string_view name) -> std::optional<std::string> {
    auto value = process_env(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  };
  auto options = SimulatorOptionsFromEnv(env, defaults, listen, config.shopify_app_url);
  if (!options) return options;
  // The app's own values win over a stray SHOPIFY_* in the environment: both sides must agree.
  options->api_key = config.shopify_api_key;
  options->api_secrets = config.shopify_api_secrets;
  return options;
}

}  // namespace

int RunDemo(Config config) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path var = fs::absolute("var");
  fs::create_directories(var);
  std::optional<PrivateCluster> cluster;
  if (!config.database_url) {
    cluster.emplace(var / "pg");
    if (!cluster->Start() || !EnsureDatabase(*cluster, "pagelift")) {
      cluster->Stop();
      return 1;
    }
    config.database_url = cluster->Conninfo("pagelift");
  }
  if (!config.token_keys) config.token_keys = DemoTokenKeys(var / "token-keys");
  if (config.shopify_api_key.empty()) config.shopify_api_key = "pagelift-demo";
  if (config.shopify_api_secrets.empty()) config.shopify_api_secrets = {"pagelift-demo-secret"};
  if (config.shopify_app_url.empty()) {
    config.shopify_app_url = fmt::format("http://{}:{}", config.listen.host, config.listen.port);
  }

  // Before any thread starts: only the service's sigwait receives Ctrl-C, and every thread of the demo stops from it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<shopify_sim::Simulator> simulator;
  std::string shop;
  if (!config.shopify_admin_base_url) {
    auto options = DemoSimulatorOptions(config);
    if (!options) {
      std::cerr << "pagelift demo: " << options.error().message << "\n";
      if (cluster) cluster->Stop();
      return 2;
    }
    shop = options->shops.front();
    try {
      simulator = std::make_unique<shopify_sim::Simulator>(*options);
      simulator->Start();
    } catch (const std::exception& e) {
      std::cerr << "pagelift demo: cannot start the Shopify simulator: " << e.what() << "\n";
      if (cluster) cluster->Stop();
      return 1;
    }
    config.shopify_admin_base_url = simulator->base_url();
  }
  std::cout << "pagelift demo: starting pagelift (" << config.listen.host << ":" << config.listen.port
            << "), the Shopify simulator and PostgreSQL…\n"
            << std::flush;

  std::atomic<bool> stopping{false};
  BackgroundProgram storefront;
  std::thread installer;
  if (simulator) {
    installer = std::thread(
        [&config, &shop, &stopping, &storefront, &var, started] {
          InstallAndSync(config, shop, stopping, storefront, var, started);
        });
  }
  const int rc = RunService(config, Mode::kServe);
  stopping = true;
  if (installer.joinable()) installer.join();
  storefront.Stop();
  if (simulator) simulator->Shutdown();
  if (cluster) cluster->Stop();
  return rc;
}

}  // namespace pagelift::app
