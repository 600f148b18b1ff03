#include "jobs/queue.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "core/crypto.h"
#include "core/log.h"

namespace pagelift::jobs {

namespace json = boost::json;

namespace {

std::string DefaultWorkerName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host, getpid());
}

std::string FormatTimestamp(TimePoint t) { return FormatRfc3339Millis(t); }

// Errors kept in last_error are bounded so a handler returning a huge message cannot bloat the row.
std::string Truncate(std::string text, std::size_t limit = 2000) {
  if (text.size() > limit) text.resize(limit);
  return text;
}

}  // namespace

std::optional<std::int64_t> Enqueue(pqxx::work& tx, std::string_view kind, const json::object& payload,
                                    const EnqueueOptions& options) {
  const std::string run_at = options.run_at ? FormatTimestamp(*options.run_at) : std::string();
  // ON CONFLICT names the partial unique index's columns and predicate, so a duplicate dedupe_key is skipped without
  // aborting the caller's transaction.
  auto rows = tx.exec_params(
      "INSERT INTO jobs (kind, shop_id, payload, run_at, dedupe_key, max_attempts) "
      "VALUES ($1, $2::uuid, $3::jsonb, COALESCE(NULLIF($4, '')::timestamptz, now()), $5, $6) "
      "ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running') DO NOTHING "
      "RETURNING id",
      std::string(kind), options.shop_id, json::serialize(payload), run_at, options.dedupe_key,
      options.max_attempts);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

long long CancelQueuedJobsOfShop(pqxx::work& tx, std::string_view shop_id) {
  auto result = tx.exec_params(
      "UPDATE jobs SET status = 'cancelled', updated_at = now() WHERE shop_id = $1::uuid AND status = 'queued'",
      std::string(shop_id));
  return static_cast<long long>(result.affected_rows());
}

void JobRegistry::Register(std::string kind, JobHandler handler) {
  if (handlers_.contains(kind)) throw std::logic_error("job kind registered twice: " + kind);
  handlers_.emplace(std::move(kind), std::move(handler));
}

const JobHandler* JobRegistry::Find(std::string_view kind) const {
  auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : &it->second;
}

JobQueue::JobQueue(db::Database& database, const JobRegistry& registry, QueueOptions options)
    : database_(database), registry_(registry), options_(std::move(options)) {
  if (options_.worker_name.empty()) options_.worker_name = DefaultWorkerName();
  if (options_.threads < 1) options_.threads = 1;
}

JobQueue::~JobQueue() { Stop(); }

void JobQueue::Start() {
  std::lock_guard lock(mutex_);
  if (!threads_.empty() || stopping_) return;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Loop(); });
}

void JobQueue::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_flag_ = true;
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void JobQueue::Notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

std::chrono::milliseconds JobQueue::Backoff(int attempts) const {
  auto delay = options_.backoff_base;
  for (int i = 1; i < attempts && delay < options_.backoff_max; ++i) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

std::optional<Job> JobQueue::Claim(std::string& lease_token) {
  // A fresh token per claim: if this worker's lease expires and another worker claims the job again, this worker's
  // late Finish matches no row instead of overwriting the newer claim's outcome.
  lease_token = options_.worker_name + "/" + crypto::RandomHex(8);
  return database_.Run([&](pqxx::work& tx) -> std::optional<Job> {
    auto rows = tx.exec_params(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, "
        "       locked_until = now() + make_interval(secs => $2), updated_at = now() "
        "WHERE id = (SELECT id FROM jobs "
        "            WHERE (status = 'queued' AND run_at <= now()) "
        "               OR (status = 'running' AND locked_until < now()) "
        "            ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, kind, shop_id::text, payload::text, attempts, max_attempts",
        lease_token, static_cast<double>(options_.lease.count()));
    if (rows.empty()) return std::nullopt;
    const auto row = rows[0];
    Job job;
    job.id = row[0].as<std::int64_t>();
    job.kind = row[1].as<std::string>();
    if (!row[2].is_null()) job.shop_id = row[2].as<std::string>();
    auto payload = json::parse(row[3].as<std::string>());
    if (payload.is_object()) job.payload = std::move(payload.as_object());
    job.attempts = row[4].as<int>();
    job.max_attempts = row[5].as<int>();
    return job;
  });
}

void JobQueue::Finish(const Job& job, const std::string& lease_token, const std::optional<std::string>& error) {
  const bool give_up = error && job.attempts >= job.max_attempts;
  // Every update matches only this claim's lease token: a worker whose lease expired (and whose job another worker
  // claimed since) updates nothing.
  const auto updated = database_.Run([&](pqxx::work& tx) {
    pqxx::result result;
    if (!error) {
      result = tx.exec_params(
          "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, "
          "updated_at = now() WHERE id = $1 AND locked_by = $2",
          job.id, lease_token);
    } else if (give_up) {
      result = tx.exec_params(
          "UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL, last_error = $3, "
          "updated_at = now() WHERE id = $1 AND locked_by = $2",
          job.id, lease_token, Truncate(*error));
    } else {
      result = tx.exec_params(
          "UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, last_error = $3, "
          "run_at = now() + make_interval(secs => $4), updated_at = now() WHERE id = $1 AND locked_by = $2",
          job.id, lease_token, Truncate(*error), static_cast<double>(Backoff(job.attempts).count()) / 1000.0);
    }
    return result.affected_rows();
  });
  const std::string outcome = updated == 0 ? "lease_lost" : !error ? "done" : give_up ? "failed" : "retry";
  {
    std::lock_guard lock(metrics_mutex_);
    ++outcomes_[{job.kind, outcome}];
  }
  if (updated == 0) {
    log::Warn("job lease was lost before it finished; its outcome is dropped", {{"job_id", job.id}, {"kind", job.kind}});
  } else if (error) {
    log::Write(give_up ? log::Level::kError : log::Level::kWarn, give_up ? "job failed" : "job will be retried",
               {{"job_id", job.id}, {"kind", job.kind}, {"attempt", job.attempts}, {"error", Truncate(*error, 500)}});
  }
}

bool JobQueue::RunOnce() {
  std::string lease_token;
  auto job = Claim(lease_token);
  if (!job) return false;
  std::optional<std::string> error;
  if (job->attempts > job->max_attempts) {
    // Claimed again after its lease expired on the last attempt: the worker died every time.
    error = "the worker running this job stopped before finishing it (lease expired)";
  } else if (const JobHandler* handler = registry_.Find(job->kind); handler == nullptr) {
    error = "no handler is registered for job kind \"" + job->kind + "\"";
    job->attempts = job->max_attempts;  // permanent: retrying cannot help
  } else {
    JobContext context{*job, database_, [this] { return stop_flag_.load(); }};
    try {
      auto result = (*handler)(context);
      if (!result) error = result.error().message;
    } catch (const std::exception& e) {
      error = std::string("exception: ") + e.what();
    } catch (...) {
      error = "unknown exception";
    }
  }
  Finish(*job, lease_token, error);
  return true;
}

void JobQueue::RefreshDepths() {
  auto rows = database_.Run(db::TxOptions::ReadOnly(), [](pqxx::work& tx) {
    return tx.exec("SELECT kind, status, count(*) FROM jobs WHERE status IN ('queued', 'running', 'failed') "
                   "GROUP BY kind, status");
  });
  std::map<std::pair<std::string, std::string>, long long> depths;
  for (const auto& row : rows) depths[{row[0].as<std::string>(), row[1].as<std::string>()}] = row[2].as<long long>();
  std::lock_guard lock(metrics_mutex_);
  // Series seen before stay at 0 rather than vanishing, so a drained queue reads as 0 and not as "no data".
  for (auto& [key, value] : depths_) value = 0;
  for (auto& [key, value] : depths) depths_[key] = value;
}

void JobQueue::AppendMetrics(std::string& out) const {
  std::lock_guard lock(metrics_mutex_);
  out += "# HELP pagelift_jobs Jobs in the queue by kind and status (queued, running, failed).\n";
  out += "# TYPE pagelift_jobs gauge\n";
  for (const auto& [key, value] : depths_) {
    out += fmt::format("pagelift_jobs{{kind=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, value);
  }
  out += "# HELP pagelift_job_runs_total Job runs by this process, by kind and outcome (done, retry, failed).\n";
  out += "# TYPE pagelift_job_runs_total counter\n";
  for (const auto& [key, value] : outcomes_) {
    out += fmt::format("pagelift_job_runs_total{{kind=\"{}\",outcome=\"{}\"}} {}\n", key.first, key.second, value);
  }
}

void JobQueue::Loop() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    bool ran = false;
    try {
      const auto now = std::chrono::steady_clock::now();
      bool refresh = false;
      {
        std::lock_guard lock(mutex_);
        if (now >= next_refresh_) {
          next_refresh_ = now + options_.metrics_refresh;
          refresh = true;
        }
      }
      if (refresh) RefreshDepths();
      ran = RunOnce();
    } catch (const std::exception& e) {
      // The database is down or the row could not be updated: wait a poll interval and try again.
      log::Warn("job queue: claim or finish failed", {{"error", e.what()}});
    }
    if (ran) continue;  // more work may be due right away
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || notified_; });
    notified_ = false;
  }
}

}  // namespace pagelift::jobs
