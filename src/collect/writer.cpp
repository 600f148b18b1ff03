#include "collect/writer.h"

#include <fmt/format.h>

#include "core/log.h"

namespace pagelift::collect {

Writer::Writer(db::Database& database, const EventStore& store, CollectMetrics& metrics, WriterOptions options)
    : database_(database), store_(store), metrics_(metrics), options_(options) {
  for (int i = 0; i < std::max(1, options_.flushers); ++i) flushers_.emplace_back([this] { Flush(); });
}

Writer::~Writer() { Stop(); }

void Writer::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& thread : flushers_) {
    if (thread.joinable()) thread.join();
  }
}

size_t Writer::queued_events() const {
  std::lock_guard lock(mutex_);
  return reserved_events_;
}

size_t Writer::queued_requests() const {
  std::lock_guard lock(mutex_);
  return reserved_requests_;
}

void Writer::Reserve(size_t events) {
  std::lock_guard lock(mutex_);
  if (stopping_) throw db::Unavailable("the event writer is shutting down", options_.retry_after_seconds);
  // An empty queue always takes one request, however large, so that max_queued_events below a batch cannot wedge it.
  if (reserved_events_ > 0 && reserved_events_ + events > options_.max_queued_events) {
    metrics_.AddOverloaded();
    throw db::Unavailable(fmt::format("the event queue is full ({} events waiting for PostgreSQL)", reserved_events_),
                          options_.retry_after_seconds);
  }
  reserved_events_ += events;
  ++reserved_requests_;
}

void Writer::Enqueue(std::unique_ptr<Pending> pending) {
  {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      // Stop() began between Reserve() and here; the flushers may already have exited, so nobody would take it.
      reserved_events_ -= pending->batch.events.size();
      --reserved_requests_;
      lock.unlock();
      pending->complete(std::make_exception_ptr(db::Unavailable("the event writer is shutting down",
                                                                options_.retry_after_seconds)),
                        0);
      return;
    }
    waiting_events_ += pending->batch.events.size();
    queue_.push_back(std::move(pending));
  }
  changed_.notify_one();
}

void Writer::Release(size_t requests, size_t events) {
  std::lock_guard lock(mutex_);
  reserved_events_ -= events;
  reserved_requests_ -= requests;
}

std::vector<std::unique_ptr<Writer::Pending>> Writer::TakeGroup(std::unique_lock<std::mutex>& lock) {
  // Another commit in flight means PostgreSQL is busy anyway: gathering company costs nothing and saves a commit.
  if (in_flight_ > 0 && !stopping_) {
    const auto deadline = std::chrono::steady_clock::now() + options_.max_delay;
    changed_.wait_until(lock, deadline,
                        [this] { return stopping_ || waiting_events_ >= options_.max_group_events || queue_.empty(); });
  }
  std::vector<std::unique_ptr<Pending>> group;
  size_t events = 0;
  while (!queue_.empty()) {
    const size_t next = queue_.front()->batch.events.size();
    if (!group.empty() && events + next > options_.max_group_events) break;
    events += next;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  waiting_events_ -= events;
  return group;
}

void Writer::Flush() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued has been taken
    auto group = TakeGroup(lock);
    if (group.empty()) continue;  // another flusher took the queue while this one waited for company
    ++in_flight_;
    lock.unlock();
    Commit(group);
    lock.lock();
    --in_flight_;
    // Work that queued while this commit ran may be waiting for a flusher that is now free.
    if (!queue_.empty()) changed_.notify_one();
  }
}

void Writer::Commit(std::vector<std::unique_ptr<Pending>>& group) {
  std::vector<ShopBatch> batches;
  batches.reserve(group.size());
  size_t events = 0;
  for (const auto& pending : group) {
    batches.push_back(pending->batch);
    events += pending->batch.events.size();
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<size_t> inserted;
  std::exception_ptr failure;
  try {
    inserted = database_.Run([&](pqxx::work& tx) { return store_.Insert(tx, batches); });
  } catch (...) {
    failure = std::current_exception();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!failure) {
    metrics_.ObserveCommit(group.size(), events, seconds);
    for (size_t i = 0; i < group.size(); ++i) {
      if (inserted[i] != kShopNotInstalled) metrics_.AddStored(inserted[i], batches[i].events.size() - inserted[i]);
      Release(1, batches[i].events.size());
      group[i]->complete(nullptr, inserted[i]);
    }
    return;
  }
  metrics_.AddCommitFailure();
  bool unavailable = false;
  try {
    std::rethrow_exception(failure);
  } catch (const db::Unavailable& e) {
    unavailable = true;
    log::Warn("event group commit failed: PostgreSQL unavailable",
              {{"requests", group.size()}, {"events", events}, {"error", e.what()}});
  } catch (const std::exception& e) {
    log::Error("event group commit failed", {{"requests", group.size()}, {"events", events}, {"error", e.what()}});
  }
  if (unavailable || group.size() == 1) {
    for (size_t i = 0; i < group.size(); ++i) {
      Release(1, batches[i].events.size());
      group[i]->complete(failure, 0);
    }
    return;
  }
  // Not an outage but a statement error: validation should make this impossible, but if one request's data still
  // trips PostgreSQL, commit every request on its own so that only that request fails.
  for (auto& pending : group) {
    std::vector<std::unique_ptr<Pending>> alone;
    alone.push_back(std::move(pending));
    Commit(alone);
  }
}

}  // namespace pagelift::collect
