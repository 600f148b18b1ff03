// Server-side sticky assignment; see assignment_service.h.
#include "experiments/assignment_service.h"

#include <fmt/format.h>

#include "experiments/hashing.h"

namespace pagelift::experiments {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxIdBytes = 128;  // the collector's limit for anon_id and session_id

Error FieldError(std::string field, std::string message) {
  return MakeError(ErrorCode::kBadRequest, fmt::format("{}: {}", field, message), {{"field", field}});
}

Result<std::string> RequiredString(const json::object& body, std::string_view key, bool required) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr || value->is_null()) {
    if (required) return FieldError(std::string(key), "is required");
    return std::string();
  }
  if (!value->is_string()) return FieldError(std::string(key), "must be a string");
  std::string text(value->as_string());
  if (required && text.empty()) return FieldError(std::string(key), "must not be empty");
  if (text.size() > kMaxIdBytes) return FieldError(std::string(key), fmt::format("is longer than {} bytes", kMaxIdBytes));
  if (text.find('\0') != std::string::npos) return FieldError(std::string(key), "contains a NUL character");
  return text;
}

}  // namespace

Result<AssignRequest> ParseAssignRequest(const json::value& body) {
  if (!body.is_object()) return FieldError("$", "must be a JSON object");
  const json::object& object = body.as_object();
  AssignRequest request;
  auto shop = RequiredString(object, "shop", true);
  if (!shop) return shop.error();
  request.shop = std::move(*shop);
  auto anon_id = RequiredString(object, "anon_id", true);
  if (!anon_id) return anon_id.error();
  request.anon_id = std::move(*anon_id);
  auto experiment = RequiredString(object, "experiment", true);
  if (!experiment) return experiment.error();
  request.experiment = std::move(*experiment);
  auto session_id = RequiredString(object, "session_id", false);
  if (!session_id) return session_id.error();
  request.session_id = std::move(*session_id);
  return request;
}

Result<AssignOutcome> AssignVisitor(pqxx::work& tx, const Repository& repository, const AssignRequest& request) {
  const auto shop_id = repository.FindShopByPublicId(tx, request.shop);
  if (!shop_id) return MakeError(ErrorCode::kNotFound, "no such shop", {{"shop", request.shop}});
  const auto experiment = repository.Find(tx, *shop_id, request.experiment);
  if (!experiment) {
    return MakeError(ErrorCode::kNotFound, "no such experiment", {{"experiment", request.experiment}});
  }
  AssignOutcome outcome;
  outcome.experiment = experiment->id;
  outcome.bucket_version = experiment->bucket_version;
  if (experiment->status != Status::kRunning) {
    outcome.reason = "not_running";
    return outcome;
  }
  const std::optional<int> variation = Assign(ToAssignmentSpec(*experiment), request.anon_id);
  if (!variation) {
    outcome.reason = "not_covered";
    return outcome;
  }
  const auto& variants = experiment->definition.variants;
  const auto stored = repository.RecordAssignment(tx, *shop_id, experiment->id, request.anon_id, request.session_id,
                                                  variants.at(static_cast<std::size_t>(*variation)).key);
  outcome.in_experiment = true;
  outcome.sticky = !stored.created;
  outcome.variant = stored.variant;
  outcome.variation = experiment->VariantIndex(stored.variant);
  if (outcome.variation >= 0) outcome.config = variants[static_cast<std::size_t>(outcome.variation)].config;
  return outcome;
}

json::object AssignOutcomeToJson(const AssignOutcome& outcome) {
  json::object out{{"experiment", outcome.experiment},
                   {"bucket_version", outcome.bucket_version},
                   {"in_experiment", outcome.in_experiment}};
  out["variant"] = outcome.variant ? json::value(*outcome.variant) : json::value(nullptr);
  out["variation"] = outcome.variation >= 0 ? json::value(outcome.variation) : json::value(nullptr);
  out["config"] = outcome.in_experiment ? json::value(outcome.config) : json::value(nullptr);
  out["sticky"] = outcome.sticky;
  if (outcome.reason) out["reason"] = *outcome.reason;
  return out;
}

}  // namespace pagelift::experiments
