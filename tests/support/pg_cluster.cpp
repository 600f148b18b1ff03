// PgCluster: runs tests/support/pg-cluster (see pg_cluster.h).
#include "support/pg_cluster.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace pagelift::testing {
namespace {

// Single-quotes an argument for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string PgClusterScript() { return std::string(PAGELIFT_SOURCE_DIR) + "/tests/support/pg-cluster"; }

void ReadClusterEnv(const std::string& dir, std::string& host, int& port) {
  std::ifstream in(dir + "/env");
  if (!in) {
    throw std::runtime_error("no test PostgreSQL at " + dir + " (run it through ctest, whose postgres_start fixture "
                             "starts it, or run: tests/support/pg-cluster start " + dir + ")");
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("PGHOST=")) {
      host = line.substr(7);
    } else if (line.starts_with("PGPORT=")) {
      port = std::stoi(line.substr(7));
    }
  }
  if (host.empty() || port == 0) {
    throw std::runtime_error(dir + "/env lacks PGHOST or PGPORT");
  }
}

PgCluster::PgCluster(std::string dir) : dir_(std::move(dir)) {}

PgCluster::~PgCluster() {
  if (started_) {
    try {
      Stop();
    } catch (const std::exception&) {
      // Destructors must not throw; a cluster left running is reused by the next run.
    }
  }
}

void PgCluster::RunScript(const std::string& command) {
  const std::string line = ShellQuote(PgClusterScript()) + " " + command + " " + ShellQuote(dir_);
  const int status = std::system(line.c_str());
  if (status != 0) {
    throw std::runtime_error("pg-cluster " + command + " " + dir_ + " failed with status " + std::to_string(status));
  }
}

void PgCluster::ReadEnv() { ReadClusterEnv(dir_, host_, port_); }

void PgCluster::Start() {
  RunScript("start");
  ReadEnv();
  started_ = true;
}

void PgCluster::Stop() {
  RunScript("stop");
  started_ = false;
}

void PgCluster::Restart() {
  RunScript("restart");
  ReadEnv();
  started_ = true;
}

std::string PgCluster::conninfo(const std::string& dbname) const {
  return "host=" + host_ + " port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

}  // namespace pagelift::testing
