// A private PostgreSQL cluster for tests that must stop and restart the server (outage handling) without disturbing
// the shared cluster every other test uses. Drives tests/support/pg-cluster; the cluster lives under
// /tmp/pagelift-pg-<hash of dir> and is reused by later runs.
#pragma once

#include <string>

namespace pagelift::testing {

class PgCluster {
 public:
  // Nothing starts until Start(). `dir` identifies the cluster (its env file is written there).
  explicit PgCluster(std::string dir);
  ~PgCluster();  // stops the server if this object started it
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Each throws std::runtime_error when the script fails.
  void Start();
  void Stop();
  void Restart();

  // libpq keyword conninfo for `dbname` on this cluster (valid after Start()).
  std::string conninfo(const std::string& dbname = "postgres") const;
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  void RunScript(const std::string& command);
  void ReadEnv();

  std::string dir_;
  std::string host_;
  int port_ = 0;
  bool started_ = false;
};

// Path of tests/support/pg-cluster in the source tree.
std::string PgClusterScript();

// Reads the PGHOST/PGPORT lines of DIR/env; throws std::runtime_error when the file is missing.
void ReadClusterEnv(const std::string& dir, std::string& host, int& port);

}  // namespace pagelift::testing
