// `pagelift shopify-sim`: the Shopify simulator (tools/shopify-sim) as a process of its own, configured by
// environment (docs/simulator.md). Runs until SIGTERM or SIGINT.
#pragma once

#include "core/config.h"

namespace pagelift::app {

int RunShopifySim(const EnvLookup& env);

}  // namespace pagelift::app
