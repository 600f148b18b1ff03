// sync_runs SQL. See sync_runs.h.
#include "shopify/sync_runs.h"

namespace pagelift::shopify {
namespace json = boost::json;

SyncRunRef StartOrResumeSyncRun(pqxx::work& tx, std::string_view shop_id, std::string_view kind) {
  const std::string shop(shop_id);
  const std::string k(kind);
  const auto open = tx.exec_params(
      "SELECT id, bulk_operation_id FROM sync_runs "
      "WHERE shop_id = $1::uuid AND kind = $2 AND finished_at IS NULL AND bulk_operation_id IS NOT NULL "
      "  AND started_at > now() - interval '6 days' "
      "ORDER BY started_at DESC LIMIT 1 FOR UPDATE",
      shop, k);
  // Anything else still open belongs to a worker that died: close it so the report shows one live run.
  tx.exec_params(
      "UPDATE sync_runs SET state = 'failed', finished_at = now(), updated_at = now(), "
      "       last_error = coalesce(last_error, 'abandoned') "
      "WHERE shop_id = $1::uuid AND kind = $2 AND finished_at IS NULL AND id <> $3",
      shop, k, open.empty() ? std::int64_t{0} : open[0][0].as<std::int64_t>());
  if (!open.empty()) {
    const auto id = open[0][0].as<std::int64_t>();
    tx.exec_params("UPDATE sync_runs SET state = 'waiting', objects_done = 0, updated_at = now() "
                   "WHERE shop_id = $1::uuid AND id = $2",
                   shop, id);
    return {id, open[0][1].as<std::string>()};
  }
  const auto row = tx.exec_params("INSERT INTO sync_runs (shop_id, kind) VALUES ($1::uuid, $2) RETURNING id", shop, k);
  return {row[0][0].as<std::int64_t>(), std::nullopt};
}

void SetSyncRunBulkOperation(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id,
                             std::string_view bulk_operation_id) {
  tx.exec_params("UPDATE sync_runs SET bulk_operation_id = $3, state = 'waiting', updated_at = now() "
                 "WHERE shop_id = $1::uuid AND id = $2",
                 std::string(shop_id), run_id, std::string(bulk_operation_id));
}

void SetSyncRunState(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id, std::string_view state) {
  tx.exec_params("UPDATE sync_runs SET state = $3, updated_at = now() WHERE shop_id = $1::uuid AND id = $2",
                 std::string(shop_id), run_id, std::string(state));
}

void RecordSyncRunProgress(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id, long long objects_done,
                           long long errors) {
  tx.exec_params("UPDATE sync_runs SET objects_done = $3, errors = $4, updated_at = now() "
                 "WHERE shop_id = $1::uuid AND id = $2",
                 std::string(shop_id), run_id, objects_done, errors);
}

void FinishSyncRun(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id, std::string_view state,
                   const std::optional<std::string>& error) {
  tx.exec_params("UPDATE sync_runs SET state = $3, last_error = $4, finished_at = now(), updated_at = now() "
                 "WHERE shop_id = $1::uuid AND id = $2",
                 std::string(shop_id), run_id, std::string(state), error);
}

json::object LatestSyncRuns(pqxx::work& tx, std::string_view shop_id) {
  const auto rows = tx.exec_params(
      "SELECT DISTINCT ON (kind) kind, state, objects_done, errors, last_error, bulk_operation_id, "
      "       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
      "       to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
      "FROM sync_runs WHERE shop_id = $1::uuid ORDER BY kind, started_at DESC, id DESC",
      std::string(shop_id));
  json::object out;
  for (const auto& row : rows) {
    auto optional = [](const pqxx::field& f) { return f.is_null() ? json::value(nullptr) : json::value(f.c_str()); };
    out[row[0].c_str()] = json::object{{"state", row[1].c_str()},
                                       {"objects_done", row[2].as<long long>()},
                                       {"errors", row[3].as<long long>()},
                                       {"last_error", optional(row[4])},
                                       {"bulk_operation_id", optional(row[5])},
                                       {"started_at", row[6].c_str()},
                                       {"finished_at", optional(row[7])}};
  }
  return out;
}

}  // namespace pagelift::shopify
