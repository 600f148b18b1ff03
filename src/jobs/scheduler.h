// Periodic background tasks of one process (partition maintenance, reconciles): each task runs at start and then
// every `period` on the scheduler's own thread, never on an I/O thread. A task that throws is logged and tried again
// at its next turn; tasks that must run once across copies take an advisory lock themselves.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pagelift::jobs {

class Scheduler {
 public:
  Scheduler() = default;
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Registers a task; call before Start().
  void Every(std::string name, std::chrono::milliseconds period, std::function<void()> task);
  void Start();
  // Lets a running task finish, then stops. Idempotent.
  void Stop();

 private:
  struct Task {
    std::string name;
    std::chrono::milliseconds period;
    std::function<void()> run;
    std::chrono::steady_clock::time_point due;
  };
  void Loop();

  std::vector<Task> tasks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pagelift::jobs
