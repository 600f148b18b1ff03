// `pagelift rotate-keys`: re-encrypts every stored Shopify token under the first key of PAGELIFT_TOKEN_KEYS, so the
// older keys can then be removed from the variable. Prints what it did as one JSON line; safe to run again.
#include <boost/json/serialize.hpp>
#include <iostream>

#include "app/commands.h"
#include "core/crypto.h"
#include "db/database.h"
#include "shopify/token_store.h"

namespace pagelift::app {

int RunRotateKeys(const Config& config) {
  if (!config.database_url) {
    std::cerr << "pagelift rotate-keys: environment variable DATABASE_URL is required\n";
    return 2;
  }
  if (!config.token_keys) {
    std::cerr << "pagelift rotate-keys: environment variable PAGELIFT_TOKEN_KEYS is required (new key first)\n";
    return 2;
  }
  auto keys = crypto::KeyRing::Parse(*config.token_keys);
  if (!keys) {
    std::cerr << "pagelift rotate-keys: PAGELIFT_TOKEN_KEYS is malformed: " << keys.error().message << "\n";
    return 2;
  }
  try {
    db::Database database(*config.database_url, 1);
    const auto report = shopify::RotateShopTokenKeys(database, *keys);
    std::cout << boost::json::serialize(boost::json::object{{"primary_key", keys->PrimaryKeyId()},
                                                            {"shops_scanned", report.shops_scanned},
                                                            {"shops_updated", report.shops_updated},
                                                            {"tokens_reencrypted", report.tokens_reencrypted},
                                                            {"failed", report.failed}})
              << "\n";
    database.Shutdown();
    return report.failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "pagelift rotate-keys: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace pagelift::app
