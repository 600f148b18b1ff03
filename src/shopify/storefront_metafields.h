// The app-owned shop metafields the theme app extension renders from (docs/decisions.md, "The storefront's shop id
// comes from an app-owned shop metafield"), written by one job, storefront_metafields:
//   - $app.shop_public_id (single_line_text_field) = shops.public_id: the id pagelift.js sends to /v1/collect and
//     fetches /v1/sdk/{id}.json with (snippets/pagelift-config.liquid; a block setting overrides it);
//   - $app.experiment_holds (json) = {"targets": ["product_page:badge", ...], "blocks": ["trust_badges", ...]}: the
//     targets and blocks of the running experiments, which the app embed (blocks/app-embed.liquid) holds before the
//     first paint (docs/decisions.md, "Hold a page only for a running experiment"). Liquid is the only thing that runs
//     before the first paint, so the app tells it; a page none of whose targets or blocks is listed is painted at once.
// Both live on the Shop, in the reserved $app namespace (app--{client id}: only this app writes them, Liquid reads them
// as shop.metafields['$app'].<key>), and are written together by one metafieldsSet.
//
// When: after install (the shop_installed job queues it with the first syncs), on every move into or out of running
// (experiments/lifecycle.h queues it in the move's transaction), and once per installed shop
// when `serve`/`worker` start, so that a metafield lost without either (a job that ran out of attempts, the demo's
// simulator restarted over a kept database) is written again.
//
// Staleness of the holds is harmless either way: a target listed after its experiment stopped holds the page as before
// this metafield existed (until the script is ready); a running experiment not yet listed is not applied on a page
// that was painted (pagelift.js applies layout-moving variants only to a held page; the next page view applies it).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "experiments/definition.h"
#include "experiments/repository.h"
#include "jobs/queue.h"
#include "shopify/admin_client.h"

namespace pagelift::shopify {

inline constexpr std::string_view kShopPublicIdKey = "shop_public_id";
inline constexpr std::string_view kExperimentHoldsKey = "experiment_holds";

// Pure: the experiment_holds value for these running experiments: their targets, and the blocks their variants show
// or hide (config "block"), each sorted and unique. A block name the app embed could not put in a CSS attribute
// selector as it is (anything but letters, digits, '_' and '-') is left out: that block is then not held.
boost::json::object ExperimentHolds(const std::vector<experiments::Experiment>& running);

// Pure: the metafieldsSet input (MetafieldsSetInput list) writing both metafields on the Shop `shop_gid`.
boost::json::array StorefrontMetafieldsInput(std::string_view shop_gid, std::string_view public_id,
                                             const boost::json::object& holds);

// Registers the job (experiments::kStorefrontMetafieldsJobKind, which lifecycle moves queue too): it reads the shop's
// public id and running experiments, its Shop gid (ShopInfo), writes both metafields with MetafieldsSet, then reads
// the running experiments again and fails (to be retried) when they changed meanwhile, so that a job which read
// before a later commit cannot leave the older holds behind. An uninstalled shop's job does nothing.
void RegisterStorefrontMetafieldsJob(jobs::JobRegistry& registry, db::Database& database,
                                     const experiments::Repository& repository, AdminClient& client);

// Queues the shop's storefront_metafields job in the caller's transaction (at most one queued or running per shop:
// the public id does not change, and a lifecycle move queues its own job). Returns whether one was queued.
bool EnqueueStorefrontMetafields(pqxx::work& tx, const std::string& shop_id);

// Queues one storefront_metafields job per installed shop (deduplicated as above). `serve` and `worker` call it once
// at start when they run jobs. Returns how many were queued (0, with a warning logged, when the database cannot be
// reached: the process starts all the same).
int QueueStorefrontMetafieldsOfInstalledShops(db::Database& database);

}  // namespace pagelift::shopify
