// pagelift: entry point. Parses the subcommand, loads the configuration from the environment, and dispatches.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "app/lint_command.h"
#include "app/sim_command.h"
#include "core/config.h"
#include "core/log.h"
#include "experiments/stats_command.h"

namespace {

constexpr std::string_view kUsage = R"(pagelift — audits product pages, tests fixes as A/B experiments, ships the winners.

Usage: pagelift <command> [--help]

Commands:
  serve     HTTP API and background workers (needs DATABASE_URL)
  worker    background workers only (needs DATABASE_URL)
  migrate   apply pending database migrations and exit
  demo      everything on a private PostgreSQL under ./var and the Shopify simulator, for a first look
  rotate-keys  re-encrypt stored Shopify tokens under the first PAGELIFT_TOKEN_KEYS key
  lint      audit a product export offline (bulk-operation JSONL or a products JSON array)
  stats     analyse an experiment from its sufficient statistics (JSON on stdin, JSON on stdout)
  shopify-sim  the Shopify simulator (OAuth, Admin GraphQL, bulk operations, webhooks) for tests and the demo
  version   print the version

Configuration comes from environment variables; see README.md.
)";

const std::map<std::string_view, std::string_view>& CommandHelp() {
  static const std::map<std::string_view, std::string_view> help = {
      {"serve", R"(Usage: pagelift serve

Serves the HTTP API (PAGELIFT_LISTEN, default 127.0.0.1:8080) and runs the background workers in the same process
(PAGELIFT_WORKERS=false to serve only). Applies pending migrations first unless PAGELIFT_AUTO_MIGRATE=false.
Requires DATABASE_URL, PAGELIFT_TOKEN_KEYS, SHOPIFY_API_KEY and SHOPIFY_API_SECRET.
SIGTERM or SIGINT: stops accepting, finishes in-flight requests (PAGELIFT_SHUTDOWN_GRACE_MS), exits 0.
)"},
      {"worker", R"(Usage: pagelift worker

Runs the background workers only (partition maintenance, and the job queue). Any number of copies may run: work is
coordinated through PostgreSQL. Requires DATABASE_URL, PAGELIFT_TOKEN_KEYS, SHOPIFY_API_KEY and SHOPIFY_API_SECRET
(its jobs refresh and use the shops' Shopify tokens).
)"},
      {"migrate", R"(Usage: pagelift migrate

Applies the pending migrations embedded in this binary to DATABASE_URL and exits. Safe to run from several copies at
once (an advisory lock makes exactly one apply them). Refuses to run when an applied migration has changed.
)"},
      {"demo", R"(Usage: pagelift demo

Without DATABASE_URL: initialises a private PostgreSQL cluster under ./var/pg (reused on the next run), generates a
token-encryption key under ./var, migrates, and serves on PAGELIFT_LISTEN (default 127.0.0.1:8080). Without
SHOPIFY_ADMIN_BASE_URL: starts the Shopify simulator with a seeded store (SIM_LISTEN, default the next port; SIM_SHOPS,
SIM_PRODUCTS, SIM_ORDERS, SIM_SEED as for shopify-sim), installs the app into the store through OAuth, syncs its
products and orders, and prints the URL that opens the admin. Ctrl-C stops everything; a second run reuses the data.
With DATABASE_URL: uses that database instead of the private cluster.
)"},
      {"stats", R"(Usage: pagelift stats < input.json

Reads one JSON document describing an experiment's per-variant sufficient statistics and prints the analysis as JSON:
the same engine as the results API. Exit 2 with a JSON error on invalid input. Format: docs/statistics.md.
)"},
      {"rotate-keys", R"(Usage: pagelift rotate-keys

Re-encrypts every stored Shopify token that is not under the first key of PAGELIFT_TOKEN_KEYS (put the new key first,
keep the old ones, run this, then drop the old keys). Works in batches, prints the counts as JSON, and is safe to run
again (a second run re-encrypts nothing). Requires DATABASE_URL and PAGELIFT_TOKEN_KEYS. Exit 1 if a token opens with
no configured key.
)"},
      {"shopify-sim", R"(Usage: pagelift shopify-sim

Runs the Shopify simulator on SIM_LISTEN (default 127.0.0.1:9100) and prints its URL: point pagelift's
SHOPIFY_ADMIN_BASE_URL at it. The app it knows: SHOPIFY_API_KEY, SHOPIFY_API_SECRET (comma-separated),
SIM_APP_URL (allowed OAuth redirect prefix; compliance webhooks go to SIM_APP_URL/webhooks/shopify).
Data: SIM_SHOPS (comma-separated, default demo-store.myshopify.com), SIM_SEED, SIM_PRODUCTS (default 300, ≤ 20000),
SIM_ORDERS (default 1000), SIM_EPOCH (RFC 3339 or "now"; default a fixed date). SIGTERM or SIGINT stops it.
Endpoints and the control API: docs/simulator.md.
)"},
      {"lint", pagelift::app::kLintUsage},
      {"version", "Usage: pagelift version\n\nPrints the version.\n"},
  };
  return help;
}

int ConfigError(const pagelift::Error& error) {
  std::cerr << "pagelift: " << error.message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string_view command = argv[1];
  const auto& help = CommandHelp();
  const auto entry = help.find(command);
  if (entry == help.end()) {
    std::cerr << "pagelift: unknown command \"" << command << "\"\n\n" << kUsage;
    return 2;
  }
  // lint takes a file and options of its own.
  if (command == "lint") return pagelift::app::RunLintCommand(argc - 2, argv + 2, std::cin, std::cout, std::cerr);
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << entry->second;
      return 0;
    }
    std::cerr << "pagelift " << command << ": unexpected argument \"" << argv[i] << "\"\n\n" << entry->second;
    return 2;
  }

  if (command == "version") {
    std::cout << "pagelift " << PAGELIFT_VERSION << "\n";
    return 0;
  }
  if (command == "stats") return pagelift::experiments::RunStatsCommand(std::cin, std::cout);
  if (command == "shopify-sim") return pagelift::app::RunShopifySim(pagelift::ProcessEnv());

  auto config = pagelift::LoadConfig(pagelift::ProcessEnv());
  if (!config) return ConfigError(config.error());
  pagelift::log::SetLevel(config->log_level);

  if (command == "migrate") return pagelift::app::RunMigrate(*config);
  if (command == "demo") return pagelift::app::RunDemo(*config);
  if (command == "rotate-keys") return pagelift::app::RunRotateKeys(*config);
  if (command == "serve") return pagelift::app::RunService(*config, pagelift::app::Mode::kServe);
  return pagelift::app::RunService(*config, pagelift::app::Mode::kWorker);
}
