// The experiment capabilities the admin API, the CLI and jobs share: create, update, read, list, the lifecycle
// transitions (definition.h has the rules), and the deliberate reshuffle (bucket-version bump). Each runs inside the
// caller's transaction; the SDK-document invalidation rides on the experiments trigger (NOTIFY at commit).
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "experiments/definition.h"
#include "experiments/repository.h"

namespace pagelift::experiments {

// A new draft; 400 naming the field when the definition is invalid.
Result<Experiment> CreateExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                    const boost::json::value& body);

// 404 when the shop has no such experiment.
Result<Experiment> GetExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                 std::string_view id);

std::vector<Experiment> ListExperiments(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                        std::optional<Status> status = std::nullopt);

// A partial update (definition.h: ApplyUpdate's rules). Weights change only where new visitors land.
Result<Experiment> UpdateExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                    std::string_view id, const boost::json::value& patch);

// The job that writes the storefront's metafields, among them the running experiments' targets and blocks (the
// app-owned shop metafield $app.experiment_holds, shopify/storefront_metafields.h); payload {} (the shop is
// jobs.shop_id).
inline constexpr std::string_view kStorefrontMetafieldsJobKind = "storefront_metafields";

// Moves the experiment to `to` (409 when the lifecycle forbids it). Starting sets started_at the first time;
// stopping or completing sets ended_at; resuming a paused experiment keeps its start. A move into or out of running
// enqueues a storefront_metafields job in the same transaction (so the storefront's hold follows the commit).
Result<Experiment> TransitionExperiment(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                        std::string_view id, Status to);

// bucket_version + 1: every visitor is assigned afresh (the storefront keys its sticky assignment by
// experiment and bucket version; the server forgets the stored assignments and the results built on them).
// Not allowed once the experiment is stopped, completed or archived (409).
Result<Experiment> BumpBucketVersion(pqxx::work& tx, const Repository& repository, const std::string& shop_id,
                                     std::string_view id);

}  // namespace pagelift::experiments
