// `pagelift stats`; see stats_command.h. Parsing is strict (unknown fields and wrong types are errors, each naming
// its field) because the command is used for differential testing, where a silently ignored typo ("corection")
// would make two engines disagree for no visible reason. JSON null counts as absent.
#include "experiments/stats_command.h"

#include <boost/json.hpp>
#include <cmath>
#include <exception>
#include <initializer_list>
#include <istream>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <set>
#include <string_view>
#include <utility>

namespace pagelift::experiments {
namespace {

namespace json = boost::json;

Error Invalid(std::string field, std::string message) {
  json::object details;
  details["field"] = field;
  return MakeError(ErrorCode::kBadRequest, field == "$" ? message : field + ": " + message, std::move(details));
}

std::string Join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

// Reads the members of one JSON object, each with its field path for error messages.
class Fields {
 public:
  Fields(const json::object& object, std::string path) : object_(object), path_(std::move(path)) {}

  std::string Path(std::string_view name) const { return Join(path_, name); }

  // An error for the first member whose name is not in `known`.
  std::optional<Error> RejectUnknown(std::initializer_list<std::string_view> known) const {
    for (const auto& member : object_) {
      bool found = false;
      for (std::string_view k : known) found = found || member.key() == k;
      if (!found) return Invalid(Path(member.key()), "unknown field");
    }
    return std::nullopt;
  }

  const json::value* Find(std::string_view name) const {
    const json::value* v = object_.if_contains(name);
    return v != nullptr && !v->is_null() ? v : nullptr;
  }

  Result<std::optional<double>> Number(std::string_view name) const {
    const json::value* v = Find(name);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) return Invalid(Path(name), "must be a number");
    const double x = v->to_number<double>();
    if (!std::isfinite(x)) return Invalid(Path(name), "must be a finite number");
    return std::optional<double>(x);
  }

  Result<double> RequiredNumber(std::string_view name) const {
    auto x = Number(name);
    if (!x.ok()) return std::move(x).error();
    if (!x.value()) return Invalid(Path(name), "is required");
    return **x;
  }

  Result<std::optional<bool>> Bool(std::string_view name) const {
    const json::value* v = Find(name);
    if (v == nullptr) return std::optional<bool>();
    if (!v->is_bool()) return Invalid(Path(name), "must be true or false");
    return std::optional<bool>(v->as_bool());
  }

  Result<std::optional<std::string>> String(std::string_view name) const {
    const json::value* v = Find(name);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return Invalid(Path(name), "must be a string");
    return std::optional<std::string>(std::string(v->as_string()));
  }

  // A string member that must be one of `choices` (each a name and its value); `fallback` when absent.
  template <class E>
  Result<E> Choice(std::string_view name, std::initializer_list<std::pair<std::string_view, E>> choices,
                   E fallback) const {
    auto s = String(name);
    if (!s.ok()) return std::move(s).error();
    if (!s.value()) return fallback;
    std::string allowed;
    for (const auto& [text, value] : choices) {
      if (**s == text) return value;
      allowed += allowed.empty() ? "" : ", ";
      allowed += "\"" + std::string(text) + "\"";
    }
    return Invalid(Path(name), "must be one of " + allowed);
  }

  // An object member, or nullptr when absent; an error when it is not an object.
  Result<const json::object*> Object(std::string_view name) const {
    const json::value* v = Find(name);
    if (v == nullptr) return static_cast<const json::object*>(nullptr);
    if (!v->is_object()) return Invalid(Path(name), "must be an object");
    return &v->as_object();
  }

 private:
  const json::object& object_;
  std::string path_;
};

// Unwraps a Result into `target`, or returns its error from the enclosing function.
#define PAGELIFT_ASSIGN_OR_RETURN(target, expression) \
  do {                                                \
    auto result_ = (expression);                      \
    if (!result_.ok()) return std::move(result_).error(); \
    target = std::move(result_).value();              \
  } while (false)

const std::initializer_list<std::pair<std::string_view, ValueKind>> kValueKinds = {
    {"mean", ValueKind::kMean}, {"proportion", ValueKind::kProportion}};

Result<MetricSpec> ParseMetric(const Fields& top) {
  const json::object* object = nullptr;
  PAGELIFT_ASSIGN_OR_RETURN(object, top.Object("metric"));
  if (object == nullptr) return Invalid("metric", "is required");
  const Fields fields(*object, "metric");
  if (auto error = fields.RejectUnknown({"type", "lower_is_better", "numerator", "denominator"})) return *error;
  MetricSpec metric;
  if (fields.Find("type") == nullptr) return Invalid("metric.type", "is required");
  PAGELIFT_ASSIGN_OR_RETURN(metric.type, fields.Choice<MetricType>("type",
                                                                   {{"proportion", MetricType::kProportion},
                                                                    {"mean", MetricType::kMean},
                                                                    {"ratio", MetricType::kRatio}},
                                                                   MetricType::kProportion));
  std::optional<bool> lower;
  PAGELIFT_ASSIGN_OR_RETURN(lower, fields.Bool("lower_is_better"));
  metric.lower_is_better = lower.value_or(false);
  PAGELIFT_ASSIGN_OR_RETURN(metric.numerator, fields.Choice("numerator", kValueKinds, ValueKind::kMean));
  PAGELIFT_ASSIGN_OR_RETURN(metric.denominator, fields.Choice("denominator", kValueKinds, ValueKind::kMean));
  return metric;
}

Result<AnalysisOptions> ParseOptions(const Fields& top) {
  AnalysisOptions options;
  PAGELIFT_ASSIGN_OR_RETURN(options.engine, top.Choice<Engine>("engine",
                                                               {{"bayesian", Engine::kBayesian},
                                                                {"frequentist", Engine::kFrequentist},
                                                                {"sequential", Engine::kSequential}},
                                                               Engine::kBayesian));
  PAGELIFT_ASSIGN_OR_RETURN(options.difference,
                            top.Choice<Difference>("difference",
                                                   {{"relative", Difference::kRelative},
                                                    {"absolute", Difference::kAbsolute}},
                                                   Difference::kRelative));
  PAGELIFT_ASSIGN_OR_RETURN(options.correction,
                            top.Choice<Correction>("correction",
                                                   {{"none", Correction::kNone},
                                                    {"holm", Correction::kHolm},
                                                    {"bh", Correction::kBenjaminiHochberg}},
                                                   Correction::kNone));
  std::optional<double> number;
  PAGELIFT_ASSIGN_OR_RETURN(number, top.Number("alpha"));
  options.alpha = number.value_or(options.alpha);
  PAGELIFT_ASSIGN_OR_RETURN(number, top.Number("sequential_tuning"));
  options.sequential_tuning = number.value_or(options.sequential_tuning);
  std::optional<bool> cuped;
  PAGELIFT_ASSIGN_OR_RETURN(cuped, top.Bool("cuped"));
  options.cuped = cuped.value_or(false);

  const json::object* prior = nullptr;
  PAGELIFT_ASSIGN_OR_RETURN(prior, top.Object("prior"));
  if (prior != nullptr) {
    const Fields fields(*prior, "prior");
    if (auto error = fields.RejectUnknown({"proper", "mean", "stddev"})) return *error;
    std::optional<bool> proper;
    PAGELIFT_ASSIGN_OR_RETURN(proper, fields.Bool("proper"));
    options.prior.proper = proper.value_or(false);
    PAGELIFT_ASSIGN_OR_RETURN(number, fields.Number("mean"));
    options.prior.mean = number.value_or(options.prior.mean);
    PAGELIFT_ASSIGN_OR_RETURN(number, fields.Number("stddev"));
    options.prior.stddev = number.value_or(options.prior.stddev);
  }
  return options;
}

// {"sum", "sum_squares"}; for 0/1 values Σx² = Σx, so sum_squares may be left out.
Result<Sums> ParseSums(const Fields& fields, ValueKind kind) {
  Sums sums;
  PAGELIFT_ASSIGN_OR_RETURN(sums.sum, fields.RequiredNumber("sum"));
  std::optional<double> squares;
  PAGELIFT_ASSIGN_OR_RETURN(squares, fields.Number("sum_squares"));
  if (!squares && kind == ValueKind::kMean) return Invalid(fields.Path("sum_squares"), "is required");
  sums.sum_squares = squares.value_or(sums.sum);
  return sums;
}

Result<Sums> ParseSumsObject(const Fields& variant, std::string_view name, ValueKind kind) {
  const json::object* object = nullptr;
  PAGELIFT_ASSIGN_OR_RETURN(object, variant.Object(name));
  if (object == nullptr) return Invalid(variant.Path(name), "is required");
  const Fields fields(*object, variant.Path(name));
  if (auto error = fields.RejectUnknown({"sum", "sum_squares"})) return *error;
  return ParseSums(fields, kind);
}

Result<std::int64_t> ParseCount(const Fields& fields, std::string_view name) {
  const json::value* v = fields.Find(name);
  if (v == nullptr) return Invalid(fields.Path(name), "is required");
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) {
    if (v->as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Invalid(fields.Path(name), "is too large");
    }
    return static_cast<std::int64_t>(v->as_uint64());
  }
  if (v->is_double()) {
    const double x = v->as_double();
    // 9.2e18 is the largest double below 2^63.
    if (std::isfinite(x) && x == std::floor(x) && std::abs(x) < 9.2e18) return static_cast<std::int64_t>(x);
  }
  return Invalid(fields.Path(name), "must be a whole number");
}

struct ParsedVariant {
  std::string key;
  std::optional<double> weight;
  VariantStats stats;
};

Result<ParsedVariant> ParseVariant(const json::value& value, std::size_t index, const MetricSpec& metric,
                                   const AnalysisOptions& options) {
  const std::string path = "variants[" + std::to_string(index) + "]";
  if (!value.is_object()) return Invalid(path, "must be an object");
  const Fields fields(value.as_object(), path);
  if (auto error = fields.RejectUnknown({"key", "weight", "n", "sum", "sum_squares", "denominator", "sum_products",
                                         "pre", "pre_sum_products"})) {
    return *error;
  }
  ParsedVariant out;
  std::optional<std::string> key;
  PAGELIFT_ASSIGN_OR_RETURN(key, fields.String("key"));
  out.key = key.value_or(index == 0 ? "control" : "variant_" + std::to_string(index));
  PAGELIFT_ASSIGN_OR_RETURN(out.weight, fields.Number("weight"));
  PAGELIFT_ASSIGN_OR_RETURN(out.stats.n, ParseCount(fields, "n"));
  const ValueKind kind = metric.type == MetricType::kProportion ? ValueKind::kProportion
                         : metric.type == MetricType::kMean     ? ValueKind::kMean
                                                                : metric.numerator;
  Sums sums;
  PAGELIFT_ASSIGN_OR_RETURN(sums, ParseSums(fields, kind));
  out.stats.sum = sums.sum;
  out.stats.sum_squares = sums.sum_squares;
  // Ratio and CUPED members are read only when they are used: the spec's own example carries zeroed ones.
  if (metric.type == MetricType::kRatio) {
    PAGELIFT_ASSIGN_OR_RETURN(out.stats.denominator, ParseSumsObject(fields, "denominator", metric.denominator));
    PAGELIFT_ASSIGN_OR_RETURN(out.stats.sum_products, fields.RequiredNumber("sum_products"));
  }
  if (options.cuped) {
    PAGELIFT_ASSIGN_OR_RETURN(out.stats.pre, ParseSumsObject(fields, "pre", kind));
    PAGELIFT_ASSIGN_OR_RETURN(out.stats.pre_sum_products, fields.RequiredNumber("pre_sum_products"));
  }
  return out;
}

json::value NumberOrNull(double x) { return std::isfinite(x) ? json::value(x) : json::value(nullptr); }

json::value OptionalNumber(const std::optional<double>& x) { return x ? NumberOrNull(*x) : json::value(nullptr); }

json::value LiftToJson(const Lift& lift) {
  json::object out;
  out["expected"] = NumberOrNull(lift.expected);
  out["stddev"] = NumberOrNull(lift.stddev);
  out["ci"] = json::array{NumberOrNull(lift.ci[0]), NumberOrNull(lift.ci[1])};
  out["chance_to_win"] = OptionalNumber(lift.chance_to_win);
  out["risk"] = lift.risk ? json::value(json::array{NumberOrNull((*lift.risk)[0]), NumberOrNull((*lift.risk)[1])})
                          : json::value(nullptr);
  out["p_value"] = OptionalNumber(lift.p_value);
  out["p_value_adjusted"] = OptionalNumber(lift.p_value_adjusted);
  return out;
}

}  // namespace

Result<StatsRequest> ParseStatsRequest(const json::value& document) {
  if (!document.is_object()) return Invalid("$", "the input must be a JSON object");
  const Fields top(document.as_object(), "");
  if (auto error = top.RejectUnknown({"metric", "engine", "difference", "alpha", "prior", "sequential_tuning",
                                      "correction", "variants", "cuped"})) {
    return *error;
  }
  StatsRequest request;
  PAGELIFT_ASSIGN_OR_RETURN(request.metric, ParseMetric(top));
  PAGELIFT_ASSIGN_OR_RETURN(request.options, ParseOptions(top));

  const json::value* variants = top.Find("variants");
  if (variants == nullptr) return Invalid("variants", "is required");
  if (!variants->is_array()) return Invalid("variants", "must be an array");
  std::set<std::string, std::less<>> seen_keys;
  std::size_t weighted = 0;
  for (std::size_t i = 0; i < variants->as_array().size(); ++i) {
    ParsedVariant parsed;
    PAGELIFT_ASSIGN_OR_RETURN(parsed, ParseVariant(variants->as_array()[i], i, request.metric, request.options));
    if (!seen_keys.insert(parsed.key).second) {
      return Invalid("variants[" + std::to_string(i) + "].key", "duplicate key \"" + parsed.key + "\"");
    }
    if (parsed.weight) ++weighted;
    if (weighted != 0 && weighted != i + 1) {
      return Invalid("variants[" + std::to_string(i) + "].weight", "give every variant a weight, or none");
    }
    request.keys.push_back(std::move(parsed.key));
    request.variants.push_back(parsed.stats);
    if (parsed.weight) request.weights.push_back(*parsed.weight);
  }
  if (auto problem = ValidateAnalysisInput(request.variants, request.weights, request.metric, request.options)) {
    return Invalid(problem->field, problem->message);
  }
  return request;
}

json::object FormatStatsResult(const StatsRequest& request, const AnalysisResult& result) {
  json::array variants;
  for (std::size_t i = 0; i < result.variants.size(); ++i) {
    const VariantResult& v = result.variants[i];
    json::object out;
    out["key"] = request.keys.at(i);
    out["n"] = v.n;
    out["mean"] = NumberOrNull(v.mean);
    out["variance"] = NumberOrNull(v.variance);
    out["lift"] = v.lift ? LiftToJson(*v.lift) : json::value(nullptr);
    out["status"] = LiftStatusName(v.status);
    variants.push_back(std::move(out));
  }
  json::object document;
  document["srm_p_value"] = NumberOrNull(result.srm_p_value);
  document["variants"] = std::move(variants);
  return document;
}

#undef PAGELIFT_ASSIGN_OR_RETURN

int RunStatsCommand(std::istream& in, std::ostream& out) {
  const auto fail = [&](const Error& error, int code) {
    out << json::serialize(error.ToJson()) << '\n';
    return code;
  };
  try {
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    const json::value document = json::parse(text, ec);
    if (ec) return fail(Invalid("$", "the input is not valid JSON: " + ec.message()), 2);
    Result<StatsRequest> request = ParseStatsRequest(document);
    if (!request.ok()) return fail(request.error(), 2);
    const AnalysisResult result = Analyze(request->variants, request->weights, request->metric, request->options);
    out << json::serialize(FormatStatsResult(*request, result)) << '\n';
    return 0;
  } catch (const std::exception& e) {
    return fail(MakeError(ErrorCode::kInternal, std::string("internal error: ") + e.what()), 1);
  }
}

}  // namespace pagelift::experiments
