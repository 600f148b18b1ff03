#include "api/recommendations.h"

#include <boost/json/array.hpp>
#include <algorithm>
#include <charconv>
#include <optional>

#include "http/responses.h"

namespace pagelift::api {

namespace json = boost::json;
using recommend::ListFilter;

namespace {

constexpr std::string_view kStatuses[] = {"pending", "dismissed", "resolved", "applied"};

Error BadParameter(std::string_view field, std::string_view message) {
  return MakeError(ErrorCode::kBadRequest, std::string(field) + ": " + std::string(message), {{"field", field}});
}

Result<int> IntegerParam(const http::Request& request, std::string_view name, int fallback, int min, int max) {
  const auto text = QueryParam(request, name);
  if (!text) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return BadParameter(name, "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

Result<ListFilter> ParseFilter(const http::Request& request) {
  ListFilter filter;
  if (auto category = QueryParam(request, "category")) {
    filter.category = recommend::ParseCategory(*category);
    if (!filter.category) {
      return BadParameter("category",
                          "unknown category (trust, copy, media, pricing, variant_ux, performance, seo, accessibility)");
    }
  }
  if (auto severity = QueryParam(request, "severity")) {
    filter.severity = recommend::ParseSeverity(*severity);
    if (!filter.severity) return BadParameter("severity", "unknown severity (low, medium, high)");
  }
  if (auto status = QueryParam(request, "status")) {
    if (std::find(std::begin(kStatuses), std::end(kStatuses), *status) == std::end(kStatuses)) {
      return BadParameter("status", "unknown status (pending, dismissed, resolved, applied)");
    }
    filter.status = *status;
  }
  if (auto entity = QueryParam(request, "entity_id")) {
    if (entity->empty() || entity->size() > 200) return BadParameter("entity_id", "must be 1 to 200 characters");
    filter.entity_id = *entity;
  }
  auto limit = IntegerParam(request, "limit", 200, 1, 500);
  if (!limit) return limit.error();
  filter.limit = *limit;
  auto offset = IntegerParam(request, "offset", 0, 0, 1'000'000);
  if (!offset) return offset.error();
  filter.offset = *offset;
  return filter;
}

json::object ListBody(const std::vector<recommend::Recommendation>& list, const recommend::HealthScore& health) {
  json::array items;
  for (const auto& r : list) items.push_back(recommend::RecommendationToJson(r));
  return {{"recommendations", std::move(items)}, {"health", recommend::HealthToJson(health)}};
}

http::Response RecommendationResponse(const Result<recommend::Recommendation>& r) {
  if (!r) return http::ErrorResponse(r.error());
  return http::JsonResponse(http::Status::ok, json::object{{"recommendation", recommend::RecommendationToJson(*r)}});
}

json::object AuditBody(const recommend::AuditRunSummary& summary, const recommend::HealthScore& health) {
  return {{"audit", recommend::AuditRunToJson(summary)}, {"health", recommend::HealthToJson(health)}};
}

json::object HealthBody(const recommend::HealthScore& health) { return {{"health", recommend::HealthToJson(health)}}; }

}  // namespace

void RegisterRecommendationRoutes(http::Router& router, const AuthDeps& deps, const recommend::AuditService& audit) {
  const recommend::AuditService* service = &audit;

  router.Add(http::Verb::get, "/api/recommendations",
             WithSession(deps, [&deps, service](http::Request& request, http::RequestContext&,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto filter = ParseFilter(request);
               if (!filter) co_return http::ErrorResponse(filter.error());
               const ListFilter& f = *filter;
               auto work = [service, &auth, &f](pqxx::work& tx) {
                 return ListBody(service->repository().List(tx, auth.shop_id, f),
                                 service->repository().Health(tx, auth.shop_id));
               };
               auto body = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), work);
               co_return http::JsonResponse(http::Status::ok, body);
             }));

  router.Add(http::Verb::get, "/api/recommendations/{id}",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext& context,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto work = [service, &auth, &id](pqxx::work& tx) { return service->repository().Get(tx, auth.shop_id, id); };
               auto found = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), work);
               co_return RecommendationResponse(found);
             }));

  router.Add(http::Verb::post, "/api/recommendations/audit",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext&,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto work = [service, &auth](pqxx::work& tx) -> Result<json::object> {
                 auto summary = service->AuditShop(tx, auth.shop_id);
                 if (!summary) return summary.error();
                 return AuditBody(*summary, service->repository().Health(tx, auth.shop_id));
               };
               auto body = co_await deps.database.RunAsync(work);
               if (!body) co_return http::ErrorResponse(body.error());
               co_return http::JsonResponse(http::Status::ok, *body);
             }));

  router.Add(http::Verb::post, "/api/recommendations/{id}/dismiss",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext& context,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto work = [service, &auth, &id](pqxx::work& tx) {
                 return service->repository().Dismiss(tx, auth.shop_id, id);
               };
               auto dismissed = co_await deps.database.RunAsync(work);
               co_return RecommendationResponse(dismissed);
             }));

  router.Add(http::Verb::get, "/api/shop/health",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext&,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto work = [service, &auth](pqxx::work& tx) { return HealthBody(service->repository().Health(tx, auth.shop_id)); };
               auto body = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), work);
               co_return http::JsonResponse(http::Status::ok, body);
             }));
}

}  // namespace pagelift::api
