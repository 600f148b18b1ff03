// Experiment capabilities; see lifecycle.h.
#include "experiments/lifecycle.h"

#include <fmt/format.h>

#include "core/time.h"
#include "jobs/queue.h"

namespace pagelift::experiments {

namespace {

Error NotFound(std::string_view id) {
  return MakeError(ErrorCode::kNotFound, "no such experiment", {{"experiment", std::string(id)}});
}

std::string Now() { return FormatRfc3339Millis(Clock::now()); }

}  // namespace

Result<Experiment> CreateExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                    const boost::json::value& body) {
  auto definition = ParseDefinition(body);
  if (!definition) return definition.error();
  return repository.Insert(tx, shop_id, *definition);
}

Result<Experiment> GetExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                 std::string_view id) {
  auto experiment = repository.Find(tx, shop_id, id);
  if (!experiment) return NotFound(id);
  return std::move(*experiment);
}

std::vector<Experiment> ListExperiments(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                        std::optional<Status> status) {
  return repository.List(tx, shop_id, status);
}

Result<Experiment> UpdateExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                    std::string_view id, const boost::json::value& patch) {
  auto experiment = repository.FindForUpdate(tx, shop_id, id);
  if (!experiment) return NotFound(id);
  auto updated = ApplyUpdate(experiment->definition, experiment->status, patch);
  if (!updated) return updated.error();
  experiment->definition = std::move(*updated);
  return repository.Save(tx, *experiment);
}

Result<Experiment> TransitionExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                        std::string_view id, Status to) {
  auto experiment = repository.FindForUpdate(tx, shop_id, id);
  if (!experiment) return NotFound(id);
  if (auto error = CheckTransition(experiment->status, to)) {
    error->details["experiment"] = std::string(id);
    return *error;
  }
  if (to == Status::kRunning && !experiment->started_at) experiment->started_at = Now();
  if ((to == Status::kStopped || to == Status::kCompleted) && !experiment->ended_at) experiment->ended_at = Now();
  const bool running_changed = (experiment->status == Status::kRunning) != (to == Status::kRunning);
  experiment->status = to;
  Experiment saved = repository.Save(tx, *experiment);
  if (running_changed) {
    // No dedupe key: a job already running may have read the running set before this commit; the handler re-reads
    // after its write, and this job, claimed after the commit, writes the new set in any case.
    jobs::EnqueueOptions options;
    options.shop_id = shop_id;
    jobs::Enqueue(tx, kStorefrontMetafieldsJobKind, boost::json::object(), options);
  }
  return saved;
}

Result<Experiment> BumpBucketVersion(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                     std::string_view id) {
  auto experiment = repository.FindForUpdate(tx, shop_id, id);
  if (!experiment) return NotFound(id);
  const Status status = experiment->status;
  if (status != Status::kDraft && status != Status::kRunning && status != Status::kPaused) {
    return MakeError(ErrorCode::kConflict,
                     fmt::format("an experiment that is {} cannot be reshuffled", StatusName(status)),
                     {{"status", StatusName(status)}, {"experiment", std::string(id)}});
  }
  experiment->bucket_version += 1;
  repository.DeleteAssignmentsAndResults(tx, shop_id, experiment->id);
  return repository.Save(tx, *experiment);
}

}  // namespace pagelift::experiments
