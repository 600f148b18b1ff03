// A valid Admin API access token for a shop, whenever a capability needs one. Decrypts the stored token; refreshes an
// expiring offline token when it is within kRefreshAhead of its expiry, or after the Admin API rejected it (Invalidate).
// Refreshes are serialised per shop across every copy of pagelift by the row lock (SELECT … FOR UPDATE) held during the
// refresh: a second caller waits, then finds the fresh token and uses it instead of refreshing again (Shopify's refresh
// tokens rotate, so two refreshes at once could leave a copy holding a dead token). The new access and refresh tokens
// are stored in one UPDATE. A refused refresh (invalid_grant) marks the shop reauth_required. Tokens never reach logs.
// Blocking (database and HTTP): call from job threads or through db::Database::Offload.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/error.h"
#include "core/time.h"
#include "db/database.h"
#include "shopify/oauth.h"

namespace pagelift::shopify {

inline constexpr std::chrono::minutes kRefreshAhead{5};

class TokenStore {
 public:
  // The refresh call; production uses RefreshAccessToken, tests may count calls.
  using Refresher = std::function<Result<ShopTokens>(std::string_view shop, std::string_view refresh_token)>;

  TokenStore(db::Database& database, const crypto::KeyRing& keys, AppCredentials app);
  TokenStore(db::Database& database, const crypto::KeyRing& keys, Refresher refresher);

  // kNotFound: no such shop. kUnauthorized (details.reauthorize = true): uninstalled, marked for re-auth, or the
  // refresh was refused. kUnavailable: Shopify or PostgreSQL could not be reached (retry later).
  Result<std::string> AccessTokenFor(std::string_view shop_id);

  // The Admin API answered 401 to `rejected_token`: the next AccessTokenFor refreshes (once, across copies) unless
  // the stored token is already a different one.
  void Invalidate(std::string_view shop_id, std::string_view rejected_token);

  // Refreshes performed by this object (tests and metrics).
  long long refreshes() const;

 private:
  enum class Freshness { kUsable, kNeedsRefresh, kUnusable };
  Freshness Assess(const ShopRow& shop, const std::string& token, TimePoint now) const;
  Result<std::string> RefreshLocked(std::string_view shop_id);
  bool IsRejected(std::string_view shop_id, const std::string& token) const;

  db::Database& database_;
  const crypto::KeyRing& keys_;
  Refresher refresher_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> rejected_;  // shop id → SHA-256 of the rejected token
  long long refreshes_ = 0;
};

// `pagelift rotate-keys`: re-encrypts under the ring's primary key every stored token whose ciphertext is under another
// key, in batches of `batch_size` shops (each batch one transaction holding its rows' locks). Idempotent: a second run
// finds nothing to do. A ciphertext no key of the ring opens is counted in `failed` and left as it is.
struct KeyRotationReport {
  long long shops_scanned = 0;
  long long tokens_reencrypted = 0;
  long long shops_updated = 0;
  long long failed = 0;
};
KeyRotationReport RotateShopTokenKeys(db::Database& database, const crypto::KeyRing& keys, int batch_size = 100);

}  // namespace pagelift::shopify
