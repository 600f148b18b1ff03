// What an experiment is (issue #5): its definition (target, variants, weights, coverage, metrics, guardrails,
// seed, hash and bucket versions), the validation of a definition sent by a merchant, and the lifecycle's allowed
// transitions. Pure: no I/O, so every rule is unit-tested (tests/unit/experiments_lifecycle); the repository stores
// what these types describe and the API translates JSON into them.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "experiments/hashing.h"

namespace pagelift::experiments {

// The metrics the aggregation worker computes per visitor (src/experiments/aggregation.h).
enum class Metric {
  kViewRate,           // any product_view after exposure (0/1)
  kAddToCartRate,      // any add_to_cart (0/1)
  kCheckoutRate,       // any begin_checkout (0/1)
  kPurchaseRate,       // any purchase / checkout_completed event or attributed order (0/1)
  kRevenuePerVisitor,  // order totals, capped at guardrails.revenue_cap (mean)
  kAverageOrderValue,  // revenue / orders (ratio)
};
inline constexpr int kMetricCount = 6;
inline constexpr Metric kAllMetrics[kMetricCount] = {Metric::kViewRate,          Metric::kAddToCartRate,
                                                     Metric::kCheckoutRate,      Metric::kPurchaseRate,
                                                     Metric::kRevenuePerVisitor, Metric::kAverageOrderValue};

std::string_view MetricName(Metric metric);  // "view_rate", ...
std::optional<Metric> ParseMetric(std::string_view name);

enum class Status { kDraft, kRunning, kPaused, kStopped, kCompleted, kArchived };
std::string_view StatusName(Status status);
std::optional<Status> ParseStatus(std::string_view name);

// The lifecycle: draft → running → paused ⇄ running, running/paused → stopped → completed → archived; a draft may be
// archived (abandoned) and a running or paused experiment may be completed directly (a decision was carried out).
bool CanTransition(Status from, Status to);
// nullopt when allowed; otherwise a 409 naming both states.
std::optional<Error> CheckTransition(Status from, Status to);

struct Variant {
  std::string key;
  boost::json::object config;  // what the storefront applies (e.g. {"text": "Buy now"}); opaque to the server
  friend bool operator==(const Variant&, const Variant&) = default;
};

struct SegmentGuard {
  std::string segment;  // e.g. "device:mobile"
  Metric metric = Metric::kPurchaseRate;
  friend bool operator==(const SegmentGuard&, const SegmentGuard&) = default;
};

struct Guardrails {
  std::optional<std::int64_t> min_sample;         // visitors per arm before a decision
  std::optional<double> max_duration_days;        // then "inconclusive"
  std::vector<SegmentGuard> segment_guards;
  std::optional<std::int64_t> revenue_cap_cents;  // per-visitor revenue cap (winsorizing)
  friend bool operator==(const Guardrails&, const Guardrails&) = default;
};

// The fields a merchant sets; everything else (id, status, timestamps, bucket version) the system owns.
struct Definition {
  std::string name;
  std::string target;  // "product_page:cta", "block:trust", ...
  std::vector<Variant> variants;  // the first is the control
  std::vector<double> weights;    // one per variant, summing to 1
  double coverage = 1.0;          // (0, 1]
  Metric primary_metric = Metric::kPurchaseRate;
  std::vector<Metric> secondary_metrics;
  std::vector<Metric> guardrail_metrics;
  Guardrails guardrails;
  std::optional<std::string> seed;  // default: the experiment's id
  friend bool operator==(const Definition&, const Definition&) = default;
};

// The segments results are broken down by ('' is everyone): device:{mobile,desktop,tablet}, visitor:{new,returning},
// source:{direct,search,social,email,paid,referral}.
bool IsKnownSegment(std::string_view segment);

// A stored experiment.
struct Experiment {
  std::string id;       // UUID
  std::string shop_id;  // UUID
  Definition definition;
  Status status = Status::kDraft;
  int hash_version = kPageliftHashVersion;
  int bucket_version = 1;
  std::optional<std::string> started_at;  // RFC 3339
  std::optional<std::string> ended_at;
  std::string created_at;
  std::string updated_at;

  const std::string& Seed() const { return definition.seed ? *definition.seed : id; }
  int VariantIndex(std::string_view key) const;  // -1 when absent
};

// The assignment parameters of an experiment (hashing.h): seed, hash v2, weights, coverage.
AssignmentSpec ToAssignmentSpec(const Experiment& experiment);

// Parses and validates a definition from the API's JSON; the error is a 400 whose details name the field
// ({"field": "weights"}). Unknown fields are rejected so that a typo is not silently ignored.
Result<Definition> ParseDefinition(const boost::json::value& body);

// The checks ParseDefinition runs on the parsed fields (also used for definitions built in code).
std::optional<Error> ValidateDefinition(const Definition& definition);

// A partial update: only the fields present change. Rules for a running (or paused) experiment: variants (keys,
// count, configs) and the target are frozen (409), weights, coverage, name, metrics and guardrails may change;
// weights never move visitors already assigned (assignment is sticky), only new ones.
Result<Definition> ApplyUpdate(const Definition& current, Status status, const boost::json::value& patch);

// JSON forms used by the API and the repository.
boost::json::object DefinitionToJson(const Definition& definition);
boost::json::object ExperimentToJson(const Experiment& experiment);
boost::json::array VariantsToJson(const std::vector<Variant>& variants);
boost::json::object AllocationToJson(const std::vector<double>& weights, double coverage);
boost::json::object GuardrailsToJson(const Guardrails& guardrails);
boost::json::array MetricsToJson(const std::vector<Metric>& metrics);

}  // namespace pagelift::experiments
