// Experiment definitions, validation and lifecycle rules; see definition.h.
#include "experiments/definition.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <utility>

namespace pagelift::experiments {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, kMetricCount> kMetricNames = {
    "view_rate", "add_to_cart_rate", "checkout_rate", "purchase_rate", "revenue_per_visitor", "average_order_value"};

constexpr std::array<std::string_view, 6> kStatusNames = {"draft",   "running",   "paused",
                                                          "stopped", "completed", "archived"};

constexpr std::array<std::string_view, 11> kSegmentNames = {
    "device:mobile",  "device:desktop", "device:tablet", "visitor:new", "visitor:returning", "source:direct",
    "source:search",  "source:social",  "source:email",  "source:paid", "source:referral"};

constexpr std::size_t kMaxVariants = 10;
constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxKeyBytes = 64;
constexpr std::size_t kMaxTargetBytes = 128;
constexpr double kWeightTolerance = 1e-9;

Error FieldError(std::string field, std::string message) {
  return MakeError(ErrorCode::kBadRequest, fmt::format("{}: {}", field, message), {{"field", field}});
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool IsKey(std::string_view key) {
  return !key.empty() && key.size() <= kMaxKeyBytes && std::all_of(key.begin(), key.end(), IsKeyChar);
}

// "kind:name": a lower-case kind, then key characters and dots (e.g. product_page:cta, block:trust).
bool IsTarget(std::string_view target) {
  const auto colon = target.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size()) return false;
  if (target.size() > kMaxTargetBytes) return false;
  const std::string_view kind = target.substr(0, colon);
  const std::string_view name = target.substr(colon + 1);
  return std::all_of(kind.begin(), kind.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; }) &&
         std::all_of(name.begin(), name.end(), [](char c) { return IsKeyChar(c) || c == '.'; });
}

// Typed field readers over a JSON object; each error names the field.
class Reader {
 public:
  explicit Reader(const json::object& object) : object_(object) {}

  const json::value* Find(std::string_view key) const {
    const auto* value = object_.if_contains(key);
    return value == nullptr || value->is_null() ? nullptr : value;
  }

  Result<std::optional<std::string>> String(std::string_view key, const std::string& field) const {
    const json::value* value = Find(key);
    if (value == nullptr) return std::optional<std::string>();
    if (!value->is_string()) return FieldError(field, "must be a string");
    return std::optional<std::string>(std::string(value->as_string()));
  }

  Result<std::optional<double>> Number(std::string_view key, const std::string& field) const {
    const json::value* value = Find(key);
    if (value == nullptr) return std::optional<double>();
    if (!value->is_number()) return FieldError(field, "must be a number");
    const double number = value->to_number<double>();
    if (!std::isfinite(number)) return FieldError(field, "must be finite");
    return std::optional<double>(number);
  }

 private:
  const json::object& object_;
};

Result<Metric> ReadMetric(const json::value& value, const std::string& field) {
  if (!value.is_string()) return FieldError(field, "must be a metric name");
  const auto metric = ParseMetric(value.as_string());
  if (!metric) {
    return FieldError(field, fmt::format("unknown metric \"{}\" (one of view_rate, add_to_cart_rate, checkout_rate, "
                                         "purchase_rate, revenue_per_visitor, average_order_value)",
                                         std::string_view(value.as_string())));
  }
  return *metric;
}

Result<std::vector<Metric>> ReadMetrics(const Reader& reader, std::string_view key) {
  std::vector<Metric> metrics;
  const json::value* value = reader.Find(key);
  if (value == nullptr) return metrics;
  const std::string field(key);
  if (!value->is_array()) return FieldError(field, "must be an array of metric names");
  for (std::size_t i = 0; i < value->as_array().size(); ++i) {
    auto metric = ReadMetric(value->as_array()[i], fmt::format("{}[{}]", field, i));
    if (!metric) return metric.error();
    if (std::find(metrics.begin(), metrics.end(), *metric) != metrics.end()) {
      return FieldError(fmt::format("{}[{}]", field, i), "is listed twice");
    }
    metrics.push_back(*metric);
  }
  return metrics;
}

std::optional<Error> RejectUnknownFields(const json::object& object, std::initializer_list<std::string_view> known,
                                         std::string_view prefix) {
  for (const auto& entry : object) {
    if (std::find(known.begin(), known.end(), entry.key()) == known.end()) {
      return FieldError(fmt::format("{}{}", prefix, std::string_view(entry.key())), "is not a known field");
    }
  }
  return std::nullopt;
}

Result<std::vector<Variant>> ReadVariants(const Reader& reader) {
  const json::value* value = reader.Find("variants");
  if (value == nullptr) return FieldError("variants", "is required");
  if (!value->is_array()) return FieldError("variants", "must be an array of {key, config}");
  std::vector<Variant> variants;
  for (std::size_t i = 0; i < value->as_array().size(); ++i) {
    const std::string field = fmt::format("variants[{}]", i);
    const json::value& item = value->as_array()[i];
    if (!item.is_object()) return FieldError(field, "must be an object {key, config}");
    if (auto error = RejectUnknownFields(item.as_object(), {"key", "config"}, field + ".")) return *error;
    Variant variant;
    const Reader item_reader(item.as_object());
    auto key = item_reader.String("key", field + ".key");
    if (!key) return key.error();
    if (!*key) return FieldError(field + ".key", "is required");
    variant.key = **key;
    if (const json::value* config = item_reader.Find("config")) {
      if (!config->is_object()) return FieldError(field + ".config", "must be an object");
      variant.config = config->as_object();
    }
    variants.push_back(std::move(variant));
  }
  return variants;
}

Result<Guardrails> ReadGuardrails(const Reader& reader) {
  Guardrails guardrails;
  const json::value* value = reader.Find("guardrails");
  if (value == nullptr) return guardrails;
  if (!value->is_object()) return FieldError("guardrails", "must be an object");
  const json::object& object = value->as_object();
  if (auto error = RejectUnknownFields(object, {"min_sample", "max_duration_days", "segment_guards", "revenue_cap"},
                                       "guardrails.")) {
    return *error;
  }
  const Reader inner(object);
  auto min_sample = inner.Number("min_sample", "guardrails.min_sample");
  if (!min_sample) return min_sample.error();
  if (*min_sample) {
    if (**min_sample < 0 || std::floor(**min_sample) != **min_sample) {
      return FieldError("guardrails.min_sample", "must be a non-negative integer");
    }
    guardrails.min_sample = static_cast<std::int64_t>(**min_sample);
  }
  auto max_days = inner.Number("max_duration_days", "guardrails.max_duration_days");
  if (!max_days) return max_days.error();
  guardrails.max_duration_days = *max_days;
  auto cap = inner.Number("revenue_cap", "guardrails.revenue_cap");
  if (!cap) return cap.error();
  if (*cap) {
    if (**cap <= 0 || **cap > 1e12) return FieldError("guardrails.revenue_cap", "must be a positive amount");
    guardrails.revenue_cap_cents = std::llround(**cap * 100);
  }
  if (const json::value* guards = inner.Find("segment_guards")) {
    if (!guards->is_array()) return FieldError("guardrails.segment_guards", "must be an array of {segment, metric}");
    for (std::size_t i = 0; i < guards->as_array().size(); ++i) {
      const std::string field = fmt::format("guardrails.segment_guards[{}]", i);
      const json::value& item = guards->as_array()[i];
      if (!item.is_object()) return FieldError(field, "must be an object {segment, metric}");
      if (auto error = RejectUnknownFields(item.as_object(), {"segment", "metric"}, field + ".")) return *error;
      const Reader guard_reader(item.as_object());
      auto segment = guard_reader.String("segment", field + ".segment");
      if (!segment) return segment.error();
      if (!*segment) return FieldError(field + ".segment", "is required");
      const json::value* metric_value = guard_reader.Find("metric");
      if (metric_value == nullptr) return FieldError(field + ".metric", "is required");
      auto metric = ReadMetric(*metric_value, field + ".metric");
      if (!metric) return metric.error();
      guardrails.segment_guards.push_back({**segment, *metric});
    }
  }
  return guardrails;
}

}  // namespace

std::string_view MetricName(Metric metric) { return kMetricNames.at(static_cast<std::size_t>(metric)); }

std::optional<Metric> ParseMetric(std::string_view name) {
  for (std::size_t i = 0; i < kMetricNames.size(); ++i) {
    if (kMetricNames[i] == name) return static_cast<Metric>(i);
  }
  return std::nullopt;
}

std::string_view StatusName(Status status) { return kStatusNames.at(static_cast<std::size_t>(status)); }

std::optional<Status> ParseStatus(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<Status>(i);
  }
  return std::nullopt;
}

bool CanTransition(Status from, Status to) {
  switch (from) {
    case Status::kDraft:
      return to == Status::kRunning || to == Status::kArchived;
    case Status::kRunning:
      return to == Status::kPaused || to == Status::kStopped || to == Status::kCompleted;
    case Status::kPaused:
      return to == Status::kRunning || to == Status::kStopped || to == Status::kCompleted;
    case Status::kStopped:
      return to == Status::kCompleted || to == Status::kArchived;
    case Status::kCompleted:
      return to == Status::kArchived;
    case Status::kArchived:
      return false;
  }
  return false;
}

std::optional<Error> CheckTransition(Status from, Status to) {
  if (CanTransition(from, to)) return std::nullopt;
  return MakeError(ErrorCode::kConflict,
                   fmt::format("an experiment that is {} cannot become {}", StatusName(from), StatusName(to)),
                   {{"status", StatusName(from)}, {"requested", StatusName(to)}});
}

bool IsKnownSegment(std::string_view segment) {
  return segment.empty() || std::find(kSegmentNames.begin(), kSegmentNames.end(), segment) != kSegmentNames.end();
}

int Experiment::VariantIndex(std::string_view key) const {
  const auto& variants = definition.variants;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    if (variants[i].key == key) return static_cast<int>(i);
  }
  return -1;
}

AssignmentSpec ToAssignmentSpec(const Experiment& experiment) {
  AssignmentSpec spec;
  spec.key = experiment.id;
  spec.seed = experiment.Seed();
  spec.hash_version = experiment.hash_version;
  spec.num_variations = static_cast<int>(experiment.definition.variants.size());
  spec.weights = experiment.definition.weights;
  spec.coverage = experiment.definition.coverage;
  return spec;
}

std::optional<Error> ValidateDefinition(const Definition& d) {
  if (d.name.empty()) return FieldError("name", "is required");
  if (d.name.size() > kMaxNameBytes) return FieldError("name", fmt::format("is longer than {} bytes", kMaxNameBytes));
  if (!IsTarget(d.target)) {
    return FieldError("target", "must look like kind:name (e.g. product_page:cta, block:trust)");
  }
  if (d.variants.size() < 2) return FieldError("variants", "needs at least 2 variants (the first is the control)");
  if (d.variants.size() > kMaxVariants) return FieldError("variants", fmt::format("at most {}", kMaxVariants));
  std::set<std::string> keys;
  for (std::size_t i = 0; i < d.variants.size(); ++i) {
    if (!IsKey(d.variants[i].key)) {
      return FieldError(fmt::format("variants[{}].key", i), "must be 1-64 characters of A-Z a-z 0-9 _ -");
    }
    if (!keys.insert(d.variants[i].key).second) {
      return FieldError(fmt::format("variants[{}].key", i), "is not unique");
    }
  }
  if (d.weights.size() != d.variants.size()) {
    return FieldError("weights", fmt::format("needs one weight per variant ({})", d.variants.size()));
  }
  double total = 0;
  for (std::size_t i = 0; i < d.weights.size(); ++i) {
    const double w = d.weights[i];
    if (!std::isfinite(w) || w < 0 || w > 1) return FieldError(fmt::format("weights[{}]", i), "must be in [0, 1]");
    total += w;
  }
  if (std::abs(total - 1) > kWeightTolerance) {
    return FieldError("weights", fmt::format("must sum to 1 (they sum to {})", total));
  }
  if (!(d.coverage > 0 && d.coverage <= 1)) return FieldError("coverage", "must be in (0, 1]");
  if (d.seed && (d.seed->empty() || d.seed->size() > kMaxKeyBytes)) {
    return FieldError("seed", "must be 1-64 characters");
  }
  const Guardrails& g = d.guardrails;
  if (g.max_duration_days && !(*g.max_duration_days > 0)) {
    return FieldError("guardrails.max_duration_days", "must be positive");
  }
  for (std::size_t i = 0; i < g.segment_guards.size(); ++i) {
    const std::string& segment = g.segment_guards[i].segment;
    if (segment.empty() || !IsKnownSegment(segment)) {
      return FieldError(fmt::format("guardrails.segment_guards[{}].segment", i),
                        "must be a known segment such as device:mobile, visitor:new or source:search");
    }
  }
  return std::nullopt;
}

Result<Definition> ParseDefinition(const json::value& body) {
  if (!body.is_object()) return FieldError("$", "must be a JSON object");
  const json::object& object = body.as_object();
  if (auto error = RejectUnknownFields(object,
                                       {"name", "target", "variants", "weights", "coverage", "primary_metric",
                                        "secondary_metrics", "guardrail_metrics", "guardrails", "seed"},
                                       "")) {
    return *error;
  }
  const Reader reader(object);
  Definition d;
  auto name = reader.String("name", "name");
  if (!name) return name.error();
  if (!*name) return FieldError("name", "is required");
  d.name = **name;
  auto target = reader.String("target", "target");
  if (!target) return target.error();
  if (!*target) return FieldError("target", "is required");
  d.target = **target;
  auto variants = ReadVariants(reader);
  if (!variants) return variants.error();
  d.variants = std::move(*variants);
  if (const json::value* weights = reader.Find("weights")) {
    if (!weights->is_array()) return FieldError("weights", "must be an array of numbers");
    for (std::size_t i = 0; i < weights->as_array().size(); ++i) {
      const json::value& w = weights->as_array()[i];
      if (!w.is_number()) return FieldError(fmt::format("weights[{}]", i), "must be a number");
      d.weights.push_back(w.to_number<double>());
    }
  } else {
    d.weights = GetEqualWeights(static_cast<int>(d.variants.size()));
  }
  auto coverage = reader.Number("coverage", "coverage");
  if (!coverage) return coverage.error();
  d.coverage = coverage->value_or(1.0);
  if (const json::value* primary = reader.Find("primary_metric")) {
    auto metric = ReadMetric(*primary, "primary_metric");
    if (!metric) return metric.error();
    d.primary_metric = *metric;
  }
  auto secondary = ReadMetrics(reader, "secondary_metrics");
  if (!secondary) return secondary.error();
  d.secondary_metrics = std::move(*secondary);
  auto guardrail_metrics = ReadMetrics(reader, "guardrail_metrics");
  if (!guardrail_metrics) return guardrail_metrics.error();
  d.guardrail_metrics = std::move(*guardrail_metrics);
  auto guardrails = ReadGuardrails(reader);
  if (!guardrails) return guardrails.error();
  d.guardrails = std::move(*guardrails);
  auto seed = reader.String("seed", "seed");
  if (!seed) return seed.error();
  d.seed = *seed;
  if (auto error = ValidateDefinition(d)) return *error;
  return d;
}

Result<Definition> ApplyUpdate(const Definition& current, Status status, const json::value& patch) {
  if (!patch.is_object()) return FieldError("$", "must be a JSON object");
  const json::object& changes = patch.as_object();
  json::object merged = DefinitionToJson(current);
  // New variants without new weights fall back to equal weights rather than failing on a count mismatch.
  if (changes.contains("variants") && !changes.contains("weights")) merged.erase("weights");
  for (const auto& entry : changes) merged[entry.key()] = entry.value();
  auto updated = ParseDefinition(merged);
  if (!updated) return updated;
  // An invalid change for the experiment's state is an invalid definition (400 naming the field), as the issue asks;
  // a frozen experiment (below) and a forbidden transition are conflicts with its state (409).
  if (status != Status::kDraft) {
    if (updated->variants != current.variants) {
      return MakeError(ErrorCode::kBadRequest,
                       "the variants of an experiment that has started cannot change (create a new experiment)",
                       {{"field", "variants"}, {"status", StatusName(status)}});
    }
    if (updated->target != current.target) {
      return MakeError(ErrorCode::kBadRequest, "the target of an experiment that has started cannot change",
                       {{"field", "target"}, {"status", StatusName(status)}});
    }
    if (updated->seed != current.seed) {
      return MakeError(ErrorCode::kBadRequest,
                       "the seed of an experiment that has started cannot change (bump the bucket version to "
                       "reshuffle visitors deliberately)",
                       {{"field", "seed"}, {"status", StatusName(status)}});
    }
  }
  if (status == Status::kArchived || status == Status::kCompleted) {
    return MakeError(ErrorCode::kConflict, fmt::format("an experiment that is {} cannot change", StatusName(status)),
                     {{"status", StatusName(status)}});
  }
  return updated;
}

json::array VariantsToJson(const std::vector<Variant>& variants) {
  json::array out;
  for (const Variant& v : variants) out.push_back(json::object{{"key", v.key}, {"config", v.config}});
  return out;
}

json::object AllocationToJson(const std::vector<double>& weights, double coverage) {
  json::array w;
  for (double x : weights) w.push_back(x);
  return json::object{{"weights", std::move(w)}, {"coverage", coverage}};
}

json::array MetricsToJson(const std::vector<Metric>& metrics) {
  json::array out;
  for (Metric m : metrics) out.push_back(json::string(MetricName(m)));
  return out;
}

json::object GuardrailsToJson(const Guardrails& g) {
  json::object out;
  if (g.min_sample) out["min_sample"] = *g.min_sample;
  if (g.max_duration_days) out["max_duration_days"] = *g.max_duration_days;
  if (g.revenue_cap_cents) out["revenue_cap"] = static_cast<double>(*g.revenue_cap_cents) / 100;
  json::array guards;
  for (const SegmentGuard& guard : g.segment_guards) {
    guards.push_back(json::object{{"segment", guard.segment}, {"metric", MetricName(guard.metric)}});
  }
  out["segment_guards"] = std::move(guards);
  return out;
}

json::object DefinitionToJson(const Definition& d) {
  json::object out;
  out["name"] = d.name;
  out["target"] = d.target;
  out["variants"] = VariantsToJson(d.variants);
  json::array weights;
  for (double w : d.weights) weights.push_back(w);
  out["weights"] = std::move(weights);
  out["coverage"] = d.coverage;
  out["primary_metric"] = MetricName(d.primary_metric);
  out["secondary_metrics"] = MetricsToJson(d.secondary_metrics);
  out["guardrail_metrics"] = MetricsToJson(d.guardrail_metrics);
  out["guardrails"] = GuardrailsToJson(d.guardrails);
  if (d.seed) out["seed"] = *d.seed;
  return out;
}

json::object ExperimentToJson(const Experiment& e) {
  json::object out = DefinitionToJson(e.definition);
  out["id"] = e.id;
  out["status"] = StatusName(e.status);
  out["seed"] = e.Seed();
  out["hash_version"] = e.hash_version;
  out["bucket_version"] = e.bucket_version;
  out["started_at"] = e.started_at ? json::value(*e.started_at) : json::value(nullptr);
  out["ended_at"] = e.ended_at ? json::value(*e.ended_at) : json::value(nullptr);
  out["created_at"] = e.created_at;
  out["updated_at"] = e.updated_at;
  return out;
}

}  // namespace pagelift::experiments
