#include "jobs/scheduler.h"

#include <algorithm>
#include <exception>

#include "core/log.h"

namespace pagelift::jobs {

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Every(std::string name, std::chrono::milliseconds period, std::function<void()> task) {
  tasks_.push_back({std::move(name), period, std::move(task), std::chrono::steady_clock::now()});
}

void Scheduler::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = std::min_element(tasks_.begin(), tasks_.end(),
                                 [](const Task& a, const Task& b) { return a.due < b.due; });
    if (next == tasks_.end()) {
      wake_.wait(lock, [this] { return stopping_; });
      break;
    }
    if (wake_.wait_until(lock, next->due, [this] { return stopping_; })) break;
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    try {
      next->run();
    } catch (const std::exception& e) {
      log::Warn("background task failed; it runs again at its next turn", {{"task", next->name}, {"error", e.what()}});
    } catch (...) {
      log::Warn("background task failed; it runs again at its next turn", {{"task", next->name}});
    }
    lock.lock();
    next->due = started + next->period;
  }
}

}  // namespace pagelift::jobs
