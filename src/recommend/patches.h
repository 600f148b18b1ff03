// Applying a recommendation's patch to a shop and undoing it exactly (issue 6, "Patches"), and the SQL of the
// `patches` table.
//
// Apply: read the target's current state from Shopify (ProductForPatch / AppMetafield), refuse with 409 when it drifted
// from what the audit saw (and enqueue a re-audit of the product: job kind kReauditJobKind), write the patched state,
// then in one transaction record the `patches` row (version = 1 + the target's highest), mark the recommendation
// `applied` and write the audit trail. The state read first is the patch's rollback_payload.
// Rollback: only the newest live version of a target may be undone (409 naming the later versions otherwise); the
// target must still hold what the patch wrote (409 when someone changed it since, so a rollback never overwrites a
// merchant's later edit); the stored state is written back and read back to verify it, the row becomes
// `rolled_back` and the recommendation `pending` again.
// Writes to product data (product_update, media_alt), applying and rolling back alike, require
// settings.allow_write_products (403 otherwise); app-owned metafields are pagelift's own data and always allowed.
// guided patches write nothing: Apply returns their steps and deep link.
// One apply or rollback per (shop, target) at a time across every copy (a session advisory lock). Blocking (Admin API
// and database): call from jobs or through db::Database::Offload.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/database.h"
#include "db/statement.h"
#include "recommend/audit_trail.h"
#include "recommend/patch_payload.h"
#include "shopify/admin_client.h"

namespace pagelift::recommend {

// The job a refused apply leaves for the audit engine: its whole-shop re-audit (recommend/audit_service.h,
// kAuditJobKind: payload {}, the shop in jobs.shop_id, dedupe key = the shop id), which refreshes the drifted
// recommendation from the product as it now is.
inline constexpr std::string_view kReauditJobKind = "recommend_audit";

struct PatchRecord {
  std::string id;
  std::optional<std::string> recommendation_id;
  std::string applied_to;
  std::string kind;
  boost::json::object payload;
  boost::json::object rollback_payload;  // the target's state before this patch
  std::string applied_by;                // merchant | autopilot
  std::string applied_at;                // RFC 3339
  int version = 1;
  std::string status;                    // applied | rolled_back
  std::optional<std::string> rolled_back_at;
  std::optional<std::string> rolled_back_by;
};
boost::json::object PatchToJson(const PatchRecord& patch);

// settings.allow_write_products of a shop's stored settings (shops.settings; the default applies when absent).
bool AllowsProductWrites(const boost::json::object& stored_settings);
// The same from the settings' JSON text; malformed text counts as the defaults.
bool AllowsProductWrites(std::string_view stored_settings_json);

struct ChangeOptions {
  Actor actor = Actor::kMerchant;
  std::string reason;                         // why, for the audit trail ("" = the recommendation's rationale)
  std::optional<std::string> experiment_id;   // autopilot: the experiment that decided it
};

struct ApplyResult {
  std::optional<PatchRecord> patch;  // nullopt for guided patches
  boost::json::array changes;        // [{field, before, after}]
  boost::json::object guided;        // guided patches: {steps, deep_link}
};

class PatchService {
 public:
  // Registers the prepared statements. `database` and `client` must outlive the service.
  PatchService(db::Database& database, shopify::AdminClient& client);

  // Exactly what applying would change, read live from Shopify: {recommendation_id, kind, target, changes:[{field,
  // before, after}], conflicts:[{field, expected, current}], allowed, refusal?} (guided: steps and deep link).
  // 404 unknown recommendation (or another shop's), 409 one that is not pending or has no patch.
  Result<boost::json::object> Preview(const std::string& shop_id, std::string_view recommendation_id);

  // 403 product writes not allowed, 404, 409 not pending / drifted (details.conflicts) / Shopify refused.
  Result<ApplyResult> Apply(const std::string& shop_id, std::string_view recommendation_id,
                            const ChangeOptions& options = {});

  // 403, 404 unknown patch, 409 already rolled back / a later version is live / the target changed since.
  Result<PatchRecord> Rollback(const std::string& shop_id, std::string_view patch_id,
                               const ChangeOptions& options = {});

  // Newest first (at most 500), optionally of one target.
  std::vector<PatchRecord> List(pqxx::work& tx, const std::string& shop_id,
                                const std::optional<std::string>& target = std::nullopt) const;
  std::optional<PatchRecord> Find(pqxx::work& tx, const std::string& shop_id, std::string_view patch_id) const;
  // Patches autopilot applied in the last 24 hours (its per-day budget).
  long long AutopilotPatchesToday(pqxx::work& tx, const std::string& shop_id) const;

  const AuditTrail& trail() const { return trail_; }
  db::Database& database() { return database_; }

 private:
  struct Target;
  Result<Target> LoadTarget(const std::string& shop_id, std::string_view recommendation_id);
  Result<boost::json::object> ReadState(const shopify::ShopRef& shop, const PatchPayload& patch);
  Result<void> WriteState(const shopify::ShopRef& shop, const PatchPayload& patch, const boost::json::object& state);
  void RecordRefusal(const std::string& shop_id, const TrailEntry& entry, const std::optional<std::string>& reaudit);

  db::Database& database_;
  shopify::AdminClient& client_;
  AuditTrail trail_;
  db::Statement shop_;
  db::Statement recommendation_;
  db::Statement mark_recommendation_;
  db::Statement reopen_recommendation_;
  db::Statement next_version_;
  db::Statement insert_patch_;
  db::Statement find_patch_;
  db::Statement later_applied_;
  db::Statement mark_rolled_back_;
  db::Statement list_patches_;
  db::Statement autopilot_today_;
};

}  // namespace pagelift::recommend
