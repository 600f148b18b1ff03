// Every SQL statement on the `shops` table (STYLE.md: one repository per table). Tokens go in and out encrypted with
// the key ring (shopify/token_cipher.h), bound to the shop's domain; callers pass plaintext tokens and get them back
// only through DecryptShopToken. Functions take the caller's transaction so that an install, its job and its tokens
// commit together. Every function that touches one shop's row takes that shop's id or canonical domain explicitly.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/time.h"

namespace pagelift::shopify {

struct ShopRow {
  std::string id;         // UUID text
  std::string public_id;
  std::string domain;     // canonical "{name}.myshopify.com"
  std::string plan;
  std::string scope;
  TimePoint installed_at{};
  std::optional<TimePoint> uninstalled_at;
  std::optional<TimePoint> reauth_required_at;
  boost::json::object settings;
  std::string access_token_enc;                       // raw ciphertext bytes (empty after an uninstall)
  std::optional<TimePoint> access_token_expires_at;   // nullopt: a non-expiring token
  std::optional<std::string> refresh_token_enc;
  std::optional<TimePoint> refresh_token_expires_at;

  bool installed() const { return !uninstalled_at.has_value(); }
};

// What Shopify's token endpoint returned (authorization code, token exchange or refresh).
struct ShopTokens {
  std::string access_token;
  std::string scope;
  std::optional<std::chrono::seconds> expires_in;          // nullopt: a non-expiring token
  std::optional<std::string> refresh_token;
  std::optional<std::chrono::seconds> refresh_token_expires_in;
};

std::optional<ShopRow> FindShopByDomain(pqxx::work& tx, std::string_view domain);
std::optional<ShopRow> FindShopById(pqxx::work& tx, std::string_view shop_id);
// The same, holding the row lock until the transaction ends (serialises token refreshes across copies).
std::optional<ShopRow> LockShopById(pqxx::work& tx, std::string_view shop_id);

struct UpsertOutcome {
  ShopRow shop;
  // True when the shop had no row or had been uninstalled: the install follow-ups (webhook subscriptions, sync) run.
  bool newly_installed = false;
};

// Inserts the shop or updates its tokens; a reinstall clears uninstalled_at and reauth_required_at and resets
// installed_at. `now` anchors the expiry times.
UpsertOutcome UpsertShopTokens(pqxx::work& tx, const crypto::KeyRing& keys, std::string_view domain,
                               const ShopTokens& tokens, TimePoint now);

// Stores a refresh's result: the new access and refresh tokens and their expiries in one UPDATE.
void StoreRefreshedTokens(pqxx::work& tx, const crypto::KeyRing& keys, const ShopRow& shop, const ShopTokens& tokens,
                          TimePoint now);

void MarkReauthRequired(pqxx::work& tx, std::string_view shop_id);

// Sets uninstalled_at (kept if already set) and forgets the tokens (Shopify revoked them). Returns the shop's id, or
// nullopt when the domain has no row or the uninstall is older than the current installation (a stale delivery).
std::optional<std::string> MarkUninstalled(pqxx::work& tx, std::string_view domain,
                                           std::optional<TimePoint> triggered_at);

void UpdateSettings(pqxx::work& tx, std::string_view shop_id, const boost::json::object& settings);

// One batch of `rotate-keys`: shops with id > after, in id order, locked; returns the rows seen.
std::vector<ShopRow> LockShopsAfter(pqxx::work& tx, std::string_view after_id, int limit);
// Replaces the stored ciphertexts (already re-encrypted by the caller) without touching anything else.
void ReplaceTokenCiphertexts(pqxx::work& tx, std::string_view shop_id, const std::string& access_token_enc,
                             const std::optional<std::string>& refresh_token_enc);

}  // namespace pagelift::shopify
