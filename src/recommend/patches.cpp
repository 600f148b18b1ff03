// Apply, preview, rollback and the patches table's SQL. See patches.h.
#include "recommend/patches.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "core/log.h"
#include "db/advisory_locks.h"
#include "experiments/repository.h"
#include "jobs/queue.h"
#include "shopify/shop_settings.h"

namespace pagelift::recommend {

namespace json = boost::json;

namespace {

const std::string kRfc3339 = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";
const std::string kPatchColumns =
    "id::text, recommendation_id::text, applied_to, kind, payload::text, rollback_payload::text, applied_by, "
    "to_char(applied_at AT TIME ZONE 'UTC', " + kRfc3339 + "), version, status, "
    "to_char(rolled_back_at AT TIME ZONE 'UTC', " + kRfc3339 + "), rolled_back_by";

std::optional<std::string> OptionalText(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return std::string(field.c_str());
}

json::value NullableJson(const std::optional<std::string>& text) {
  return text ? json::value(json::string(*text)) : json::value(nullptr);
}

PatchRecord PatchFromRow(const pqxx::row& row) {
  PatchRecord patch;
  patch.id = row[0].c_str();
  patch.recommendation_id = OptionalText(row[1]);
  patch.applied_to = row[2].c_str();
  patch.kind = row[3].c_str();
  patch.payload = json::parse(row[4].c_str()).as_object();
  patch.rollback_payload = json::parse(row[5].c_str()).as_object();
  patch.applied_by = row[6].c_str();
  patch.applied_at = row[7].c_str();
  patch.version = row[8].as<int>();
  patch.status = row[9].c_str();
  patch.rolled_back_at = OptionalText(row[10]);
  patch.rolled_back_by = OptionalText(row[11]);
  return patch;
}

Error NotFound(std::string_view what, std::string_view id) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no such {}", what), {{"id", id}});
}

// A Shopify refusal (userErrors) is not the request's fault: it is reported as a conflict with Shopify's words.
Error ShopifyRefused(Error error) {
  if (error.code == ErrorCode::kBadRequest) {
    error.code = ErrorCode::kConflict;
    error.message = "Shopify refused the change: " + error.message;
  }
  return error;
}

// Held while one patch target of one shop is read, written and recorded; released (or its connection closed) on
// destruction. A session lock on a leased connection, because the Admin API calls happen outside any transaction.
class TargetLock {
 public:
  TargetLock(db::Database& database, const std::string& shop_id, const std::string& target)
      : lease_(database.Acquire()), key_(shop_id + " " + target) {
    pqxx::nontransaction tx(*lease_);
    tx.exec_params("SELECT pg_advisory_lock($1::int, hashtext($2))", db::advisory_locks::kPatchTargetClass, key_);
  }
  ~TargetLock() {
    try {
      pqxx::nontransaction tx(*lease_);
      tx.exec_params("SELECT pg_advisory_unlock($1::int, hashtext($2))", db::advisory_locks::kPatchTargetClass, key_);
    } catch (const std::exception&) {
      lease_.Discard();  // closing the connection releases the lock
    }
  }
  TargetLock(const TargetLock&) = delete;
  TargetLock& operator=(const TargetLock&) = delete;

 private:
  db::Database::Lease lease_;
  std::string key_;
};

struct RecommendationRow {
  std::string id;
  std::string status;
  std::string category;
  std::string rule_id;
  std::string rationale;
  json::value payload;
};

}  // namespace

json::object PatchToJson(const PatchRecord& patch) {
  return {{"id", patch.id},
          {"recommendation_id", NullableJson(patch.recommendation_id)},
          {"applied_to", patch.applied_to},
          {"kind", patch.kind},
          {"payload", patch.payload},
          {"rollback_payload", patch.rollback_payload},
          {"applied_by", patch.applied_by},
          {"applied_at", patch.applied_at},
          {"version", patch.version},
          {"status", patch.status},
          {"rolled_back_at", NullableJson(patch.rolled_back_at)},
          {"rolled_back_by", NullableJson(patch.rolled_back_by)}};
}

bool AllowsProductWrites(const json::object& stored_settings) {
  const json::object settings = shopify::EffectiveSettings(stored_settings);
  const auto* allow = settings.if_contains("allow_write_products");
  return allow && allow->is_bool() && allow->as_bool();
}

bool AllowsProductWrites(std::string_view stored_settings_json) {
  boost::system::error_code ec;
  const auto stored = json::parse(stored_settings_json, ec);
  return AllowsProductWrites(!ec && stored.is_object() ? stored.as_object() : json::object{});
}

// What Apply and Preview need before talking to Shopify.
struct PatchService::Target {
  shopify::ShopRef shop;
  bool allow_write_products = false;
  RecommendationRow recommendation;
  PatchPayload patch;
};

PatchService::PatchService(db::Database& database, shopify::AdminClient& client)
    : database_(database),
      client_(client),
      trail_(database),
      shop_(database, "recommend_patch_shop", "SELECT domain, settings::text FROM shops WHERE id = $1"),
      recommendation_(database, "recommend_patch_recommendation",
                      "SELECT id::text, status, category, rule_id, rationale, patch_payload::text FROM recommendations "
                      "WHERE shop_id = $1 AND id = $2::uuid"),
      mark_recommendation_(database, "recommend_patch_mark_recommendation",
                           "UPDATE recommendations SET status = 'applied', updated_at = now() "
                           "WHERE shop_id = $1 AND id = $2::uuid AND status = 'pending'"),
      reopen_recommendation_(
          database, "recommend_patch_reopen_recommendation",
          "UPDATE recommendations SET status = 'pending', updated_at = now() "
          "WHERE shop_id = $1 AND id = $2::uuid AND status = 'applied' AND NOT EXISTS ("
          "SELECT 1 FROM patches WHERE shop_id = $1 AND recommendation_id = $2::uuid AND status = 'applied')"),
      next_version_(database, "recommend_patch_next_version",
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM patches WHERE shop_id = $1 AND applied_to = $2"),
      insert_patch_(database, "recommend_patch_insert",
                    "INSERT INTO patches (shop_id, recommendation_id, applied_to, kind, payload, rollback_payload, "
                    "applied_by, version) VALUES ($1, $2::uuid, $3, $4, $5::jsonb, $6::jsonb, $7, $8) RETURNING " +
                        kPatchColumns),
      find_patch_(database, "recommend_patch_find",
                  "SELECT " + kPatchColumns + " FROM patches WHERE shop_id = $1 AND id = $2::uuid"),
      later_applied_(database, "recommend_patch_later_applied",
                     "SELECT version FROM patches WHERE shop_id = $1 AND applied_to = $2 AND status = 'applied' "
                     "AND version > $3 ORDER BY version"),
      mark_rolled_back_(database, "recommend_patch_mark_rolled_back",
                        "UPDATE patches SET status = 'rolled_back', rolled_back_at = now(), rolled_back_by = $3 "
                        "WHERE shop_id = $1 AND id = $2::uuid AND status = 'applied' RETURNING " +
                            kPatchColumns),
      list_patches_(database, "recommend_patch_list",
                    "SELECT " + kPatchColumns +
                        " FROM patches WHERE shop_id = $1 AND ($2::text IS NULL OR applied_to = $2) "
                        "ORDER BY applied_at DESC, version DESC LIMIT 500"),
      autopilot_today_(database, "recommend_patch_autopilot_today",
                       "SELECT count(*) FROM patches WHERE shop_id = $1 AND applied_by = 'autopilot' "
                       "AND applied_at >= now() - interval '1 day'") {}

std::vector<PatchRecord> PatchService::List(pqxx::work& tx, const std::string& shop_id,
                                            const std::optional<std::string>& target) const {
  std::vector<PatchRecord> out;
  const char* target_param = target ? target->c_str() : nullptr;
  for (const auto& row : tx.exec_prepared(list_patches_.name(), shop_id, target_param))
    out.push_back(PatchFromRow(row));
  return out;
}

std::optional<PatchRecord> PatchService::Find(pqxx::work& tx, const std::string& shop_id,
                                              std::string_view patch_id) const {
  if (!experiments::LooksLikeUuid(patch_id)) return std::nullopt;
  const auto rows = tx.exec_prepared(find_patch_.name(), shop_id, std::string(patch_id));
  if (rows.empty()) return std::nullopt;
  return PatchFromRow(rows[0]);
}

long long PatchService::AutopilotPatchesToday(pqxx::work& tx, const std::string& shop_id) const {
  return tx.exec_prepared(autopilot_today_.name(), shop_id)[0][0].as<long long>();
}

Result<PatchService::Target> PatchService::LoadTarget(const std::string& shop_id, std::string_view recommendation_id) {
  if (!experiments::LooksLikeUuid(recommendation_id)) return NotFound("recommendation", recommendation_id);
  const std::string id(recommendation_id);
  auto loaded = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) -> Result<Target> {
    const auto shop = tx.exec_prepared(shop_.name(), shop_id);
    const auto rows = tx.exec_prepared(recommendation_.name(), shop_id, id);
    if (shop.empty() || rows.empty()) return NotFound("recommendation", id);
    Target target;
    target.shop = shopify::ShopRef{shop_id, shop[0][0].c_str()};
    target.allow_write_products = AllowsProductWrites(std::string_view(shop[0][1].c_str()));
    const auto& row = rows[0];
    target.recommendation = RecommendationRow{row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str(),
                                              row[4].c_str(), nullptr};
    if (!row[5].is_null()) target.recommendation.payload = json::parse(row[5].c_str());
    return target;
  });
  if (!loaded) return loaded;
  if (loaded->recommendation.status != "pending") {
    return MakeError(ErrorCode::kConflict,
                     fmt::format("the recommendation is {}, not pending: only a pending recommendation can be applied",
                                 loaded->recommendation.status),
                     {{"status", loaded->recommendation.status}});
  }
  auto patch = ParsePatchPayload(loaded->recommendation.payload);
  if (!patch) {
    return MakeError(ErrorCode::kConflict, "this recommendation has no patch pagelift can apply: " + patch.error().message,
                     patch.error().details);
  }
  loaded->patch = std::move(*patch);
  return loaded;
}

Result<json::object> PatchService::ReadState(const shopify::ShopRef& shop, const PatchPayload& patch) {
  auto data = client_.Execute(shop, ReadOperation(patch), ReadVariables(patch));
  if (!data) return data.error();
  return StateFromRead(patch, *data);
}

Result<void> PatchService::WriteState(const shopify::ShopRef& shop, const PatchPayload& patch,
                                      const json::object& state) {
  const AdminWrite write = WriteFor(patch, state);
  auto data = client_.Execute(shop, write.operation, write.variables);
  if (!data) return ShopifyRefused(data.error());
  return {};
}

void PatchService::RecordRefusal(const std::string& shop_id, const TrailEntry& entry,
                                 const std::optional<std::string>& reaudit) {
  database_.Run([&](pqxx::work& tx) {
    trail_.Record(tx, shop_id, entry);
    if (reaudit) {
      jobs::EnqueueOptions options;
      options.shop_id = shop_id;
      options.dedupe_key = shop_id;
      jobs::Enqueue(tx, kReauditJobKind, json::object(), options);
      log::Info("patch target drifted; shop re-audit queued", {{"shop_id", shop_id}, {"entity_id", *reaudit}});
    }
  });
}

namespace {

Error NotAllowed() {
  return MakeError(ErrorCode::kForbidden,
                   "pagelift may not change product data in this shop: turn on \"Allow pagelift to edit products\" "
                   "(settings.allow_write_products) to apply or roll back this patch",
                   {{"setting", "allow_write_products"}});
}

std::string ReasonOr(const ChangeOptions& options, std::string fallback) {
  return options.reason.empty() ? std::move(fallback) : options.reason;
}

}  // namespace

Result<json::object> PatchService::Preview(const std::string& shop_id, std::string_view recommendation_id) {
  auto target = LoadTarget(shop_id, recommendation_id);
  if (!target) return target.error();
  json::object preview{{"recommendation_id", target->recommendation.id},
                       {"kind", PatchKindName(target->patch.kind)},
                       {"target", target->patch.target}};
  if (target->patch.kind == PatchKind::kGuided) {
    preview["steps"] = target->patch.steps;
    preview["deep_link"] = target->patch.deep_link;
    preview["changes"] = json::array{};
    preview["allowed"] = true;
    return preview;
  }
  auto before = ReadState(target->shop, target->patch);
  if (!before) return before.error();
  const json::object after = PatchedState(target->patch, *before);
  preview["changes"] = Changes(target->patch, *before, after);
  preview["conflicts"] = Drift(target->patch.expected, *before);
  const bool allowed = !WritesProducts(target->patch.kind) || target->allow_write_products;
  preview["allowed"] = allowed;
  if (!allowed) preview["refusal"] = NotAllowed().message;
  return preview;
}

Result<ApplyResult> PatchService::Apply(const std::string& shop_id, std::string_view recommendation_id,
                                        const ChangeOptions& options) {
  auto first = LoadTarget(shop_id, recommendation_id);
  if (!first) return first.error();
  ApplyResult result;
  if (first->patch.kind == PatchKind::kGuided) {
    result.guided = {{"steps", first->patch.steps}, {"deep_link", first->patch.deep_link}};
    return result;
  }
  TrailEntry entry;
  entry.actor = options.actor;
  entry.target = first->patch.target;
  entry.recommendation_id = first->recommendation.id;
  entry.experiment_id = options.experiment_id;
  if (WritesProducts(first->patch.kind) && !first->allow_write_products) {
    entry.action = "refused_not_allowed";
    entry.reason = "Product writes are turned off for this shop (settings.allow_write_products).";
    RecordRefusal(shop_id, entry, std::nullopt);
    return NotAllowed();
  }
  TargetLock lock(database_, shop_id, first->patch.target);
  // Again under the lock: another apply of the same recommendation may have finished meanwhile.
  auto target = LoadTarget(shop_id, recommendation_id);
  if (!target) return target.error();
  const PatchPayload& patch = target->patch;
  auto before = ReadState(target->shop, patch);
  if (!before) return before.error();
  const json::array conflicts = Drift(patch.expected, *before);
  if (!conflicts.empty()) {
    entry.action = "refused_conflict";
    entry.reason = "The product changed since the audit; pagelift re-audits it instead of overwriting the edit.";
    entry.details = {{"conflicts", conflicts}};
    std::optional<std::string> reaudit;
    if (WritesProducts(patch.kind)) reaudit = patch.owner_id;
    RecordRefusal(shop_id, entry, reaudit);
    return MakeError(ErrorCode::kConflict,
                     "the target changed since the audit (someone edited it); the recommendation is being re-audited",
                     {{"conflicts", conflicts}});
  }
  const json::object after = PatchedState(patch, *before);
  if (auto written = WriteState(target->shop, patch, after); !written) return written.error();
  result.changes = Changes(patch, *before, after);
  entry.action = "apply";
  entry.reason = ReasonOr(options, target->recommendation.rationale);
  entry.details = {{"rule_id", target->recommendation.rule_id},
                   {"category", target->recommendation.category},
                   {"changes", result.changes}};
  const std::string actor(ActorName(options.actor));
  const std::string kind(PatchKindName(patch.kind));
  try {
    result.patch = database_.Run([&](pqxx::work& tx) {
      const int version = tx.exec_prepared(next_version_.name(), shop_id, patch.target)[0][0].as<int>();
      const auto row =
          tx.exec_prepared(insert_patch_.name(), shop_id, target->recommendation.id, patch.target, kind,
                           json::serialize(target->recommendation.payload), json::serialize(*before), actor, version);
      PatchRecord record = PatchFromRow(row[0]);
      tx.exec_prepared(mark_recommendation_.name(), shop_id, target->recommendation.id);
      TrailEntry applied = entry;
      applied.patch_id = record.id;
      applied.details["version"] = version;
      trail_.Record(tx, shop_id, applied);
      return record;
    });
  } catch (const std::exception& e) {
    // Shopify holds the change but pagelift could not record it: log what a manual rollback needs.
    log::Error("patch written to Shopify but not recorded",
               {{"shop_id", shop_id}, {"target", patch.target}, {"rollback_state", *before}, {"error", e.what()}});
    throw;
  }
  return result;
}

Result<PatchRecord> PatchService::Rollback(const std::string& shop_id, std::string_view patch_id,
                                           const ChangeOptions& options) {
  auto found = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) { return Find(tx, shop_id, patch_id); });
  if (!found) return NotFound("patch", patch_id);
  auto payload = ParsePatchPayload(found->payload);
  if (!payload) return MakeError(ErrorCode::kConflict, "the stored patch cannot be read: " + payload.error().message);
  auto shop_row = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
    const auto rows = tx.exec_prepared(shop_.name(), shop_id);
    return rows.empty() ? std::pair<std::string, std::string>() : std::pair<std::string, std::string>(rows[0][0].c_str(), rows[0][1].c_str());
  });
  const shopify::ShopRef shop{shop_id, shop_row.first};

  TrailEntry entry;
  entry.actor = options.actor;
  entry.target = found->applied_to;
  entry.recommendation_id = found->recommendation_id;
  entry.patch_id = found->id;
  entry.experiment_id = options.experiment_id;
  if (WritesProducts(payload->kind) && !AllowsProductWrites(std::string_view(shop_row.second))) {
    entry.action = "refused_not_allowed";
    entry.reason = "Product writes are turned off for this shop (settings.allow_write_products).";
    RecordRefusal(shop_id, entry, std::nullopt);
    return NotAllowed();
  }
  TargetLock lock(database_, shop_id, found->applied_to);
  // Re-read under the lock: state and later versions are only stable now.
  struct Stack {
    std::optional<PatchRecord> patch;
    std::vector<int> later;
  };
  const Stack stack = database_.Run(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
    Stack s;
    s.patch = Find(tx, shop_id, patch_id);
    if (s.patch) {
      for (const auto& row : tx.exec_prepared(later_applied_.name(), shop_id, s.patch->applied_to, s.patch->version)) {
        s.later.push_back(row[0].as<int>());
      }
    }
    return s;
  });
  if (!stack.patch) return NotFound("patch", patch_id);
  const PatchRecord& record = *stack.patch;
  if (record.status != "applied") {
    return MakeError(ErrorCode::kConflict, "this patch was already rolled back", {{"status", record.status}});
  }
  if (!stack.later.empty()) {
    json::array later;
    for (int v : stack.later) later.push_back(v);
    return MakeError(ErrorCode::kConflict,
                     fmt::format("version {} of {} cannot be rolled back while a later version (v{}) is applied on top "
                                 "of it: rollbacks go newest first, so roll back v{} first",
                                 record.version, record.applied_to, stack.later.back(), stack.later.back()),
                     {{"version", record.version}, {"later_versions", std::move(later)}});
  }
  auto current = ReadState(shop, *payload);
  if (!current) return current.error();
  const json::object written = PatchedState(*payload, record.rollback_payload);
  const json::array conflicts = Drift(written, *current);
  if (!conflicts.empty()) {
    entry.action = "refused_conflict";
    entry.reason = "The target changed after this patch was applied; rolling back would overwrite that later edit.";
    entry.details = {{"conflicts", conflicts}};
    RecordRefusal(shop_id, entry, std::nullopt);
    return MakeError(ErrorCode::kConflict,
                     "the target changed after this patch was applied; rolling back would overwrite that edit",
                     {{"conflicts", conflicts}});
  }
  if (auto restored = WriteState(shop, *payload, record.rollback_payload); !restored) return restored.error();
  auto readback = ReadState(shop, *payload);
  if (!readback) return readback.error();
  if (!SameState(*readback, record.rollback_payload)) {
    log::Error("rollback did not restore the previous state",
               {{"shop_id", shop_id}, {"patch_id", record.id}, {"expected", record.rollback_payload}, {"read", *readback}});
    return MakeError(ErrorCode::kInternal, "Shopify did not keep the restored value; the patch stays applied",
                     {{"expected", record.rollback_payload}, {"read", *readback}});
  }
  entry.action = "rollback";
  entry.reason = ReasonOr(options, fmt::format("Restored {} to its state before version {}.", record.applied_to,
                                               record.version));
  entry.details = {{"version", record.version}, {"changes", Changes(*payload, *current, record.rollback_payload)}};
  const std::string actor(ActorName(options.actor));
  return database_.Run([&](pqxx::work& tx) -> Result<PatchRecord> {
    const auto rows = tx.exec_prepared(mark_rolled_back_.name(), shop_id, record.id, actor);
    if (rows.empty()) return MakeError(ErrorCode::kConflict, "this patch was already rolled back");
    PatchRecord rolled_back = PatchFromRow(rows[0]);
    if (rolled_back.recommendation_id)
      tx.exec_prepared(reopen_recommendation_.name(), shop_id, *rolled_back.recommendation_id);
    trail_.Record(tx, shop_id, entry);
    return rolled_back;
  });
}

}  // namespace pagelift::recommend
