// The durable job queue in PostgreSQL (table `jobs`): work that must happen after a request answers (webhook
// processing, install follow-ups, syncs) and must survive a crash. Producers enqueue inside their own transaction, so
// a job exists exactly when the change that caused it committed. Workers of any number of processes claim jobs with
// `FOR UPDATE SKIP LOCKED` and hold a lease (`locked_until`); a job whose worker died is claimed again once its lease
// expires. A handler that fails is retried with exponential backoff up to the job's max_attempts, then `failed`.
//
// Delivery is at-least-once (a worker can die after the work and before marking it done): handlers are idempotent.
// The queue sits beside db (it depends only on db and core) so that api, shopify and the capabilities can enqueue;
// `app` constructs the JobQueue, registers every kind and starts the worker threads.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "db/database.h"

namespace pagelift::jobs {

struct EnqueueOptions {
  std::optional<std::string> shop_id;       // shops.id (UUID text); the job is cancelled with the shop's other jobs
  std::optional<TimePoint> run_at;          // nullopt: now
  std::optional<std::string> dedupe_key;    // at most one queued or running job per (kind, dedupe_key)
  int max_attempts = 10;
};

// Inserts a job inside the caller's transaction. Returns its id, or nullopt when `dedupe_key` is set and a queued or
// running job of the same kind and key already exists (nothing is inserted then).
std::optional<std::int64_t> Enqueue(pqxx::work& tx, std::string_view kind, const boost::json::object& payload,
                                    const EnqueueOptions& options = {});

// Cancels the shop's queued jobs (app/uninstalled); running ones finish. Returns how many were cancelled.
long long CancelQueuedJobsOfShop(pqxx::work& tx, std::string_view shop_id);

// A claimed job as its handler sees it.
struct Job {
  std::int64_t id = 0;
  std::string kind;
  std::optional<std::string> shop_id;
  boost::json::object payload;
  int attempts = 0;      // including this one
  int max_attempts = 0;
};

struct JobContext {
  const Job& job;
  db::Database& database;
  // True once the queue is stopping: a long handler may return an error to be retried later by another worker.
  std::function<bool()> stopping;
};

// Ok → the job is done. An Error (or an exception) → retried with backoff, the message kept in last_error.
using JobHandler = std::function<Result<void>(JobContext&)>;

// kind → handler. Register every kind before JobQueue::Start(); a claimed job of an unknown kind fails permanently.
class JobRegistry {
 public:
  // Throws std::logic_error when the kind is already registered.
  void Register(std::string kind, JobHandler handler);
  const JobHandler* Find(std::string_view kind) const;

 private:
  std::map<std::string, JobHandler, std::less<>> handlers_;
};

struct QueueOptions {
  int threads = 2;                                     // worker threads (never I/O threads)
  std::chrono::seconds lease{300};                     // a claim's lifetime; a dead worker's job is retried after it
  std::chrono::milliseconds poll_interval{500};        // idle wait between claim attempts
  std::chrono::milliseconds backoff_base{5000};        // delay after the first failure, doubled per attempt
  std::chrono::milliseconds backoff_max{3600 * 1000};  // cap on the delay
  std::chrono::seconds metrics_refresh{10};            // how often queue depths are read for /metrics
  std::string worker_name;                             // defaults to host:pid
};

class JobQueue {
 public:
  JobQueue(db::Database& database, const JobRegistry& registry, QueueOptions options = {});
  ~JobQueue();  // Stop()
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  void Start();
  // Lets running handlers finish, then joins the threads. Idempotent.
  void Stop();
  // Wakes idle workers now (e.g. right after an enqueue in the same process).
  void Notify();

  // Claims one due job (queued with run_at ≤ now, or running with an expired lease), runs it, records the outcome.
  // Returns false when there was nothing to claim. Used by the worker threads, and by tests to drive the queue.
  bool RunOnce();

  // Prometheus lines: pagelift_jobs{kind,status} from the last refresh, and handler outcomes since start.
  void AppendMetrics(std::string& out) const;
  // Reads the depths now (the worker threads do it every metrics_refresh).
  void RefreshDepths();

 private:
  std::optional<Job> Claim(std::string& lease_token);
  void Finish(const Job& job, const std::string& lease_token, const std::optional<std::string>& error);
  void Loop();
  std::chrono::milliseconds Backoff(int attempts) const;

  db::Database& database_;
  const JobRegistry& registry_;
  QueueOptions options_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool notified_ = false;
  std::atomic<bool> stop_flag_{false};
  std::chrono::steady_clock::time_point next_refresh_{};

  mutable std::mutex metrics_mutex_;
  std::map<std::pair<std::string, std::string>, long long> depths_;   // (kind, status) → jobs
  std::map<std::pair<std::string, std::string>, long long> outcomes_;  // (kind, outcome) → runs
};

}  // namespace pagelift::jobs
