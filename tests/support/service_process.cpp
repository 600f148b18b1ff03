#include "support/service_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/http_client.h"

extern char** environ;

namespace pagelift::testing {

ServiceProcess::ServiceProcess(std::vector<std::string> args, std::map<std::string, std::string> env, std::string cwd)
    : args_(std::move(args)), env_(std::move(env)), cwd_(std::move(cwd)) {
  char path[] = "/tmp/pagelift-e2e-log-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  log_path_ = path;
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0 && Running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(5));
  }
  unlink(log_path_.c_str());
}

void ServiceProcess::Start() {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : env_) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {PAGELIFT_BINARY};
  argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(), O_WRONLY | O_APPEND, 0);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!cwd_.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd_.c_str());
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + std::string(PAGELIFT_BINARY));
}

bool ServiceProcess::WaitForHttp(unsigned short port, const std::string& path, int status,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) return false;
    try {
      HttpClient client(port);
      if (client.Get(path).status == status) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void ServiceProcess::Signal(int signal_number) { kill(pid_, signal_number); }

bool ServiceProcess::Running() {
  if (pid_ <= 0 || exit_code_ >= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int ServiceProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_code_;
}

std::string ServiceProcess::Output() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned short FreePort() {
  boost::asio::io_context context;
  boost::asio::ip::tcp::acceptor acceptor(context, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::map<std::string, std::string> ServeEnv(const std::string& conninfo, unsigned short port) {
  return {{"DATABASE_URL", conninfo},
          {"PAGELIFT_LISTEN", "127.0.0.1:" + std::to_string(port)},
          {"PAGELIFT_TOKEN_KEYS", "test1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
          {"SHOPIFY_API_KEY", "test-api-key"},
          {"SHOPIFY_API_SECRET", "test-api-secret"},
          {"SHOPIFY_APP_URL", "http://127.0.0.1:" + std::to_string(port)},
          {"PAGELIFT_LOG_LEVEL", "debug"}};
}

}  // namespace pagelift::testing
