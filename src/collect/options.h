// The collector's settings from the environment (README.md, "Configuration"): the per-shop rate limit and the group
// commit's tuning. Kept here rather than in core/config.h because only the collector reads them; app/service.cpp
// passes the result to Collector.
//   PAGELIFT_COLLECT_SHOP_RATE   events per second per shop and server (0 turns the limit off; default 20000)
//   PAGELIFT_COLLECT_SHOP_BURST  events a shop may send at once after a quiet spell (default 100000, at least 500)
//   PAGELIFT_COLLECT_FLUSHERS    group commits in flight at once, each on its own connection (default 1, 1 to 4:
//                                the pool keeps connections for other work). One wins on 2 cores: requests
//                                gather while it commits, and two COPYs at once cost PostgreSQL more per event
//   PAGELIFT_COLLECT_MAX_DELAY_US  how long a group waits for company while another commits (default 2000, to 100000)
#pragma once

#include "collect/collector.h"
#include "core/config.h"
#include "core/error.h"

namespace pagelift::collect {

// The first malformed variable yields a kBadRequest error naming it.
Result<CollectorOptions> LoadCollectorOptions(const EnvLookup& env);

}  // namespace pagelift::collect
