// Server-side assignment (`POST /v1/assign`): the same answer as the storefront script (hashing.h's Assign with the
// experiment's seed, hash v2, weights and coverage, and the visitor's anon_id), made sticky by the assignments table:
// the first assignment of a visitor wins, so later weight changes never move them; a bucket-version bump
// (lifecycle.h) forgets stored assignments and so reshuffles deliberately.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "core/error.h"
#include "experiments/repository.h"

namespace pagelift::experiments {

struct AssignRequest {
  std::string shop;        // the shop's public id
  std::string anon_id;
  std::string experiment;  // the experiment's id
  std::string session_id;  // optional on the wire; stored with the assignment
};

struct AssignOutcome {
  std::string experiment;
  int bucket_version = 1;
  bool in_experiment = false;
  std::optional<std::string> reason;   // when not in it: "not_running" or "not_covered"
  std::optional<std::string> variant;  // the variant's key
  int variation = -1;                  // its index (the control is 0); -1 when not in the experiment
  boost::json::object config;          // the variant's config
  bool sticky = false;                 // the visitor already had this assignment
};

// Reads {"shop", "anon_id", "experiment", "session_id"?}; 400 naming the field.
Result<AssignRequest> ParseAssignRequest(const boost::json::value& body);

// 404 for an unknown (or uninstalled) shop or an experiment the shop does not have. A visitor outside the coverage,
// or an experiment that is not running, gets in_experiment = false and nothing is stored.
Result<AssignOutcome> AssignVisitor(pqxx::work& tx, const Repository& repository, const AssignRequest& request);

boost::json::object AssignOutcomeToJson(const AssignOutcome& outcome);

}  // namespace pagelift::experiments
