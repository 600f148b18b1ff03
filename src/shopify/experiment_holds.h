// The storefront's experiment hold, kept in step with the running experiments (docs/decisions.md, "Hold a page only
// for a running experiment"). The app embed (extensions/pagelift-theme/blocks/app-embed.liquid) hides a page until
// pagelift.js has applied its variants, but Liquid is the only thing that runs before the first paint, so the app
// tells it which targets and blocks have a running experiment: the app-owned shop metafield $app.experiment_holds
// (type json) = {"targets": ["product_page:badge", ...], "blocks": ["trust_badges", ...]}, written with
// metafieldsSet by the experiment_holds job that every move into or out of running enqueues
// (experiments/lifecycle.h). A page none of whose targets or blocks is listed is painted at once.
//
// Staleness is harmless either way: a target listed after its experiment stopped holds the page as before this
// metafield existed (until the script is ready); a running experiment not yet listed is not applied on a page that
// was painted (pagelift.js applies layout-moving variants only to a held page; the next page view applies it).
#pragma once

#include <boost/json/object.hpp>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "experiments/definition.h"
#include "experiments/repository.h"
#include "jobs/queue.h"
#include "shopify/admin_client.h"

namespace pagelift::shopify {

inline constexpr std::string_view kExperimentHoldsKey = "experiment_holds";

// Pure: the metafield's value for these running experiments: their targets, and the blocks their variants show or
// hide (config "block"), each sorted and unique. A block name the app embed could not put in a CSS attribute
// selector as it is (anything but letters, digits, '_' and '-') is left out: that block is then not held.
boost::json::object ExperimentHolds(const std::vector<experiments::Experiment>& running);

// The experiment_holds job (experiments::kExperimentHoldsJobKind): reads the shop's running experiments, its Shop
// gid (ShopInfo), writes the metafield on the Shop with MetafieldsSet, then reads the running experiments again and
// fails (to be retried) when they changed meanwhile, so that a job which read before a later commit cannot leave
// the older value behind. An uninstalled shop's job does nothing.
void RegisterExperimentHoldsJob(jobs::JobRegistry& registry, db::Database& database,
                                const experiments::Repository& repository, AdminClient& client);

// Queues one experiment_holds job per installed shop with a running experiment (at most one such job per shop at a
// time: dedupe key "reconcile <shop id>"), so that the metafield is written again after anything that may have lost
// it without a lifecycle move (a reinstall, a failed job that ran out of attempts, a simulator restarted over a kept
// database). `serve` and `worker` call it once at start when they run jobs. Returns how many jobs were queued (0, with a
// warning logged, when the database cannot be reached: the process starts all the same).
int QueueExperimentHoldsOfRunningShops(db::Database& database);

}  // namespace pagelift::shopify
