// BatchLoad: the load generator of the end-to-end fault tests (kill -9, PostgreSQL restart). Clients, each on a
// thread of its own with its own keep-alive connection, POST JSON batches to one target of 127.0.0.1:port until
// Stop(); every answer goes to the test with the ids the batch carried, so the test keeps a ledger of what was
// acknowledged. A connection the server dropped is reported and the client reconnects (the server may be gone).
// CountStoredEvents is the ledger's check afterwards: how many of those event ids PostgreSQL holds.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"

namespace pagelift::testing {

class BatchLoad {
 public:
  // The body of one batch from client `seed`; appends the ids it carries to `ids`.
  using MakeBatch = std::function<std::string(std::mt19937_64& random, int seed, std::vector<std::string>& ids)>;
  using SentAt = std::chrono::steady_clock::time_point;
  // One answer, on the client's thread; `sent_at` is when the request went out.
  using OnAnswer = std::function<void(const std::vector<std::string>& ids, const HttpResult& result, SentAt sent_at)>;

  // Starts `clients` clients (seeds 1..clients). `on_connection_failure` (may be empty) runs on a client's thread.
  BatchLoad(unsigned short port, std::string target, int clients, MakeBatch make_batch, OnAnswer on_answer,
            std::function<void()> on_connection_failure = {});
  ~BatchLoad() { Stop(); }
  BatchLoad(const BatchLoad&) = delete;
  BatchLoad& operator=(const BatchLoad&) = delete;

  // Stops and joins every client (idempotent); no callback runs after it returns.
  void Stop();

 private:
  void Run(int seed);

  unsigned short port_;
  std::string target_;
  MakeBatch make_batch_;
  OnAnswer on_answer_;
  std::function<void()> on_connection_failure_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> clients_;
};

// How many distinct ids of `event_ids` the events table of `conninfo` holds.
long long CountStoredEvents(const std::string& conninfo, const std::vector<std::string>& event_ids);

}  // namespace pagelift::testing
