#include "api/recommendations.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <charconv>
#include <map>
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

// Each product recommendation gains "product_title": the product's title in products_cache (null when the product is
// not in the cache, e.g. deleted since the audit), so the admin names products instead of showing their gids.
void AttachProductTitles(pqxx::work& tx, const std::string& shop_id, json::array& items) {
  json::array ids;
  for (const auto& item : items) {
    const auto& r = item.as_object();
    if (r.at("entity_type") == "product") ids.push_back(r.at("entity_id"));
  }
  if (ids.empty()) return;
  const auto rows = tx.exec_params(
      "SELECT product_id, data->>'title' FROM products_cache "
      "WHERE shop_id = $1::uuid AND product_id IN (SELECT jsonb_array_elements_text($2::jsonb))",
      shop_id, json::serialize(ids));
  std::map<std::string, std::string, std::less<>> titles;
  for (const auto& row : rows) {
    if (!row[1].is_null()) titles.emplace(row[0].c_str(), row[1].c_str());
  }
  for (auto& item : items) {
    auto& r = item.as_object();
    if (r.at("entity_type") != "product") continue;
    const auto found = titles.find(std::string_view(r.at("entity_id").as_string()));
    r["product_title"] = found == titles.end() ? json::value(nullptr) : json::value(found->second);
  }
}

json::object ListBody(pqxx::work& tx, const std::string& shop_id, const std::vector<recommend::Recommendation>& list,
                      const recommend::HealthScore& health) {
  json::array items;
  for (const auto& r : list) items.push_back(recommend::RecommendationToJson(r));
  AttachProductTitles(tx, shop_id, items);
  return {{"recommendations", std::move(items)}, {"health", recommend::HealthToJson(health)}};
}

// The single-recommendation body, with product_title as in the list.
Result<json::object> RecommendationBody(pqxx::work& tx, const std::string& shop_id,
                                        const Result<recommend::Recommendation>& r) {
  if (!r) return r.error();
  json::array items{recommend::RecommendationToJson(*r)};
  AttachProductTitles(tx, shop_id, items);
  return json::object{{"recommendation", std::move(items[0])}};
}

http::Response RecommendationResponse(const Result<json::object>& body) {
  if (!body) return http::ErrorResponse(body.error());
  return http::JsonResponse(http::Status::ok, *body);
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
                 return ListBody(tx, auth.shop_id, service->repository().List(tx, auth.shop_id, f),
                                 service->repository().Health(tx, auth.shop_id));
               };
               auto body = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(), work);
               co_return http::JsonResponse(http::Status::ok, body);
             }));

  router.Add(http::Verb::get, "/api/recommendations/{id}",
             WithSession(deps, [&deps, service](http::Request&, http::RequestContext& context,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               const std::string id = context.params["id"];
               auto work = [service, &auth, &id](pqxx::work& tx) {
                 return RecommendationBody(tx, auth.shop_id, service->repository().Get(tx, auth.shop_id, id));
               };
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
                 return RecommendationBody(tx, auth.shop_id, service->repository().Dismiss(tx, auth.shop_id, id));
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
