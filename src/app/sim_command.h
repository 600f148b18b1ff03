// `pagelift shopify-sim`: the Shopify simulator (tools/shopify-sim) as a process of its own, configured by
// environment (docs/simulator.md). Runs until SIGTERM or SIGINT.
#pragma once

#include <string>

#include "core/config.h"
#include "core/error.h"
#include "shopify-sim/simulator.h"

namespace pagelift::app {

// `options` overridden by the environment (docs/simulator.md: SIM_LISTEN, SIM_APP_URL, SIM_SEED, SIM_PRODUCTS,
// SIM_ORDERS, SIM_SHOPS, SIM_EPOCH, SIM_PUBLIC_URL, SHOPIFY_API_KEY/SECRET/SCOPES/API_VERSION); the defaults of
// SIM_LISTEN and SIM_APP_URL are given. kBadRequest naming the malformed variable. Shared by `shopify-sim` and `demo`.
Result<shopify_sim::SimulatorOptions> SimulatorOptionsFromEnv(const EnvLookup& env,
                                                             shopify_sim::SimulatorOptions options,
                                                             const std::string& default_listen,
                                                             const std::string& default_app_url);

int RunShopifySim(const EnvLookup& env);

}  // namespace pagelift::app
