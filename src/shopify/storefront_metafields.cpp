// The storefront_metafields job. See storefront_metafields.h.
#include "shopify/storefront_metafields.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <optional>
#include <set>

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

json::object AppMetafield(std::string_view owner_gid, std::string_view key, std::string_view type,
                          std::string_view value) {
  return {{"ownerId", owner_gid}, {"namespace", "$app"}, {"key", key}, {"type", type}, {"value", value}};
}

// What the storefront is told, or nullopt when the shop is gone (uninstalled or deleted).
struct StorefrontState {
  std::string domain;
  std::string public_id;
  json::object holds;
};

std::optional<StorefrontState> LoadState(db::Database& database, const experiments::Repository& repository,
                                         const std::string& shop_id) {
  return database.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) -> std::optional<StorefrontState> {
    const auto shop = tx.exec_params(
        "SELECT domain, public_id FROM shops WHERE id = $1::uuid AND uninstalled_at IS NULL", shop_id);
    if (shop.empty()) return std::nullopt;
    return StorefrontState{shop[0][0].as<std::string>(), shop[0][1].as<std::string>(),
                           ExperimentHolds(experiments::ListExperiments(tx, repository, shop_id,
                                                                        experiments::Status::kRunning))};
  });
}

Result<void> WriteStorefrontMetafields(db::Database& database, const experiments::Repository& repository,
                                       AdminClient& client, const std::string& shop_id) {
  const auto before = LoadState(database, repository, shop_id);
  if (!before) return {};
  const ShopRef shop{shop_id, before->domain};
  auto info = client.Execute(shop, "ShopInfo");
  if (!info) return info.error();
  const auto* shop_object = info->if_contains("shop");
  const auto* gid = shop_object && shop_object->is_object() ? shop_object->get_object().if_contains("id") : nullptr;
  if (!gid || !gid->is_string()) return MakeError(ErrorCode::kUnavailable, "ShopInfo answered without the shop's id");
  auto written = client.Execute(
      shop, "MetafieldsSet",
      {{"metafields", StorefrontMetafieldsInput(gid->get_string(), before->public_id, before->holds)}});
  if (!written) return written.error();
  const auto after = LoadState(database, repository, shop_id);
  if (after && after->holds != before->holds) {
    return MakeError(ErrorCode::kConflict, "the running experiments changed while their holds were written");
  }
  log::Info("storefront metafields written",
            {{"shop_id", shop_id}, {"public_id", before->public_id}, {"holds", before->holds}});
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

json::array StorefrontMetafieldsInput(std::string_view shop_gid, std::string_view public_id,
                                      const json::object& holds) {
  return {AppMetafield(shop_gid, kShopPublicIdKey, "single_line_text_field", public_id),
          AppMetafield(shop_gid, kExperimentHoldsKey, "json", json::serialize(holds))};
}

void RegisterStorefrontMetafieldsJob(jobs::JobRegistry& registry, db::Database& database,
                                     const experiments::Repository& repository, AdminClient& client) {
  const auto handler = [&database, &repository, &client](jobs::JobContext& context) -> Result<void> {
    if (!context.job.shop_id) return {};
    return WriteStorefrontMetafields(database, repository, client, *context.job.shop_id);
  };
  registry.Register(std::string(experiments::kStorefrontMetafieldsJobKind), handler);
}

bool EnqueueStorefrontMetafields(pqxx::work& tx, const std::string& shop_id) {
  jobs::EnqueueOptions options;
  options.shop_id = shop_id;
  options.dedupe_key = shop_id;
  return jobs::Enqueue(tx, experiments::kStorefrontMetafieldsJobKind, json::object(), options).has_value();
}

int QueueStorefrontMetafieldsOfInstalledShops(db::Database& database) try {
  return database.Run([](pqxx::work& tx) {
    int queued = 0;
    for (const auto& row : tx.exec("SELECT id::text FROM shops WHERE uninstalled_at IS NULL")) {
      if (EnqueueStorefrontMetafields(tx, row[0].as<std::string>())) ++queued;
    }
    return queued;
  });
} catch (const std::exception& e) {  // the process still starts; install and lifecycle moves queue the job too
  log::Warn("storefront metafields were not queued at start", {{"error", e.what()}});
  return 0;
}

}  // namespace pagelift::shopify
