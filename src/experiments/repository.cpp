// The SQL of experiments and assignments; see repository.h.
#include "experiments/repository.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

namespace pagelift::experiments {

namespace json = boost::json;

namespace {

#define PAGELIFT_TS(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

// The columns every read returns, in the order RowToExperiment reads them.
constexpr const char* kColumns =
    "id::text, shop_id::text, name, target, allocation::text, variants::text, primary_metric, "
    "secondary_metrics::text, guardrail_metrics::text, guardrails::text, seed, hash_version, bucket_version, status, " PAGELIFT_TS(
        "started_at") ", " PAGELIFT_TS("ended_at") ", " PAGELIFT_TS("created_at") ", " PAGELIFT_TS("updated_at");

std::string Sql(std::string_view head, std::string_view tail) {
  std::string sql(head);
  sql += kColumns;
  sql += tail;
  return sql;
}

std::optional<std::string> OptionalText(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}

// Rebuilds the definition through ParseDefinition, so a stored row obeys the same rules as an API request; a row that
// does not (edited by hand) is a bug worth an exception rather than a silently wrong assignment.
Experiment RowToExperiment(const pqxx::row& row) {
  Experiment e;
  e.id = row[0].as<std::string>();
  e.shop_id = row[1].as<std::string>();
  json::object body;
  body["name"] = row[2].as<std::string>();
  body["target"] = row[3].as<std::string>();
  const json::object allocation = json::parse(row[4].as<std::string>()).as_object();
  if (const auto* weights = allocation.if_contains("weights")) body["weights"] = *weights;
  if (const auto* coverage = allocation.if_contains("coverage")) body["coverage"] = *coverage;
  body["variants"] = json::parse(row[5].as<std::string>());
  body["primary_metric"] = row[6].as<std::string>();
  body["secondary_metrics"] = json::parse(row[7].as<std::string>());
  body["guardrail_metrics"] = json::parse(row[8].as<std::string>());
  body["guardrails"] = json::parse(row[9].as<std::string>());
  if (!row[10].is_null()) body["seed"] = row[10].as<std::string>();
  auto definition = ParseDefinition(body);
  if (!definition) {
    throw std::runtime_error("experiment " + e.id + " has an invalid stored definition: " + definition.error().message);
  }
  e.definition = std::move(*definition);
  e.hash_version = row[11].as<int>();
  e.bucket_version = row[12].as<int>();
  const auto status = ParseStatus(row[13].as<std::string>());
  if (!status) throw std::runtime_error("experiment " + e.id + " has an unknown status");
  e.status = *status;
  e.started_at = OptionalText(row[14]);
  e.ended_at = OptionalText(row[15]);
  e.created_at = row[16].as<std::string>();
  e.updated_at = row[17].as<std::string>();
  return e;
}

std::string Serialize(const json::value& value) { return json::serialize(value); }

}  // namespace

bool LooksLikeUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

Repository::Repository(db::Database& database)
    : find_shop_(database, "experiments_find_shop",
                 "SELECT id::text FROM shops WHERE public_id = $1 AND uninstalled_at IS NULL"),
      insert_(database, "experiments_insert",
              Sql("INSERT INTO experiments (shop_id, name, target, allocation, variants, primary_metric, "
                  "secondary_metrics, guardrail_metrics, guardrails, seed, status) "
                  "VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10, 'draft') "
                  "RETURNING ",
                  "")),
      find_(database, "experiments_find", Sql("SELECT ", " FROM experiments WHERE shop_id = $1 AND id = $2::uuid")),
      find_for_update_(database, "experiments_find_for_update",
                       Sql("SELECT ", " FROM experiments WHERE shop_id = $1 AND id = $2::uuid FOR UPDATE")),
      list_(database, "experiments_list",
            Sql("SELECT ", " FROM experiments WHERE shop_id = $1 ORDER BY created_at DESC, id")),
      list_by_status_(
          database, "experiments_list_by_status",
          Sql("SELECT ", " FROM experiments WHERE shop_id = $1 AND status = $2 ORDER BY created_at DESC, id")),
      save_(database, "experiments_save",
            Sql("UPDATE experiments SET name = $3, target = $4, allocation = $5::jsonb, "
                "variants = $6::jsonb, primary_metric = $7, secondary_metrics = $8::jsonb, "
                "guardrail_metrics = $9::jsonb, guardrails = $10::jsonb, seed = $11, status = $12, "
                "bucket_version = $13, started_at = $14::timestamptz, ended_at = $15::timestamptz, "
                "updated_at = now() WHERE shop_id = $1 AND id = $2::uuid RETURNING ",
                "")),
      delete_assignments_(database, "experiments_delete_assignments",
                          "DELETE FROM assignments WHERE shop_id = $1 AND experiment_id = $2::uuid"),
      delete_results_(database, "experiments_delete_results",
                      "DELETE FROM results_aggregates WHERE shop_id = $1 AND experiment_id = $2::uuid"),
      delete_visitors_(database, "experiments_delete_visitors",
                       "DELETE FROM experiment_visitors WHERE shop_id = $1 AND experiment_id = $2::uuid"),
      delete_watermark_(database, "experiments_delete_watermark",
                        "DELETE FROM experiment_aggregation WHERE shop_id = $1 AND experiment_id = $2::uuid"),
      insert_assignment_(database, "experiments_insert_assignment",
                         "INSERT INTO assignments (shop_id, experiment_id, anon_id, session_id, variant) "
                         "VALUES ($1, $2::uuid, $3, $4, $5) ON CONFLICT (shop_id, experiment_id, anon_id) DO NOTHING "
                         "RETURNING variant"),
      read_assignment_(
          database, "experiments_read_assignment",
          "SELECT variant FROM assignments WHERE shop_id = $1 AND experiment_id = $2::uuid AND anon_id = $3") {}

std::optional<std::string> Repository::FindShopByPublicId(pqxx::work& tx, std::string_view public_id) const {
  const pqxx::result rows = tx.exec_prepared(find_shop_.name(), std::string(public_id));
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

Experiment Repository::Insert(pqxx::work& tx, const std::string& shop_id, const Definition& d) const {
  const pqxx::result rows =
      tx.exec_prepared(insert_.name(), shop_id, d.name, d.target, Serialize(AllocationToJson(d.weights, d.coverage)),
                       Serialize(VariantsToJson(d.variants)), std::string(MetricName(d.primary_metric)),
                       Serialize(MetricsToJson(d.secondary_metrics)), Serialize(MetricsToJson(d.guardrail_metrics)),
                       Serialize(GuardrailsToJson(d.guardrails)), d.seed ? d.seed->c_str() : nullptr);
  return RowToExperiment(rows[0]);
}

std::optional<Experiment> Repository::Find(pqxx::work& tx, const std::string& shop_id, std::string_view id) const {
  if (!LooksLikeUuid(id)) return std::nullopt;
  const pqxx::result rows = tx.exec_prepared(find_.name(), shop_id, std::string(id));
  if (rows.empty()) return std::nullopt;
  return RowToExperiment(rows[0]);
}

std::optional<Experiment> Repository::FindForUpdate(pqxx::work& tx, const std::string& shop_id,
                                                    std::string_view id) const {
  if (!LooksLikeUuid(id)) return std::nullopt;
  const pqxx::result rows = tx.exec_prepared(find_for_update_.name(), shop_id, std::string(id));
  if (rows.empty()) return std::nullopt;
  return RowToExperiment(rows[0]);
}

std::vector<Experiment> Repository::List(pqxx::work& tx, const std::string& shop_id,
                                         std::optional<Status> status) const {
  const pqxx::result rows = status ? tx.exec_prepared(list_by_status_.name(), shop_id, std::string(StatusName(*status)))
                                   : tx.exec_prepared(list_.name(), shop_id);
  std::vector<Experiment> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(RowToExperiment(row));
  return out;
}

Experiment Repository::Save(pqxx::work& tx, const Experiment& e) const {
  const Definition& d = e.definition;
  const pqxx::result rows = tx.exec_prepared(
      save_.name(), e.shop_id, e.id, d.name, d.target, Serialize(AllocationToJson(d.weights, d.coverage)),
      Serialize(VariantsToJson(d.variants)), std::string(MetricName(d.primary_metric)),
      Serialize(MetricsToJson(d.secondary_metrics)), Serialize(MetricsToJson(d.guardrail_metrics)),
      Serialize(GuardrailsToJson(d.guardrails)), d.seed ? d.seed->c_str() : nullptr, std::string(StatusName(e.status)),
      e.bucket_version, e.started_at ? e.started_at->c_str() : nullptr, e.ended_at ? e.ended_at->c_str() : nullptr);
  if (rows.empty()) throw std::runtime_error("experiment " + e.id + " vanished while being saved");
  return RowToExperiment(rows[0]);
}

void Repository::DeleteAssignmentsAndResults(pqxx::work& tx, const std::string& shop_id, const std::string& id) const {
  tx.exec_prepared(delete_results_.name(), shop_id, id);
  tx.exec_prepared(delete_visitors_.name(), shop_id, id);
  tx.exec_prepared(delete_watermark_.name(), shop_id, id);
  tx.exec_prepared(delete_assignments_.name(), shop_id, id);
}

Repository::StoredAssignment Repository::RecordAssignment(pqxx::work& tx, const std::string& shop_id,
                                                          const std::string& experiment_id, std::string_view anon_id,
                                                          std::string_view session_id,
                                                          std::string_view variant) const {
  const pqxx::result inserted = tx.exec_prepared(insert_assignment_.name(), shop_id, experiment_id,
                                                 std::string(anon_id), std::string(session_id), std::string(variant));
  if (!inserted.empty()) return {inserted[0][0].as<std::string>(), true};
  // ON CONFLICT waited for a concurrent insert to commit; this new statement's snapshot sees its row.
  const pqxx::result existing = tx.exec_prepared(read_assignment_.name(), shop_id, experiment_id, std::string(anon_id));
  if (existing.empty()) throw std::runtime_error("assignment vanished between insert and read");
  return {existing[0][0].as<std::string>(), false};
}

}  // namespace pagelift::experiments
