// `demo`: pagelift on a private PostgreSQL cluster under ./var/pg (created on the first run, reused afterwards),
// with a generated token-encryption key in ./var/token-keys. Later issues add the Shopify simulator and data.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/crypto.h"
#include "core/log.h"

extern char** environ;

namespace pagelift::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPostgresBin = "/usr/lib/postgresql/15/bin";

// Runs a program to completion with stdout/stderr appended to `log_path`; as the postgres user when we are root
// (PostgreSQL refuses to run as root). Returns the exit status, or -1 when it could not start.
int RunProgram(std::vector<std::string> argv, const fs::path& log_path) {
  if (geteuid() == 0) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

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

}  // namespace

int RunDemo(Config config) {
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
  std::cout << "pagelift demo: serving on http://" << config.listen.host << ":" << config.listen.port
            << "/  (readiness: /readyz, metrics: /metrics; Ctrl-C stops)\n"
            << std::flush;
  const int rc = RunService(config, Mode::kServe);
  if (cluster) cluster->Stop();
  return rc;
}

}  // namespace pagelift::app
