// Runs the real pagelift binary as a child process for end-to-end tests: environment, log capture, readiness wait,
// signals. The child is killed if the test forgets to stop it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace pagelift::testing {

class ServiceProcess {
 public:
  // `env` is added to (and overrides) the test's own environment; `cwd` (when not empty) is the child's directory.
  ServiceProcess(std::vector<std::string> args, std::map<std::string, std::string> env, std::string cwd = "");
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  void Start();
  // Polls GET path until it answers `status` or the timeout passes; false on timeout or when the child exited.
  bool WaitForHttp(unsigned short port, const std::string& path, int status, std::chrono::milliseconds timeout);
  void Signal(int signal_number);
  // Waits for the child to exit; returns its exit code (128 + signal when killed), or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();
  // Everything the child wrote to stdout and stderr so far.
  std::string Output() const;
  pid_t pid() const { return pid_; }

 private:
  std::vector<std::string> args_;
  std::map<std::string, std::string> env_;
  std::string cwd_;
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// A free TCP port on 127.0.0.1 (bound and released; good enough for tests on one machine).
unsigned short FreePort();

// Environment that lets `pagelift serve` start: DATABASE_URL and the Shopify/token settings tests don't care about.
std::map<std::string, std::string> ServeEnv(const std::string& conninfo, unsigned short port);

}  // namespace pagelift::testing
