#include "collect/metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace pagelift::collect {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}

void Histogram::Observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  std::lock_guard lock(mutex_);
  if (static_cast<size_t>(bucket) < counts_.size()) ++counts_[bucket];
  ++count_;
  sum_ += value;
}

void Histogram::Append(std::string& out, std::string_view name, std::string_view help) const {
  std::lock_guard lock(mutex_);
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  unsigned long long cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cumulative);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, count_, name, sum_, name, count_);
}

CollectMetrics::CollectMetrics()
    : commit_events_({1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000}),
      commit_requests_({1, 2, 5, 10, 20, 50, 100, 200}),
      commit_seconds_({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {}

void CollectMetrics::AddStored(size_t inserted, size_t duplicates) {
  inserted_.fetch_add(inserted);
  duplicates_.fetch_add(duplicates);
}

void CollectMetrics::ObserveCommit(size_t requests, size_t events, double seconds) {
  commit_requests_.Observe(static_cast<double>(requests));
  commit_events_.Observe(static_cast<double>(events));
  commit_seconds_.Observe(seconds);
}

void CollectMetrics::Append(std::string& out, size_t queued_events, size_t queued_requests) const {
  out += "# HELP pagelift_collect_events_total Collected events by outcome: stored (new), duplicate (already stored).\n"
         "# TYPE pagelift_collect_events_total counter\n";
  out += fmt::format("pagelift_collect_events_total{{outcome=\"stored\"}} {}\n", inserted_.load());
  out += fmt::format("pagelift_collect_events_total{{outcome=\"duplicate\"}} {}\n", duplicates_.load());
  out += "# HELP pagelift_collect_events_rejected_total Events refused by validation, by reason.\n"
         "# TYPE pagelift_collect_events_rejected_total counter\n";
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    out += fmt::format("pagelift_collect_events_rejected_total{{reason=\"{}\"}} {}\n",
                       ReasonCode(static_cast<RejectReason>(i)), rejected_[i].load());
  }
  out += "# HELP pagelift_collect_requests_refused_total Collector requests answered without storing, by cause.\n"
         "# TYPE pagelift_collect_requests_refused_total counter\n";
  out += fmt::format("pagelift_collect_requests_refused_total{{cause=\"bot\"}} {}\n", bot_requests_.load());
  out += fmt::format("pagelift_collect_requests_refused_total{{cause=\"unknown_shop\"}} {}\n",
                     unknown_shop_requests_.load());
  out += fmt::format("pagelift_collect_requests_refused_total{{cause=\"queue_full\"}} {}\n", overloaded_.load());
  out += fmt::format("pagelift_collect_requests_refused_total{{cause=\"rate_limited\"}} {}\n", rate_limited_.load());
  out += "# HELP pagelift_collect_commit_failures_total Group commits that failed (their requests got 503 or 500).\n"
         "# TYPE pagelift_collect_commit_failures_total counter\n";
  out += fmt::format("pagelift_collect_commit_failures_total {}\n", commit_failures_.load());
  commit_events_.Append(out, "pagelift_collect_commit_events", "Events per group commit.");
  commit_requests_.Append(out, "pagelift_collect_commit_requests", "Requests per group commit.");
  commit_seconds_.Append(out, "pagelift_collect_commit_seconds", "Duration of a group commit (COPY, insert, commit).");
  out += "# HELP pagelift_collect_queue_events Events waiting for a group commit or being committed.\n"
         "# TYPE pagelift_collect_queue_events gauge\n";
  out += fmt::format("pagelift_collect_queue_events {}\n", queued_events);
  out += "# HELP pagelift_collect_queue_requests Requests waiting for a group commit or being committed.\n"
         "# TYPE pagelift_collect_queue_requests gauge\n";
  out += fmt::format("pagelift_collect_queue_requests {}\n", queued_requests);
}

}  // namespace pagelift::collect
