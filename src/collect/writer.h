// Group commit of collected events (issue #4, "Durability"): requests hand their validated events to the Writer and
// wait; flusher threads take whatever has queued, write it with one COPY and one transaction, and only after COMMIT
// resume every request of the group on its own executor. A 2xx therefore always means "durable", while PostgreSQL sees
// a few large transactions instead of one small one per beacon.
//
// Back-pressure: the events waiting or being committed are bounded (max_queued_events). When PostgreSQL is slow or
// down the queue fills and Write() refuses at once with db::Unavailable (503 + Retry-After) instead of piling up
// memory or acknowledging events it has not stored; once PostgreSQL answers again the queue drains by itself.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "collect/event_store.h"
#include "collect/metrics.h"
#include "db/database.h"

namespace pagelift::collect {

struct WriterOptions {
  // While another group commit is in flight, a flusher waits up to this long for more requests to join its group
  // (it starts at once when PostgreSQL is idle, so a lone request pays no delay).
  std::chrono::microseconds max_delay{2000};
  size_t max_group_events = 5000;     // a group stops growing here (a single larger request still goes alone)
  size_t max_queued_events = 50000;   // waiting + in flight; beyond it Write() throws db::Unavailable at once
  // Group commits in flight at once, each on its own pooled connection. Two keep PostgreSQL busy while a group's
  // requests are answered and the next one gathers: on 2 cores, bench/collect measured 74-85k events/s against
  // 64-72k with one (session 5; in session 3, when pagelift spent twice the CPU per event, one was better).
  int flushers = 2;
  int retry_after_seconds = 1;        // Retry-After when the queue is full
};

class Writer {
 public:
  Writer(db::Database& database, const EventStore& store, CollectMetrics& metrics, WriterOptions options = {});
  ~Writer();  // Stop()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Stores `events` for `shop` with the next group commit and returns how many were new (the rest were duplicates),
  // or kShopNotInstalled when the shop was uninstalled (nothing stored).
  // The Writer owns the events until they are committed. Events are views (collect::Event): the text they view lives
  // in the calling coroutine's frame (its collect::Batch), and that frame cannot go away while the Writer holds the
  // coroutine's completion handler (an asio awaitable's frames belong to the handler that resumes it; destroying one
  // destroys them), which it does until the events are committed or refused.
  // Throws db::Unavailable when the queue is full or the Writer stopped (nothing stored) and when the commit failed
  // because PostgreSQL is unreachable (nothing stored, or — if the connection broke during COMMIT — possibly stored:
  // the client's retry is then counted as duplicates). Other commit failures propagate as they are (500).
  boost::asio::awaitable<size_t> Write(ShopId shop, std::vector<Event> events);

  // Commits what is queued, then stops the flushers; later Write() calls throw db::Unavailable. Idempotent.
  void Stop();

  size_t queued_events() const;
  size_t queued_requests() const;

 private:
  struct Pending {
    ShopId shop;
    std::vector<Event> events;
    ShopBatch batch;  // views shop and events
    std::function<void(std::exception_ptr, size_t)> complete;  // resumes the request on its own executor
  };

  void Reserve(size_t events);                                     // throws db::Unavailable when full or stopped
  void Enqueue(std::unique_ptr<Pending> pending);
  void Flush();                                                    // one flusher thread
  std::vector<std::unique_ptr<Pending>> TakeGroup(std::unique_lock<std::mutex>& lock);
  void Commit(std::vector<std::unique_ptr<Pending>>& group);
  void Release(size_t requests, size_t events);

  db::Database& database_;
  const EventStore& store_;
  CollectMetrics& metrics_;
  WriterOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Pending>> queue_;
  size_t waiting_events_ = 0;   // in queue_
  size_t reserved_events_ = 0;  // queued + in flight (the bounded quantity)
  size_t reserved_requests_ = 0;
  int in_flight_ = 0;           // group commits running
  bool stopping_ = false;
  std::vector<std::thread> flushers_;
};

inline boost::asio::awaitable<size_t> Writer::Write(ShopId shop, std::vector<Event> events) {
  if (events.empty()) co_return 0;
  Reserve(events.size());
  auto initiate = [this, &shop, &events](auto handler) {
    auto resume_on = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                         boost::asio::execution::outstanding_work.tracked);
    // std::function needs a copyable target; the coroutine's handler is move-only, so it is shared.
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    auto pending = std::make_unique<Pending>();
    pending->shop = std::move(shop);
    pending->events = std::move(events);
    pending->batch = ShopBatch{pending->shop, pending->events};
    pending->complete = [shared, resume_on](std::exception_ptr error, size_t inserted) {
      boost::asio::dispatch(resume_on, [shared, error, inserted] { std::move (*shared)(error, inserted); });
    };
    Enqueue(std::move(pending));
  };
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(std::exception_ptr, size_t)>(std::move(initiate),
                                                                                   boost::asio::use_awaitable);
}

}  // namespace pagelift::collect
