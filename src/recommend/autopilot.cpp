// Autopilot passes. See autopilot.h.
#include "recommend/autopilot.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <optional>
#include <vector>

#include "core/log.h"
#include "experiments/lifecycle.h"
#include "experiments/results.h"
#include "shopify/shop_settings.h"

namespace pagelift::recommend {

namespace json = boost::json;

namespace {

json::object ParseObject(const char* text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  return !ec && value.is_object() ? value.as_object() : json::object{};
}

// The autopilot marker of an experiment autopilot started: the treatment's config.autopilot.
struct AutopilotExperiment {
  experiments::Experiment experiment;
  std::string patch_id;
  std::string recommendation_id;
};

std::optional<AutopilotExperiment> AsAutopilot(const experiments::Experiment& experiment) {
  for (const auto& variant : experiment.definition.variants) {
    const auto* marker = variant.config.if_contains("autopilot");
    if (!marker || !marker->is_object()) continue;
    const auto* patch = marker->as_object().if_contains("patch_id");
    const auto* recommendation = marker->as_object().if_contains("recommendation_id");
    if (!patch || !patch->is_string()) continue;
    AutopilotExperiment found{experiment, std::string(patch->as_string()), ""};
    if (recommendation && recommendation->is_string()) found.recommendation_id = recommendation->as_string();
    return found;
  }
  return std::nullopt;
}

// The experiment that tests a block patch against today's page: the control hides the block, the treatment shows it.
json::object BlockExperimentDefinition(const std::string& rule_id, const std::string& key, const std::string& patch_id,
                                       const std::string& recommendation_id) {
  json::object control_config{{"block", key}, {"show", false}};
  json::object treatment_config{
      {"block", key},
      {"show", true},
      {"autopilot", {{"patch_id", patch_id}, {"recommendation_id", recommendation_id}}}};
  return {{"name", fmt::format("Autopilot: {}", rule_id)},
          {"target", fmt::format("block:{}", key)},
          {"variants", json::array{{{"key", "control"}, {"config", std::move(control_config)}},
                                   {{"key", "patch"}, {"config", std::move(treatment_config)}}}},
          {"weights", json::array{0.5, 0.5}}};
}

std::string ReasonsText(const experiments::ExperimentResults& results) {
  std::string text;
  for (const auto& decision : results.decisions) {
    for (const auto& reason : decision.result.reasons) {
      if (!text.empty()) text += "; ";
      text += reason.message;
    }
  }
  return text;
}

}  // namespace

AutopilotLimits AutopilotLimitsFrom(const json::object& stored_settings) {
  AutopilotLimits limits;
  const json::object effective = shopify::EffectiveSettings(stored_settings);
  // The stored limits merged key by key over the defaults (shopify::EffectiveSettings).
  const json::object* merged = nullptr;
  if (const auto* value = effective.if_contains("autopilot_limits"); value && value->is_object()) {
    merged = &value->as_object();
  }
  auto integer = [](const json::object* object, const char* key, int fallback) {
    const auto* value = object ? object->if_contains(key) : nullptr;
    return value && value->is_int64() ? static_cast<int>(value->as_int64()) : fallback;
  };
  auto boolean = [](const json::object* object, const char* key, bool fallback) {
    const auto* value = object ? object->if_contains(key) : nullptr;
    return value && value->is_bool() ? value->as_bool() : fallback;
  };
  limits.enabled = boolean(merged, "enabled", false);
  limits.max_patches_per_day = integer(merged, "max_patches_per_day", 3);
  limits.max_running_experiments = integer(merged, "max_running_experiments", 2);
  limits.require_experiment = boolean(merged, "require_experiment", true);
  const auto* categories = merged ? merged->if_contains("allowed_categories") : nullptr;
  if (categories && categories->is_array()) {
    for (const auto& category : categories->as_array()) {
      if (category.is_string()) limits.allowed_categories.emplace(category.as_string());
    }
  }
  return limits;
}

Autopilot::Autopilot(db::Database& database, PatchService& patches, const experiments::Repository& experiments)
    : database_(database),
      patches_(patches),
      experiments_(experiments),
      enabled_shops_(database, "recommend_autopilot_enabled_shops",
                     "SELECT id::text FROM shops WHERE uninstalled_at IS NULL "
                     "AND settings -> 'autopilot_limits' ->> 'enabled' = 'true' ORDER BY id"),
      shop_settings_(database, "recommend_autopilot_shop_settings", "SELECT settings::text FROM shops WHERE id = $1"),
      eligible_(database, "recommend_autopilot_eligible",
                // A fix autopilot already tried and rolled back is not retried (the merchant still may).
                "SELECT r.id::text, r.category, r.rule_id, r.patch_payload::text FROM recommendations r "
                "WHERE r.shop_id = $1 AND r.status = 'pending' AND r.patch_payload IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM patches p WHERE p.shop_id = r.shop_id AND p.recommendation_id = r.id "
                "AND p.applied_by = 'autopilot' AND p.status = 'rolled_back') "
                "ORDER BY CASE r.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, r.created_at, r.id "
                "LIMIT 200") {}

void Autopilot::Record(const std::string& shop_id, const TrailEntry& entry) {
  database_.Run([&](pqxx::work& tx) { patches_.trail().Record(tx, shop_id, entry); });
}

AutopilotReport Autopilot::RunPass() {
  const auto shops = database_.Run(db::TxOptions::ReadOnly(), [this](pqxx::work& tx) {
    std::vector<std::string> ids;
    for (const auto& row : tx.exec_prepared(enabled_shops_.name())) ids.emplace_back(row[0].c_str());
    return ids;
  });
  AutopilotReport total;
  for (const auto& shop_id : shops) {
    try {
      const AutopilotReport one = RunShop(shop_id);
      total.shops += one.shops;
      total.experiments_started += one.experiments_started;
      total.patches_applied += one.patches_applied;
      total.shipped += one.shipped;
      total.rolled_back += one.rolled_back;
      total.refused += one.refused;
    } catch (const std::exception& e) {
      log::Warn("autopilot pass failed for a shop", {{"shop_id", shop_id}, {"error", e.what()}});
    }
  }
  return total;
}

AutopilotReport Autopilot::RunShop(const std::string& shop_id) {
  AutopilotReport report;
  const json::object stored = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
    const auto rows = tx.exec_prepared(shop_settings_.name(), shop_id);
    return rows.empty() ? json::object{} : ParseObject(rows[0][0].c_str());
  });
  const AutopilotLimits limits = AutopilotLimitsFrom(stored);
  if (!limits.enabled) return report;
  report.shops = 1;
  CarryOutDecisions(shop_id, report);
  StartNew(shop_id, limits, AllowsProductWrites(stored), report);
  return report;
}

void Autopilot::CarryOutDecisions(const std::string& shop_id, AutopilotReport& report) {
  const auto running = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
    return experiments::ListExperiments(tx, experiments_, shop_id, experiments::Status::kRunning);
  });
  for (const auto& experiment : running) {
    const auto autopilot = AsAutopilot(experiment);
    if (!autopilot) continue;
    auto results = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
      return experiments::ComputeResults(tx, experiments_, shop_id, experiment.id);
    });
    if (!results) continue;
    const experiments::Decision decision = results->decision;
    if (decision == experiments::Decision::kKeepRunning) continue;
    const std::string reasons = ReasonsText(*results);
    TrailEntry entry;
    entry.actor = Actor::kAutopilot;
    entry.experiment_id = experiment.id;
    entry.patch_id = autopilot->patch_id;
    if (!autopilot->recommendation_id.empty()) entry.recommendation_id = autopilot->recommendation_id;
    entry.target = experiment.definition.target;
    entry.details = {{"decision", experiments::DecisionName(decision)}, {"reasons", reasons}};
    if (decision == experiments::Decision::kShip) {
      entry.action = "ship";
      entry.reason = fmt::format("The experiment \"{}\" found the patch better than today's page, so it stays: {}",
                                 experiment.definition.name, reasons);
      ++report.shipped;
    } else {
      ChangeOptions options;
      options.actor = Actor::kAutopilot;
      options.experiment_id = experiment.id;
      options.reason = fmt::format("The experiment \"{}\" decided {}: autopilot keeps only proven winners, so the patch "
                                   "is rolled back. {}",
                                   experiment.definition.name, experiments::DecisionName(decision), reasons);
      auto rolled_back = patches_.Rollback(shop_id, autopilot->patch_id, options);
      entry.action = "roll_back";
      if (rolled_back) {
        entry.reason = options.reason;
        ++report.rolled_back;
      } else {
        entry.action = "roll_back_failed";
        entry.reason = "Autopilot could not roll the patch back: " + rolled_back.error().message;
        ++report.refused;
      }
    }
    auto completed = database_.Run([&](pqxx::work& tx) {
      return experiments::TransitionExperiment(tx, experiments_, shop_id, experiment.id,
                                               experiments::Status::kCompleted);
    });
    if (!completed) entry.details["experiment_error"] = completed.error().message;
    Record(shop_id, entry);
  }
}

void Autopilot::StartNew(const std::string& shop_id, const AutopilotLimits& limits, bool allow_write_products,
                         AutopilotReport& report) {
  struct Candidate {
    std::string id;
    std::string category;
    std::string rule_id;
    json::object payload;
  };
  struct Budget {
    long long applied_today = 0;
    int running = 0;
    std::vector<Candidate> candidates;
  };
  Budget budget = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
    Budget b;
    b.applied_today = patches_.AutopilotPatchesToday(tx, shop_id);
    for (const auto& experiment : experiments::ListExperiments(tx, experiments_, shop_id, experiments::Status::kRunning)) {
      if (AsAutopilot(experiment)) ++b.running;
    }
    for (const auto& row : tx.exec_prepared(eligible_.name(), shop_id)) {
      b.candidates.push_back(Candidate{row[0].c_str(), row[1].c_str(), row[2].c_str(), ParseObject(row[3].c_str())});
    }
    return b;
  });
  for (const auto& candidate : budget.candidates) {
    if (budget.applied_today >= limits.max_patches_per_day) break;
    if (!limits.allowed_categories.empty() && !limits.allowed_categories.contains(candidate.category)) continue;
    auto patch = ParsePatchPayload(candidate.payload);
    if (!patch || patch->kind == PatchKind::kGuided) continue;
    const bool block = patch->kind == PatchKind::kMetafieldsSet;
    if (limits.require_experiment && !block) continue;  // product fields cannot be split on the storefront
    if (!block && !allow_write_products) continue;
    if (block && limits.require_experiment && budget.running >= limits.max_running_experiments) continue;

    ChangeOptions options;
    options.actor = Actor::kAutopilot;
    options.reason = block && limits.require_experiment
                         ? fmt::format("Autopilot is testing this fix ({}) against today's page in an experiment.",
                                       candidate.rule_id)
                         : fmt::format("Autopilot applied this fix ({}) directly: require_experiment is off.",
                                       candidate.rule_id);
    auto applied = patches_.Apply(shop_id, candidate.id, options);
    if (!applied || !applied->patch) {
      ++report.refused;
      continue;
    }
    ++budget.applied_today;
    if (!(block && limits.require_experiment)) {
      ++report.patches_applied;
      continue;
    }
    const json::object definition =
        BlockExperimentDefinition(candidate.rule_id, patch->key, applied->patch->id, candidate.id);
    auto started = database_.Run([&](pqxx::work& tx) -> Result<experiments::Experiment> {
      auto created = experiments::CreateExperiment(tx, experiments_, shop_id, definition);
      if (!created) return created.error();
      return experiments::TransitionExperiment(tx, experiments_, shop_id, created->id, experiments::Status::kRunning);
    });
    TrailEntry entry;
    entry.actor = Actor::kAutopilot;
    entry.target = patch->target;
    entry.recommendation_id = candidate.id;
    entry.patch_id = applied->patch->id;
    if (started) {
      entry.action = "experiment_started";
      entry.experiment_id = started->id;
      entry.reason = fmt::format("Started \"{}\": half the visitors see the patch, half today's page; autopilot ships "
                                 "it only if it wins.",
                                 started->definition.name);
      ++budget.running;
      ++report.experiments_started;
      Record(shop_id, entry);
      continue;
    }
    // No experiment, no untested change: undo the patch.
    ChangeOptions undo;
    undo.actor = Actor::kAutopilot;
    undo.reason = "Autopilot could not start the experiment for this patch, so it undid it: " + started.error().message;
    auto rolled_back = patches_.Rollback(shop_id, applied->patch->id, undo);
    if (!rolled_back) ++report.refused;
  }
}

}  // namespace pagelift::recommend
