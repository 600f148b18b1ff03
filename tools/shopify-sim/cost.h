// Shopify's Admin GraphQL rate limiting, as published: each request has a calculated query cost, and each app has a
// leaky bucket of cost points per shop (maximumAvailable, restoreRate per second). A request is refused (THROTTLED)
// when the bucket holds less than its requested cost; one query may cost at most kMaxSingleQueryCost.
//
// The cost calculation follows Shopify's documented rules without a full GraphQL engine: a scalar costs 0, an object
// field 1, a connection 2 + first × (cost of one node), a mutation's root field 10. A small tokenizer reads the
// document's selection sets and the `first`/`last` arguments (literal or from the variables).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pagelift::shopify_sim {

inline constexpr int kMaxSingleQueryCost = 1000;
inline constexpr int kMutationCost = 10;

// The requested cost of a document's operation. kBadRequest when the document cannot be read (unbalanced braces,
// a `first` variable that is missing or not an integer).
Result<int> RequestedQueryCost(std::string_view document, const boost::json::object& variables);

// The response paths a document selects that `data` lacks (e.g. "shop.plan.shopifyPlus"), following aliases, lists
// and inline fragments; a null value ends its branch. Lets tests prove the simulator answers every field pagelift's
// documents ask for. kBadRequest when the document cannot be read.
Result<std::vector<std::string>> MissingFields(std::string_view document, const boost::json::value& data);

// A leaky bucket refilled continuously at restore_rate points per second up to maximum.
class CostBucket {
 public:
  using Clock = std::chrono::steady_clock;

  CostBucket(double maximum, double restore_rate, Clock::time_point now)
      : maximum_(maximum), restore_rate_(restore_rate), available_(maximum), updated_(now) {}

  // Takes `cost` points if the bucket holds that many (after restoring up to `now`); false (nothing taken) otherwise.
  bool TryTake(double cost, Clock::time_point now);
  // Returns points (actual cost below the requested cost).
  void Refund(double points, Clock::time_point now);
  double Available(Clock::time_point now);
  // Fault injection: empty the bucket, or change its rates.
  void Set(double available, double restore_rate, Clock::time_point now);
  double maximum() const { return maximum_; }
  double restore_rate() const { return restore_rate_; }

  // {maximumAvailable, currentlyAvailable, restoreRate} as Shopify reports it.
  boost::json::object ThrottleStatus(Clock::time_point now);

 private:
  void Restore(Clock::time_point now);

  double maximum_;
  double restore_rate_;
  double available_;
  Clock::time_point updated_;
};

}  // namespace pagelift::shopify_sim
