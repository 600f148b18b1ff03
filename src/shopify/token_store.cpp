#include "shopify/token_store.h"

#include "core/log.h"
#include "shopify/token_cipher.h"

namespace pagelift::shopify {

namespace {

Error Reauthorize(std::string message) {
  return MakeError(ErrorCode::kUnauthorized, std::move(message), {{"reauthorize", true}});
}

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

}  // namespace

TokenStore::TokenStore(db::Database& database, const crypto::KeyRing& keys, AppCredentials app)
    : TokenStore(database, keys, [app = std::move(app)](std::string_view shop, std::string_view refresh_token) {
        return RefreshAccessToken(app, shop, refresh_token);
      }) {}

TokenStore::TokenStore(db::Database& database, const crypto::KeyRing& keys, Refresher refresher)
    : database_(database), keys_(keys), refresher_(std::move(refresher)) {}

long long TokenStore::refreshes() const {
  std::lock_guard lock(mutex_);
  return refreshes_;
}

void TokenStore::Invalidate(std::string_view shop_id, std::string_view rejected_token) {
  std::lock_guard lock(mutex_);
  rejected_[std::string(shop_id)] = crypto::Sha256(rejected_token);
}

bool TokenStore::IsRejected(std::string_view shop_id, const std::string& token) const {
  std::lock_guard lock(mutex_);
  auto it = rejected_.find(shop_id);
  return it != rejected_.end() && crypto::ConstantTimeEquals(it->second, crypto::Sha256(token));
}

TokenStore::Freshness TokenStore::Assess(const ShopRow& shop, const std::string& token, TimePoint now) const {
  const bool expiring = shop.access_token_expires_at.has_value();
  const bool due = expiring && now + kRefreshAhead >= *shop.access_token_expires_at;
  if (!due && !IsRejected(shop.id, token)) return Freshness::kUsable;
  if (shop.refresh_token_enc) return Freshness::kNeedsRefresh;
  // A non-expiring token that Shopify rejected, or an expiring one without a refresh token: only a new install helps.
  return Freshness::kUnusable;
}

Result<std::string> TokenStore::AccessTokenFor(std::string_view shop_id) {
  auto shop = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) { return FindShopById(tx, shop_id); });
  if (!shop) return MakeError(ErrorCode::kNotFound, "no such shop");
  if (!shop->installed()) return Reauthorize("the shop has uninstalled the app");
  if (shop->reauth_required_at) return Reauthorize("the shop must authorize the app again");
  auto token = DecryptShopToken(keys_, shop->domain, TokenKind::kAccess, shop->access_token_enc);
  if (!token) return std::move(token).error();
  switch (Assess(*shop, *token, Now())) {
    case Freshness::kUsable:
      return token;
    case Freshness::kUnusable:
      database_.Run([&](pqxx::work& tx) { MarkReauthRequired(tx, shop->id); });
      log::Warn("shop token unusable and not refreshable; re-authentication required", {{"shop", shop->domain}});
      return Reauthorize("the shop's access token is no longer valid");
    case Freshness::kNeedsRefresh:
      break;
  }
  return RefreshLocked(shop_id);
}

Result<std::string> TokenStore::RefreshLocked(std::string_view shop_id) {
  // The row lock is held across the HTTP call on purpose: it is what makes one refresh per shop at a time.
  // A refusal is recorded after the transaction (MarkReauthRequired in its own), so the lock is released first.
  std::optional<Error> refused;
  std::string domain;
  auto result = database_.Run([&](pqxx::work& tx) -> Result<std::string> {
    refused.reset();
    auto shop = LockShopById(tx, shop_id);
    if (!shop) return MakeError(ErrorCode::kNotFound, "no such shop");
    domain = shop->domain;
    if (!shop->installed() || shop->reauth_required_at) return Reauthorize("the shop must authorize the app again");
    auto token = DecryptShopToken(keys_, shop->domain, TokenKind::kAccess, shop->access_token_enc);
    if (!token) return std::move(token).error();
    // Another caller (this copy or another) may have refreshed while we waited for the lock.
    const auto freshness = Assess(*shop, *token, Now());
    if (freshness == Freshness::kUsable) return token;
    if (freshness == Freshness::kUnusable) {
      refused = Reauthorize("the shop's access token is no longer valid");
      return *refused;
    }
    auto refresh_token = DecryptShopToken(keys_, shop->domain, TokenKind::kRefresh, *shop->refresh_token_enc);
    if (!refresh_token) return std::move(refresh_token).error();
    auto tokens = refresher_(shop->domain, *refresh_token);
    {
      std::lock_guard lock(mutex_);
      ++refreshes_;
    }
    if (!tokens) {
      if (tokens.error().code == ErrorCode::kUnauthorized) refused = tokens.error();
      return std::move(tokens).error();
    }
    StoreRefreshedTokens(tx, keys_, *shop, *tokens, Now());
    log::Info("shop access token refreshed", {{"shop", shop->domain}});
    return tokens->access_token;
  });
  if (refused) {
    database_.Run([&](pqxx::work& tx) { MarkReauthRequired(tx, shop_id); });
    log::Warn("Shopify refused the shop's refresh token; re-authentication required", {{"shop", domain}});
  }
  if (result) {
    std::lock_guard lock(mutex_);
    rejected_.erase(std::string(shop_id));
  }
  return result;
}

namespace {

// Re-encrypts one ciphertext when it is not under the primary key. nullopt: nothing to do; throws nothing.
std::optional<Result<std::string>> Reencrypt(const crypto::KeyRing& keys, std::string_view domain, TokenKind kind,
                                             const std::string& blob) {
  if (blob.empty() || !NeedsReencryption(keys, blob)) return std::nullopt;
  auto plain = DecryptShopToken(keys, domain, kind, blob);
  if (!plain) return Result<std::string>(std::move(plain).error());
  return Result<std::string>(EncryptShopToken(keys, domain, kind, *plain));
}

}  // namespace

KeyRotationReport RotateShopTokenKeys(db::Database& database, const crypto::KeyRing& keys, int batch_size) {
  KeyRotationReport report;
  std::string after = "00000000-0000-0000-0000-000000000000";
  while (true) {
    KeyRotationReport batch;
    std::string last;
    database.Run([&](pqxx::work& tx) {
      batch = {};
      last.clear();
      for (const auto& shop : LockShopsAfter(tx, after, batch_size)) {
        last = shop.id;
        ++batch.shops_scanned;
        std::string access = shop.access_token_enc;
        std::optional<std::string> refresh = shop.refresh_token_enc;
        bool changed = false;
        bool failed = false;
        if (auto next = Reencrypt(keys, shop.domain, TokenKind::kAccess, access)) {
          if (*next) {
            access = **next;
            changed = true;
            ++batch.tokens_reencrypted;
          } else {
            failed = true;
          }
        }
        if (refresh) {
          if (auto next = Reencrypt(keys, shop.domain, TokenKind::kRefresh, *refresh)) {
            if (*next) {
              refresh = **next;
              changed = true;
              ++batch.tokens_reencrypted;
            } else {
              failed = true;
            }
          }
        }
        if (failed) {
          ++batch.failed;
          log::Error("rotate-keys: a stored token opens with no key of PAGELIFT_TOKEN_KEYS", {{"shop", shop.domain}});
        }
        if (changed) {
          ReplaceTokenCiphertexts(tx, shop.id, access, refresh);
          ++batch.shops_updated;
        }
      }
    });
    report.shops_scanned += batch.shops_scanned;
    report.tokens_reencrypted += batch.tokens_reencrypted;
    report.shops_updated += batch.shops_updated;
    report.failed += batch.failed;
    if (last.empty()) break;
    after = last;
  }
  return report;
}

}  // namespace pagelift::shopify
