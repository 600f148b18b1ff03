// The subcommands of the pagelift binary. Each returns the process exit code.
#pragma once

#include "core/config.h"

namespace pagelift::app {

// What `serve` runs: the HTTP server, background workers, or both.
enum class Mode { kServe, kWorker };

int RunService(const Config& config, Mode mode);
int RunMigrate(const Config& config);
int RunDemo(Config config);
// Re-encrypts stored Shopify tokens under the first PAGELIFT_TOKEN_KEYS key (src/app/rotate_keys.cpp).
int RunRotateKeys(const Config& config);

}  // namespace pagelift::app
