#include "jobs/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace pagelift::jobs {
namespace {

using namespace std::chrono_literals;

TEST(Scheduler, RunsAtStartThenEveryPeriod) {
  std::atomic<int> runs{0};
  Scheduler scheduler;
  scheduler.Every("count", 50ms, [&] { ++runs; });
  scheduler.Start();
  for (int i = 0; i < 200 && runs < 3; ++i) std::this_thread::sleep_for(10ms);
  scheduler.Stop();
  EXPECT_GE(runs.load(), 3);
}

TEST(Scheduler, AFailingTaskRunsAgainAndDoesNotStopOthers) {
  std::atomic<int> failures{0};
  std::atomic<int> others{0};
  Scheduler scheduler;
  scheduler.Every("fails", 20ms, [&] {
    ++failures;
    throw std::runtime_error("database unavailable");
  });
  scheduler.Every("works", 20ms, [&] { ++others; });
  scheduler.Start();
  for (int i = 0; i < 200 && (failures < 2 || others < 2); ++i) std::this_thread::sleep_for(10ms);
  scheduler.Stop();
  EXPECT_GE(failures.load(), 2);
  EXPECT_GE(others.load(), 2);
}

TEST(Scheduler, StopIsPromptWithLongPeriods) {
  std::atomic<int> runs{0};
  Scheduler scheduler;
  scheduler.Every("hourly", std::chrono::hours(1), [&] { ++runs; });
  scheduler.Start();
  for (int i = 0; i < 100 && runs == 0; ++i) std::this_thread::sleep_for(10ms);
  const auto start = std::chrono::steady_clock::now();
  scheduler.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace pagelift::jobs
