// The experiment_holds job. See experiment_holds.h.
#include "shopify/experiment_holds.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/log.h"
#include "experiments/lifecycle.h"

namespace pagelift::shopify {

namespace json = boost::json;

namespace {

bool IsCssSafeName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

json::array ToArray(const std::set<std::string>& names) {
  json::array out;
  for (const auto& name : names) out.emplace_back(name);
  return out;
}

// The running experiments' holds, or nullopt when the shop is gone (uninstalled or deleted) together with its domain.
struct ShopHolds {
  std::string domain;
  json::object holds;
};

std::optional<ShopHolds> LoadHolds(db::Database& database, const experiments::Repository& repository,
                                   const std::string& shop_id) {
  return database.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) -> std::optional<ShopHolds> {
    const auto shop = tx.exec_params("SELECT domain FROM shops WHERE id = $1::uuid AND uninstalled_at IS NULL", shop_id);
    if (shop.empty()) return std::nullopt;
    return ShopHolds{shop[0][0].as<std::string>(),
                     ExperimentHolds(experiments::ListExperiments(tx, repository, shop_id,
                                                                  experiments::Status::kRunning))};
  });
}

Result<void> WriteHolds(db::Database& database, const experiments::Repository& repository, AdminClient& client,
                        const std::string& shop_id) {
  const auto before = LoadHolds(database, repository, shop_id);
  if (!before) return {};
  const ShopRef shop{shop_id, before->domain};
  auto info = client.Execute(shop, "ShopInfo");
  if (!info) return info.error();
  const auto* shop_object = info->if_contains("shop");
  const auto* gid = shop_object && shop_object->is_object() ? shop_object->get_object().if_contains("id") : nullptr;
  if (!gid || !gid->is_string()) return MakeError(ErrorCode::kUnavailable, "ShopInfo answered without the shop's id");
  const json::object metafield{{"ownerId", *gid},
                               {"namespace", "$app"},
                               {"key", kExperimentHoldsKey},
                               {"type", "json"},
                               {"value", json::serialize(before->holds)}};
  auto written = client.Execute(shop, "MetafieldsSet", {{"metafields", json::array{metafield}}});
  if (!written) return written.error();
  const auto after = LoadHolds(database, repository, shop_id);
  if (after && after->holds != before->holds) {
    return MakeError(ErrorCode::kConflict, "the running experiments changed while their holds were written");
  }
  log::Info("experiment holds written", {{"shop_id", shop_id}, {"holds", before->holds}});
  return {};
}

}  // namespace

json::object ExperimentHolds(const std::vector<experiments::Experiment>& running) {
  std::set<std::string> targets;
  std::set<std::string> blocks;
  for (const auto& experiment : running) {
    targets.insert(experiment.definition.target);
    for (const auto& variant : experiment.definition.variants) {
      const auto* block = variant.config.if_contains("block");
      if (block && block->is_string() && IsCssSafeName(block->get_string())) blocks.emplace(block->get_string());
    }
  }
  return {{"targets", ToArray(targets)}, {"blocks", ToArray(blocks)}};
}

void RegisterExperimentHoldsJob(jobs::JobRegistry& registry, db::Database& database,
                                const experiments::Repository& repository, AdminClient& client) {
  registry.Register(std::string(experiments::kExperimentHoldsJobKind),
                    [&database, &repository, &client](jobs::JobContext& context) -> Result<void> {
                      if (!context.job.shop_id) return {};
                      return WriteHolds(database, repository, client, *context.job.shop_id);
                    });
}

int QueueExperimentHoldsOfRunningShops(db::Database& database) try {
  return database.Run([](pqxx::work& tx) {
    int queued = 0;
    for (const auto& row : tx.exec("SELECT DISTINCT e.shop_id::text FROM experiments e JOIN shops s ON s.id = e.shop_id "
                                   "WHERE e.status = 'running' AND s.uninstalled_at IS NULL")) {
      jobs::EnqueueOptions options;
      options.shop_id = row[0].as<std::string>();
      options.dedupe_key = "reconcile " + *options.shop_id;
      if (jobs::Enqueue(tx, experiments::kExperimentHoldsJobKind, json::object(), options)) ++queued;
    }
    return queued;
  });
} catch (const std::exception& e) {  // the process still starts; the next lifecycle move writes the holds
  log::Warn("experiment holds were not queued at start", {{"error", e.what()}});
  return 0;
}

}  // namespace pagelift::shopify
