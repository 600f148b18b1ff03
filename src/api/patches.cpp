// Patches over HTTP. See patches.h.
#include "api/patches.h"

#include <boost/json/array.hpp>
#include <charconv>
#include <optional>

#include "http/responses.h"

namespace pagelift::api {

namespace json = boost::json;

namespace {

constexpr int kDefaultTrailLimit = 100;
constexpr int kMaxTrailLimit = 1000;

// ?limit=n (1..1000); 400 naming the field otherwise.
Result<int> TrailLimit(const http::Request& request) {
  const std::optional<std::string> value = QueryParam(request, "limit");
  if (!value) return kDefaultTrailLimit;
  int limit = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), limit);
  if (ec != std::errc() || end != value->data() + value->size() || limit < 1 || limit > kMaxTrailLimit) {
    return MakeError(ErrorCode::kBadRequest, "limit: must be an integer from 1 to 1000", {{"field", "limit"}});
  }
  return limit;
}

json::object ApplyResultJson(const recommend::ApplyResult& result) {
  if (!result.patch) return {{"guided", result.guided}, {"changes", result.changes}};
  return {{"patch", recommend::PatchToJson(*result.patch)}, {"changes", result.changes}};
}

json::array PatchesJson(const std::vector<recommend::PatchRecord>& patches) {
  json::array out;
  for (const auto& patch : patches) out.push_back(recommend::PatchToJson(patch));
  return out;
}

json::array EntriesJson(std::vector<json::object> entries) {
  json::array out;
  for (auto& entry : entries) out.push_back(std::move(entry));
  return out;
}

http::Response PatchResponse(const Result<recommend::PatchRecord>& patch) {
  if (!patch) return http::ErrorResponse(patch.error());
  json::object body;
  body["patch"] = recommend::PatchToJson(*patch);
  return http::JsonResponse(http::Status::ok, body);
}

}  // namespace

void RegisterPatchRoutes(http::Router& router, const AuthDeps& deps, recommend::PatchService& patches) {
  recommend::PatchService* service = &patches;
  router.Add(http::Verb::get, "/api/recommendations/{id}/preview",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext& context,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto preview = co_await deps.database.Offload([&] { return service->Preview(auth.shop_id, id); });
               if (!preview) co_return http::ErrorResponse(preview.error());
               json::object body;
               body["preview"] = std::move(*preview);
               co_return http::JsonResponse(http::Status::ok, body);
             }));

  router.Add(http::Verb::post, "/api/recommendations/{id}/apply",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext& context,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto applied = co_await deps.database.Offload([&] { return service->Apply(auth.shop_id, id); });
               if (!applied) co_return http::ErrorResponse(applied.error());
               co_return http::JsonResponse(http::Status::ok, ApplyResultJson(*applied));
             }));

  router.Add(http::Verb::get, "/api/patches",
             WithSession(deps, [&deps, service](http::Request& request, http::RequestContext&,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::optional<std::string> target = QueryParam(request, "target");
               auto list = co_await deps.database.RunAsync(
                   db::TxOptions::ReadOnly(), [&](pqxx::work& tx) { return service->List(tx, auth.shop_id, target); });
               json::object body;
               body["patches"] = PatchesJson(list);
               co_return http::JsonResponse(http::Status::ok, body);
             }));

  router.Add(http::Verb::get, "/api/patches/{id}",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext& context,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto found = co_await deps.database.RunAsync(
                   db::TxOptions::ReadOnly(), [&](pqxx::work& tx) -> Result<recommend::PatchRecord> {
                     auto patch = service->Find(tx, auth.shop_id, id);
                     if (!patch) return MakeError(ErrorCode::kNotFound, "no such patch");
                     return *patch;
                   });
               co_return PatchResponse(found);
             }));

  router.Add(http::Verb::post, "/api/patches/{id}/rollback",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext& context,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto rolled_back = co_await deps.database.Offload([&] { return service->Rollback(auth.shop_id, id); });
               co_return PatchResponse(rolled_back);
             }));

  router.Add(http::Verb::get, "/api/audit-trail",
             WithSession(deps, [&deps, service](http::Request& request, http::RequestContext&,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto limit = TrailLimit(request);
               if (!limit) co_return http::ErrorResponse(limit.error());
               const int count = *limit;
               const std::optional<std::string> target = QueryParam(request, "target");
               auto entries = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), [&](pqxx::work& tx) {
                 return service->trail().List(tx, auth.shop_id, count, target);
               });
               json::object body;
               body["entries"] = EntriesJson(std::move(entries));
               co_return http::JsonResponse(http::Status::ok, body);
             }));
}

}  // namespace pagelift::api
