// Autopilot (issue 6): within a shop's settings.autopilot_limits, turns eligible recommendations into experiments and
// carries out the experiments' decisions. Off by default (autopilot_limits.enabled = false).
//
// Limits read from settings.autopilot_limits: enabled, max_patches_per_day (autopilot patches applied in the last 24
// hours), max_running_experiments (autopilot experiments running at once), allowed_categories (array of category
// names; absent = every category), require_experiment (default true).
//
// One pass per enabled shop:
//  1. Decisions. For each running experiment autopilot started (its treatment variant's config carries
//     {"autopilot": {"patch_id", "recommendation_id"}}), experiments::ComputeResults' decision is carried out:
//     ship → the patch stays and the experiment is completed; roll_back or inconclusive → the patch is rolled back
//     (autopilot keeps only proven winners) and the experiment is completed; keep_running → nothing.
//  2. New work, while the budgets last. With require_experiment, only block patches (metafields_set) are eligible,
//     because only they can be split on the storefront: the patch is applied and an experiment started on
//     "block:<key>" whose control hides the block (today's page) and whose treatment shows it (the patch).
//     Without require_experiment, product patches are applied directly (still subject to allow_write_products).
//     A recommendation whose autopilot patch was rolled back is not tried again by autopilot.
// Every action (and every refusal) is in the audit trail with actor "autopilot" and the reason in words. The
// experiments capability knows nothing of this: a decision is data autopilot reads. Blocking; run from the scheduler.
#pragma once

#include <boost/json/object.hpp>
#include <set>
#include <string>

#include "db/statement.h"
#include "experiments/repository.h"
#include "recommend/patches.h"

namespace pagelift::recommend {

struct AutopilotLimits {
  bool enabled = false;
  int max_patches_per_day = 3;
  int max_running_experiments = 2;
  std::set<std::string> allowed_categories;  // empty = every category
  bool require_experiment = true;
};

// From a shop's stored settings (defaults for what is absent).
AutopilotLimits AutopilotLimitsFrom(const boost::json::object& stored_settings);

struct AutopilotReport {
  int shops = 0;
  int experiments_started = 0;
  int patches_applied = 0;   // without an experiment
  int shipped = 0;
  int rolled_back = 0;
  int refused = 0;           // applies or rollbacks refused (conflict, not allowed, Shopify userErrors)
};

class Autopilot {
 public:
  // All three must outlive the autopilot.
  Autopilot(db::Database& database, PatchService& patches, const experiments::Repository& experiments);

  // One pass over every installed shop with autopilot enabled.
  AutopilotReport RunPass();
  // One shop's pass (tests).
  AutopilotReport RunShop(const std::string& shop_id);

 private:
  void CarryOutDecisions(const std::string& shop_id, AutopilotReport& report);
  void StartNew(const std::string& shop_id, const AutopilotLimits& limits, bool allow_write_products,
                AutopilotReport& report);
  void Record(const std::string& shop_id, const TrailEntry& entry);

  db::Database& database_;
  PatchService& patches_;
  const experiments::Repository& experiments_;
  db::Statement enabled_shops_;
  db::Statement shop_settings_;
  db::Statement eligible_;
};

}  // namespace pagelift::recommend
