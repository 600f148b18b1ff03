#include "shopify/shops_repository.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <vector>

#include "shopify/token_cipher.h"

namespace pagelift::shopify {

namespace json = boost::json;

namespace {

// Timestamps cross the wire as microseconds since the epoch and BYTEA as hex, so no text format needs parsing.
constexpr const char* kColumns =
    "id::text, public_id, domain, plan, COALESCE(scope, ''), "
    "(extract(epoch FROM installed_at) * 1000000)::bigint, "
    "(extract(epoch FROM uninstalled_at) * 1000000)::bigint, "
    "(extract(epoch FROM reauth_required_at) * 1000000)::bigint, "
    "settings::text, encode(access_token_enc, 'hex'), "
    "(extract(epoch FROM access_token_expires_at) * 1000000)::bigint, "
    "encode(refresh_token_enc, 'hex'), "
    "(extract(epoch FROM refresh_token_expires_at) * 1000000)::bigint ";

std::optional<TimePoint> Micros(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return TimePoint(std::chrono::microseconds(field.as<long long>()));
}

std::string Unhex(const pqxx::field& field) { return crypto::HexDecode(field.as<std::string>()).value_or(""); }

ShopRow ReadRow(const pqxx::row& row) {
  ShopRow shop;
  shop.id = row[0].as<std::string>();
  shop.public_id = row[1].as<std::string>();
  shop.domain = row[2].as<std::string>();
  shop.plan = row[3].as<std::string>();
  shop.scope = row[4].as<std::string>();
  shop.installed_at = *Micros(row[5]);
  shop.uninstalled_at = Micros(row[6]);
  shop.reauth_required_at = Micros(row[7]);
  auto settings = json::parse(row[8].as<std::string>());
  if (settings.is_object()) shop.settings = std::move(settings.as_object());
  shop.access_token_enc = Unhex(row[9]);
  shop.access_token_expires_at = Micros(row[10]);
  if (!row[11].is_null()) shop.refresh_token_enc = Unhex(row[11]);
  shop.refresh_token_expires_at = Micros(row[12]);
  return shop;
}

std::optional<ShopRow> FirstRow(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return ReadRow(rows[0]);
}

std::optional<std::string> ExpiryText(TimePoint now, const std::optional<std::chrono::seconds>& lifetime) {
  if (!lifetime) return std::nullopt;
  return FormatRfc3339Millis(now + *lifetime);
}

struct EncryptedTokens {
  std::string access_hex;
  std::optional<std::string> refresh_hex;
  std::optional<std::string> access_expires;
  std::optional<std::string> refresh_expires;
};

EncryptedTokens Encrypt(const crypto::KeyRing& keys, std::string_view domain, const ShopTokens& tokens,
                        TimePoint now) {
  EncryptedTokens out;
  out.access_hex = crypto::HexEncode(EncryptShopToken(keys, domain, TokenKind::kAccess, tokens.access_token));
  if (tokens.refresh_token) {
    out.refresh_hex = crypto::HexEncode(EncryptShopToken(keys, domain, TokenKind::kRefresh, *tokens.refresh_token));
    out.refresh_expires = ExpiryText(now, tokens.refresh_token_expires_in);
  }
  out.access_expires = ExpiryText(now, tokens.expires_in);
  return out;
}

}  // namespace

std::optional<ShopRow> FindShopByDomain(pqxx::work& tx, std::string_view domain) {
  return FirstRow(tx.exec_params(std::string("SELECT ") + kColumns + "FROM shops WHERE domain = $1",
                                 std::string(domain)));
}

std::optional<ShopRow> FindShopById(pqxx::work& tx, std::string_view shop_id) {
  return FirstRow(
      tx.exec_params(std::string("SELECT ") + kColumns + "FROM shops WHERE id = $1::uuid", std::string(shop_id)));
}

std::optional<ShopRow> LockShopById(pqxx::work& tx, std::string_view shop_id) {
  return FirstRow(tx.exec_params(std::string("SELECT ") + kColumns + "FROM shops WHERE id = $1::uuid FOR UPDATE",
                                 std::string(shop_id)));
}

UpsertOutcome UpsertShopTokens(pqxx::work& tx, const crypto::KeyRing& keys, std::string_view domain,
                               const ShopTokens& tokens, TimePoint now) {
  const auto enc = Encrypt(keys, domain, tokens, now);
  // xmax = 0 only for a freshly inserted row; `was_uninstalled` reads the row as it was before this statement.
  auto rows = tx.exec_params(
      "WITH before AS (SELECT uninstalled_at FROM shops WHERE domain = $1) "
      "INSERT INTO shops AS s (domain, access_token_enc, access_token_expires_at, refresh_token_enc, "
      "                        refresh_token_expires_at, scope) "
      "VALUES ($1, decode($2, 'hex'), $3::timestamptz, decode($4, 'hex'), $5::timestamptz, $6) "
      "ON CONFLICT (domain) DO UPDATE SET "
      "  access_token_enc = EXCLUDED.access_token_enc, "
      "  access_token_expires_at = EXCLUDED.access_token_expires_at, "
      "  refresh_token_enc = EXCLUDED.refresh_token_enc, "
      "  refresh_token_expires_at = EXCLUDED.refresh_token_expires_at, "
      "  scope = EXCLUDED.scope, "
      "  installed_at = CASE WHEN s.uninstalled_at IS NOT NULL THEN now() ELSE s.installed_at END, "
      "  uninstalled_at = NULL, reauth_required_at = NULL, updated_at = now() "
      "RETURNING id::text, (xmax = 0) AS inserted, "
      "  COALESCE((SELECT uninstalled_at IS NOT NULL FROM before), false) AS was_uninstalled",
      std::string(domain), enc.access_hex, enc.access_expires, enc.refresh_hex, enc.refresh_expires, tokens.scope);
  UpsertOutcome outcome;
  const std::string id = rows[0][0].as<std::string>();
  outcome.newly_installed = rows[0][1].as<bool>() || rows[0][2].as<bool>();
  outcome.shop = *FindShopById(tx, id);
  return outcome;
}

void StoreRefreshedTokens(pqxx::work& tx, const crypto::KeyRing& keys, const ShopRow& shop, const ShopTokens& tokens,
                          TimePoint now) {
  auto enc = Encrypt(keys, shop.domain, tokens, now);
  // Shopify returns a new refresh token on every refresh; if one ever came back without it, keep the old one.
  tx.exec_params(
      "UPDATE shops SET access_token_enc = decode($2, 'hex'), access_token_expires_at = $3::timestamptz, "
      "  refresh_token_enc = COALESCE(decode($4, 'hex'), refresh_token_enc), "
      "  refresh_token_expires_at = CASE WHEN $4 IS NULL THEN refresh_token_expires_at ELSE $5::timestamptz END, "
      "  scope = COALESCE(NULLIF($6, ''), scope), reauth_required_at = NULL, updated_at = now() "
      "WHERE id = $1::uuid",
      shop.id, enc.access_hex, enc.access_expires, enc.refresh_hex, enc.refresh_expires, tokens.scope);
}

void MarkReauthRequired(pqxx::work& tx, std::string_view shop_id) {
  tx.exec_params("UPDATE shops SET reauth_required_at = COALESCE(reauth_required_at, now()), updated_at = now() "
                 "WHERE id = $1::uuid",
                 std::string(shop_id));
}

std::optional<std::string> MarkUninstalled(pqxx::work& tx, std::string_view domain,
                                           std::optional<TimePoint> triggered_at) {
  const std::optional<std::string> at =
      triggered_at ? std::optional<std::string>(FormatRfc3339Millis(*triggered_at)) : std::nullopt;
  // A delivery triggered before the current installation began is about an earlier installation: ignore it.
  auto rows = tx.exec_params(
      "UPDATE shops SET uninstalled_at = COALESCE(uninstalled_at, now()), access_token_enc = '\\x', "
      "  access_token_expires_at = NULL, refresh_token_enc = NULL, refresh_token_expires_at = NULL, "
      "  updated_at = now() "
      "WHERE domain = $1 AND ($2::timestamptz IS NULL OR installed_at <= $2::timestamptz) "
      "RETURNING id::text",
      std::string(domain), at);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void UpdateSettings(pqxx::work& tx, std::string_view shop_id, const json::object& settings) {
  tx.exec_params("UPDATE shops SET settings = $2::jsonb, updated_at = now() WHERE id = $1::uuid", std::string(shop_id),
                 json::serialize(settings));
}

std::vector<ShopRow> LockShopsAfter(pqxx::work& tx, std::string_view after_id, int limit) {
  auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                 "FROM shops WHERE id > $1::uuid ORDER BY id LIMIT $2 FOR UPDATE",
                             std::string(after_id), limit);
  std::vector<ShopRow> shops;
  for (const auto& row : rows) shops.push_back(ReadRow(row));
  return shops;
}

void ReplaceTokenCiphertexts(pqxx::work& tx, std::string_view shop_id, const std::string& access_token_enc,
                             const std::optional<std::string>& refresh_token_enc) {
  const std::optional<std::string> refresh_hex =
      refresh_token_enc ? std::optional<std::string>(crypto::HexEncode(*refresh_token_enc)) : std::nullopt;
  tx.exec_params("UPDATE shops SET access_token_enc = decode($2, 'hex'), refresh_token_enc = decode($3, 'hex') "
                 "WHERE id = $1::uuid",
                 std::string(shop_id), crypto::HexEncode(access_token_enc), refresh_hex);
}

}  // namespace pagelift::shopify
