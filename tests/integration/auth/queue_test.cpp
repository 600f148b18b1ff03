// The job queue against PostgreSQL: claims, retries with backoff, expired leases, and two "processes" (two
// Database pools, several threads each) never running one job twice.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "jobs/queue.h"
#include "support/test_database.h"

namespace pagelift::jobs {
namespace {

using testing::TestDatabase;

class QueueTest : public ::testing::Test {
 protected:
  QueueTest() : database_(db_.conninfo(), 4) {}

  std::int64_t Add(const std::string& kind, EnqueueOptions options = {}) {
    return database_.Run([&](pqxx::work& tx) { return *Enqueue(tx, kind, {{"n", 1}}, options); });
  }
  std::string Status(std::int64_t id) {
    return database_.Run([&](pqxx::work& tx) {
      return tx.exec_params("SELECT status FROM jobs WHERE id = $1", id)[0][0].as<std::string>();
    });
  }
  long long Scalar(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<long long>(); });
  }

  TestDatabase db_;
  db::Database database_;
  JobRegistry registry_;
};

TEST_F(QueueTest, RunsADueJobAndMarksItDone) {
  int runs = 0;
  std::string seen_kind;
  registry_.Register("greet", [&](JobContext& context) -> Result<void> {
    ++runs;
    seen_kind = context.job.kind;
    EXPECT_EQ(context.job.payload.at("n"), 1);
    EXPECT_EQ(context.job.attempts, 1);
    return {};
  });
  JobQueue queue(database_, registry_);
  const auto id = Add("greet");
  EXPECT_TRUE(queue.RunOnce());
  EXPECT_FALSE(queue.RunOnce());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen_kind, "greet");
  EXPECT_EQ(Status(id), "done");
}

TEST_F(QueueTest, FutureJobsWait) {
  registry_.Register("later", [](JobContext&) -> Result<void> { return {}; });
  JobQueue queue(database_, registry_);
  EnqueueOptions options;
  options.run_at = std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now() + std::chrono::hours(1));
  const auto id = Add("later", options);
  EXPECT_FALSE(queue.RunOnce());
  EXPECT_EQ(Status(id), "queued");
}

TEST_F(QueueTest, DedupeKeyAllowsOneQueuedJob) {
  EnqueueOptions options;
  options.dedupe_key = "shop-1";
  database_.Run([&](pqxx::work& tx) {
    EXPECT_TRUE(Enqueue(tx, "sync", {}, options).has_value());
    EXPECT_FALSE(Enqueue(tx, "sync", {}, options).has_value());  // the transaction stays usable
    EXPECT_TRUE(Enqueue(tx, "other", {}, options).has_value());
  });
  EXPECT_EQ(Scalar("SELECT count(*) FROM jobs"), 2);
}

TEST_F(QueueTest, FailuresRetryWithBackoffThenFail) {
  registry_.Register("flaky", [](JobContext&) -> Result<void> {
    return MakeError(ErrorCode::kUnavailable, "upstream down");
  });
  QueueOptions options;
  options.backoff_base = std::chrono::milliseconds(60000);
  JobQueue queue(database_, registry_, options);
  EnqueueOptions enqueue;
  enqueue.max_attempts = 2;
  const auto id = Add("flaky", enqueue);
  EXPECT_TRUE(queue.RunOnce());
  EXPECT_EQ(Status(id), "queued");
  EXPECT_EQ(Scalar("SELECT attempts FROM jobs"), 1);
  // The retry waits about backoff_base.
  EXPECT_GE(Scalar("SELECT extract(epoch FROM run_at - now())::bigint FROM jobs"), 50);
  EXPECT_EQ(Scalar("SELECT count(*) FROM jobs WHERE last_error = 'upstream down'"), 1);
  EXPECT_FALSE(queue.RunOnce());  // not due yet
  database_.Run([](pqxx::work& tx) { tx.exec("UPDATE jobs SET run_at = now()"); });
  EXPECT_TRUE(queue.RunOnce());
  EXPECT_EQ(Status(id), "failed");
  EXPECT_EQ(Scalar("SELECT attempts FROM jobs"), 2);
}

TEST_F(QueueTest, ExceptionsAreFailuresToo) {
  registry_.Register("throws", [](JobContext&) -> Result<void> { throw std::runtime_error("boom"); });
  JobQueue queue(database_, registry_);
  Add("throws");
  EXPECT_TRUE(queue.RunOnce());
  EXPECT_EQ(Scalar("SELECT count(*) FROM jobs WHERE status = 'queued' AND last_error LIKE '%boom%'"), 1);
}

TEST_F(QueueTest, UnknownKindFailsAtOnce) {
  JobQueue queue(database_, registry_);
  const auto id = Add("nobody");
  EXPECT_TRUE(queue.RunOnce());
  EXPECT_EQ(Status(id), "failed");
}

TEST_F(QueueTest, ExpiredLeaseOfACrashedWorkerIsClaimedAgain) {
  int runs = 0;
  registry_.Register("work", [&](JobContext& context) -> Result<void> {
    ++runs;
    EXPECT_EQ(context.job.attempts, 2);
    return {};
  });
  const auto id = Add("work");
  // What a worker that died mid-job leaves behind: running, attempts counted, lease held by it.
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params("UPDATE jobs SET status = 'running', attempts = 1, locked_by = 'dead/1', "
                   "locked_until = now() + interval '1 hour' WHERE id = $1",
                   id);
  });
  JobQueue queue(database_, registry_);
  EXPECT_FALSE(queue.RunOnce());  // the lease is still valid
  database_.Run([&](pqxx::work& tx) {
    tx.exec_params("UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1", id);
  });
  EXPECT_TRUE(queue.RunOnce());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Status(id), "done");
}

TEST_F(QueueTest, ALateFinishOfALostLeaseDoesNotOverwriteTheNewClaim) {
  // Worker A's lease expires while it runs; worker B claims and completes the job; A's late "failed" must not land.
  std::atomic<int> calls{0};
  registry_.Register("slow", [&](JobContext& context) -> Result<void> {
    if (calls.fetch_add(1) == 0) {
      // While A runs: expire its lease and let B run the job to completion.
      context.database.Run([](pqxx::work& tx) { tx.exec("UPDATE jobs SET locked_until = now() - interval '1s'"); });
      JobQueue other(context.database, registry_);
      EXPECT_TRUE(other.RunOnce());
      return MakeError(ErrorCode::kInternal, "A gave up");
    }
    return {};
  });
  JobQueue queue(database_, registry_);
  const auto id = Add("slow");
  EXPECT_TRUE(queue.RunOnce());
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(Status(id), "done");
  std::string out;
  queue.AppendMetrics(out);
  EXPECT_NE(out.find("pagelift_job_runs_total{kind=\"slow\",outcome=\"lease_lost\"} 1"), std::string::npos) << out;
}

TEST_F(QueueTest, TwoProcessesWithSeveralThreadsRunEveryJobExactlyOnce) {
  constexpr int kJobs = 300;
  std::mutex mutex;
  std::map<long long, int> runs;
  registry_.Register("count", [&](JobContext& context) -> Result<void> {
    std::lock_guard lock(mutex);
    ++runs[context.job.id];
    return {};
  });
  database_.Run([&](pqxx::work& tx) {
    for (int i = 0; i < kJobs; ++i) Enqueue(tx, "count", {{"i", i}});
  });
  db::Database second(db_.conninfo(), 4);  // another process's pool
  QueueOptions options;
  options.threads = 3;
  options.poll_interval = std::chrono::milliseconds(20);
  JobQueue a(database_, registry_, options);
  JobQueue b(second, registry_, options);
  a.Start();
  b.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (Scalar("SELECT count(*) FROM jobs WHERE status = 'done'") < kJobs &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  a.Stop();
  b.Stop();
  EXPECT_EQ(Scalar("SELECT count(*) FROM jobs WHERE status = 'done'"), kJobs);
  std::lock_guard lock(mutex);
  EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, count] : runs) EXPECT_EQ(count, 1) << "job " << id;
}

TEST_F(QueueTest, MetricsReportDepthsByKindAndStatus) {
  registry_.Register("m", [](JobContext&) -> Result<void> { return {}; });
  JobQueue queue(database_, registry_);
  Add("m");
  Add("m");
  queue.RefreshDepths();
  std::string out;
  queue.AppendMetrics(out);
  EXPECT_NE(out.find("pagelift_jobs{kind=\"m\",status=\"queued\"} 2"), std::string::npos) << out;
  EXPECT_TRUE(queue.RunOnce());
  queue.RefreshDepths();
  out.clear();
  queue.AppendMetrics(out);
  EXPECT_NE(out.find("pagelift_jobs{kind=\"m\",status=\"queued\"} 1"), std::string::npos) << out;
  EXPECT_NE(out.find("pagelift_job_runs_total{kind=\"m\",outcome=\"done\"} 1"), std::string::npos) << out;
}

TEST_F(QueueTest, CancelQueuedJobsOfShop) {
  const std::string shop = database_.Run([](pqxx::work& tx) {
    return tx.exec("INSERT INTO shops (domain, access_token_enc) VALUES ('q.myshopify.com', '\\x00') RETURNING id")[0][0]
        .as<std::string>();
  });
  EnqueueOptions options;
  options.shop_id = shop;
  Add("a", options);
  Add("b", options);
  Add("c");
  EXPECT_EQ(database_.Run([&](pqxx::work& tx) { return CancelQueuedJobsOfShop(tx, shop); }), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM jobs WHERE status = 'cancelled'"), 2);
}

}  // namespace
}  // namespace pagelift::jobs
