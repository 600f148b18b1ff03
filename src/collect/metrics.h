// The collector's own figures for GET /metrics, in the Prometheus text format: events stored, duplicates, rejections
// by reason, group-commit sizes and latency, queue depth. Thread-safe; a scrape reads a consistent-enough snapshot
// (each counter atomically, not all of them at one instant).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "collect/event.h"

namespace pagelift::collect {

// A cumulative histogram with fixed upper bounds (the Prometheus `le` buckets).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // # HELP, # TYPE and the _bucket/_sum/_count samples.
  void Append(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<unsigned long long> counts_;  // per bound, not cumulative; cumulated when written
  unsigned long long count_ = 0;
  double sum_ = 0;
};

class CollectMetrics {
 public:
  CollectMetrics();

  void AddStored(size_t inserted, size_t duplicates);
  void AddRejected(RejectReason reason) { rejected_[static_cast<size_t>(reason)].fetch_add(1); }
  void AddBotRequest() { bot_requests_.fetch_add(1); }
  void AddUnknownShopRequest() { unknown_shop_requests_.fetch_add(1); }
  void AddOverloaded() { overloaded_.fetch_add(1); }
  void AddRateLimited() { rate_limited_.fetch_add(1); }
  void ObserveCommit(size_t requests, size_t events, double seconds);
  void AddCommitFailure() { commit_failures_.fetch_add(1); }

  // Appends every collector metric; `queued_events` / `queued_requests` are the writer's queue at scrape time.
  void Append(std::string& out, size_t queued_events, size_t queued_requests) const;

 private:
  std::atomic<unsigned long long> inserted_{0};
  std::atomic<unsigned long long> duplicates_{0};
  std::array<std::atomic<unsigned long long>, kRejectReasonCount> rejected_{};
  std::atomic<unsigned long long> bot_requests_{0};
  std::atomic<unsigned long long> unknown_shop_requests_{0};
  std::atomic<unsigned long long> overloaded_{0};
  std::atomic<unsigned long long> rate_limited_{0};
  std::atomic<unsigned long long> commit_failures_{0};
  Histogram commit_events_;
  Histogram commit_requests_;
  Histogram commit_seconds_;
};

}  // namespace pagelift::collect
