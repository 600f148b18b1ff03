#include "app/sim_command.h"

#include <signal.h>

#include <charconv>
#include <iostream>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/time.h"
#include "shopify-sim/simulator.h"

namespace pagelift::app {
namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    auto item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) items.push_back(item);
    start = end + 1;
  }
  return items;
}

template <typename T>
bool ParseNumber(const std::string& text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

int Usage(const std::string& message) {
  std::cerr << "pagelift shopify-sim: " << message << "\n";
  return 2;
}

}  // namespace

Result<shopify_sim::SimulatorOptions> SimulatorOptionsFromEnv(const EnvLookup& env,
                                                             shopify_sim::SimulatorOptions options,
                                                             const std::string& default_listen,
                                                             const std::string& default_app_url) {
  auto usage = [](std::string message) { return MakeError(ErrorCode::kBadRequest, std::move(message)); };
  const auto listen = env("SIM_LISTEN").value_or(default_listen);
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || !ParseNumber(listen.substr(colon + 1), options.port)) {
    return usage("SIM_LISTEN must be host:port, e.g. 127.0.0.1:9100");
  }
  options.host = listen.substr(0, colon);
  if (auto key = env("SHOPIFY_API_KEY")) options.api_key = *key;
  if (auto secrets = env("SHOPIFY_API_SECRET")) {
    options.api_secrets = SplitList(*secrets);
    if (options.api_secrets.empty()) return usage("SHOPIFY_API_SECRET is empty");
  }
  if (auto version = env("SHOPIFY_API_VERSION")) options.api_version = *version;
  if (auto scopes = env("SHOPIFY_SCOPES")) options.scopes = *scopes;
  const auto app_url = env("SIM_APP_URL").value_or(default_app_url);
  options.redirect_urls = {app_url};
  options.compliance_url = app_url + "/webhooks/shopify";
  if (auto url = env("SIM_PUBLIC_URL")) options.public_url = *url;
  if (auto seed = env("SIM_SEED"); seed && !ParseNumber(*seed, options.seed)) return usage("SIM_SEED must be an integer");
  if (auto products = env("SIM_PRODUCTS");
      products && (!ParseNumber(*products, options.products) || options.products < 0 || options.products > 20000)) {
    return usage("SIM_PRODUCTS must be an integer from 0 to 20000");
  }
  if (auto orders = env("SIM_ORDERS");
      orders && (!ParseNumber(*orders, options.orders) || options.orders < 0 || options.orders > 200000)) {
    return usage("SIM_ORDERS must be an integer from 0 to 200000");
  }
  if (auto shops = env("SIM_SHOPS")) options.shops = SplitList(*shops);
  if (options.shops.empty()) return usage("SIM_SHOPS names no shop");
  if (auto epoch = env("SIM_EPOCH")) {
    if (*epoch == "now") {
      options.epoch = std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now());
    } else if (auto parsed = ParseRfc3339(*epoch)) {
      options.epoch = *parsed;
    } else {
      return usage("SIM_EPOCH must be an RFC 3339 time or \"now\"");
    }
  }
  return options;
}

int RunShopifySim(const EnvLookup& env) {
  auto parsed = SimulatorOptionsFromEnv(env, {}, "127.0.0.1:9100", "http://127.0.0.1:8080");
  if (!parsed) return Usage(parsed.error().message);
  const shopify_sim::SimulatorOptions options = std::move(parsed).value();

  // Block the shutdown signals before any thread starts, so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    shopify_sim::Simulator simulator(options);
    simulator.Start();
    std::cout << "shopify-sim listening on " << simulator.base_url() << " (SHOPIFY_ADMIN_BASE_URL); shops:";
    for (const auto& shop : options.shops) std::cout << " " << shop;
    std::cout << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    log::Info("shopify-sim stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
    simulator.Shutdown();
  } catch (const std::exception& e) {
    std::cerr << "pagelift shopify-sim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace pagelift::app
