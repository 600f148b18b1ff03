// sync_runs: the record of full syncs (db/migrations/0003_sync_runs.sql). All SQL on sync_runs lives here.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

namespace pagelift::shopify {

struct SyncRunRef {
  std::int64_t id = 0;
  std::optional<std::string> bulk_operation_id;
};

// Starts a run, or resumes the newest unfinished one of this shop and kind that already has a bulk operation
// younger than 6 days (Shopify keeps result URLs for 7): a retried job continues waiting for the same operation.
SyncRunRef StartOrResumeSyncRun(pqxx::work& tx, std::string_view shop_id, std::string_view kind);
void SetSyncRunBulkOperation(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id,
                             std::string_view bulk_operation_id);
void SetSyncRunState(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id, std::string_view state);
void RecordSyncRunProgress(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id, long long objects_done,
                           long long errors);
// Ends a run: state "done" or "failed" (with the error).
void FinishSyncRun(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id, std::string_view state,
                   const std::optional<std::string>& error);
// {"products": {state, objects_done, errors, last_error, started_at, finished_at, bulk_operation_id}, "orders": …}:
// the newest run of each kind (a kind never synced is absent). GET /api/sync answers this.
boost::json::object LatestSyncRuns(pqxx::work& tx, std::string_view shop_id);

}  // namespace pagelift::shopify
