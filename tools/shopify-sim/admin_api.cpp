// The Admin GraphQL endpoint: authentication, fault injection, cost accounting and throttling, then one handler per
// operationName (the simulator has no general GraphQL engine; pagelift always names its operations).
#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <regex>
#include <set>

#include "core/crypto.h"
#include "core/text.h"
#include "http/responses.h"
#include "shopify-sim/impl.h"
#include "shopify/shop_domain.h"

namespace pagelift::shopify_sim {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

constexpr const char* kThrottleDocs = "https://shopify.dev/api/usage/rate-limits";
constexpr int kMaxPageSize = 250;

json::object GraphqlError(std::string message, std::string_view code = "") {
  json::object error{{"message", std::move(message)}};
  if (!code.empty()) error["extensions"] = {{"code", code}};
  return error;
}

OperationResult Fail(std::string message, std::string_view code = "") {
  OperationResult result;
  result.errors.push_back(GraphqlError(std::move(message), code));
  return result;
}

json::object UserError(json::array field, std::string message, std::string_view code = "") {
  json::object error{{"field", field.empty() ? json::value(nullptr) : json::value(std::move(field))},
                     {"message", std::move(message)}};
  if (!code.empty()) error["code"] = code;
  return error;
}

const std::map<std::string, std::string, std::less<>>& WebhookTopics() {
  static const std::map<std::string, std::string, std::less<>> topics = {
      {"APP_UNINSTALLED", "app/uninstalled"},
      {"PRODUCTS_CREATE", "products/create"},
      {"PRODUCTS_UPDATE", "products/update"},
      {"PRODUCTS_DELETE", "products/delete"},
      {"ORDERS_CREATE", "orders/create"},
      {"ORDERS_PAID", "orders/paid"},
      {"ORDERS_UPDATED", "orders/updated"},
      {"BULK_OPERATIONS_FINISH", "bulk_operations/finish"},
      {"SHOP_UPDATE", "shop/update"},
      {"THEMES_PUBLISH", "themes/publish"},
  };
  return topics;
}

std::string Cursor(std::int64_t id) {
  return crypto::Base64Encode(fmt::format(R"({{"last_id":{},"last_value":"{}"}})", id, id));
}

std::optional<std::int64_t> CursorId(std::string_view cursor) {
  auto decoded = crypto::Base64Decode(cursor, crypto::Base64Padding::kOptional);
  if (!decoded) return std::nullopt;
  boost::system::error_code ec;
  auto value = json::parse(*decoded, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto* id = value.as_object().if_contains("last_id");
  if (!id || !id->is_int64()) return std::nullopt;
  return id->as_int64();
}

// Reads `first` and `after` of a page query: the page size (1…250) and the id after which to start.
Result<std::pair<int, std::int64_t>> PageArguments(const json::object& variables) {
  int first = 50;
  if (const auto* value = variables.if_contains("first"); value && value->is_int64()) {
    first = static_cast<int>(value->as_int64());
  }
  if (first < 0 || first > kMaxPageSize) {
    return MakeError(ErrorCode::kBadRequest,
                     fmt::format("The first argument must be between 0 and {} (got {}).", kMaxPageSize, first));
  }
  std::int64_t after = 0;
  if (const auto* value = variables.if_contains("after"); value && value->is_string()) {
    auto id = CursorId(value->as_string());
    if (!id) return MakeError(ErrorCode::kBadRequest, "Invalid cursor for current pagination sort.");
    after = *id;
  }
  return std::make_pair(first, after);
}

template <typename T, typename ToJson>
json::object Page(const std::vector<T>& items, int first, std::int64_t after, ConnectionStyle style, ToJson&& to_json) {
  // Items are kept in id order (catalog generation and creation both append increasing ids).
  auto start = std::find_if(items.begin(), items.end(), [&](const T& item) { return item.id > after; });
  json::array nodes;
  std::int64_t last = 0;
  auto it = start;
  for (; it != items.end() && static_cast<int>(nodes.size()) < first; ++it) {
    nodes.push_back(to_json(*it));
    last = it->id;
  }
  return Connection(nodes, style, it != items.end(), nodes.empty() ? "" : Cursor(last));
}

const json::object* ObjectVariable(const json::object& variables, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (const auto* value = variables.if_contains(name); value && value->is_object()) return &value->as_object();
  }
  return nullptr;
}

// A Metafield object as the Admin API returns it.
json::object MetafieldJson(const Metafield& metafield) {
  return {{"id", Gid("Metafield", metafield.id)},
          {"namespace", metafield.namespace_},
          {"key", metafield.key},
          {"type", metafield.type},
          {"value", metafield.value},
          {"ownerType", metafield.owner_type},
          {"owner", {{"id", metafield.owner_id}}},
          {"createdAt", FormatDateTime(metafield.created_at)},
          {"updatedAt", FormatDateTime(metafield.updated_at)}};
}

}  // namespace

std::chrono::milliseconds Simulator::Impl::TakeDelay(const std::string& shop) {
  std::lock_guard lock(mutex_);
  const auto domain = shopify::NormalizeMyshopifyDomain(shop);
  Shop* found = domain ? FindShop(*domain) : nullptr;
  return found ? found->faults.delay : std::chrono::milliseconds(0);
}

void Simulator::Impl::RegisterAdminRoutes() {
  http::RouteOptions options;
  options.max_body_bytes = 1 << 20;
  router_.Add(
      http::Verb::post, "/{shop}/admin/api/{version}/graphql.json",
      [this](http::Request& request, http::RequestContext& context) -> asio::awaitable<http::Response> {
        const auto delay = TakeDelay(context.params.at("shop"));
        if (delay.count() > 0) {
          asio::steady_timer timer(co_await asio::this_coro::executor);
          timer.expires_after(delay);
          co_await timer.async_wait(asio::use_awaitable);
        }
        co_return Graphql(request, context.params.at("shop"));
      },
      options);
  router_.Add(http::Verb::get, "/_sim/bulk/{id}.jsonl",
              [this](http::Request&, http::RequestContext& context) -> asio::awaitable<http::Response> {
                std::lock_guard lock(mutex_);
                const auto id = ParseGid("BulkOperation", context.params.at("id"));
                for (const auto& [domain, shop] : shops_) {
                  for (const auto& operation : shop->bulk_operations) {
                    if (id && operation.id == *id && operation.status == "COMPLETED") {
                      co_return http::TextResponse(http::Status::ok, operation.result.jsonl, "application/jsonl");
                    }
                  }
                }
                co_return http::TextResponse(http::Status::not_found,
                                             "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code></Error>",
                                             "application/xml");
              });
}

http::Response Simulator::Impl::Graphql(const http::Request& request, const std::string& shop_param) {
  std::lock_guard lock(mutex_);
  const auto domain = shopify::NormalizeMyshopifyDomain(shop_param);
  Shop* shop = domain ? FindShop(*domain) : nullptr;
  if (!shop) return Json(http::Status::not_found, {{"errors", "Not Found"}});
  const auto owner = Authenticate(request);
  if (!owner || *owner != shop->domain) {
    return Json(http::Status::unauthorized,
                {{"errors", "[API] Invalid API key or access token (unrecognized login or wrong password)"}});
  }
  auto& faults = shop->faults;
  if (faults.fail_next > 0) {
    --faults.fail_next;
    RecordCall(*shop, {{"operationName", nullptr}, {"status", faults.fail_status}, {"outcome", "injected_failure"}});
    if (faults.fail_status == 429) {
      auto response = Json(http::Status::too_many_requests,
                           {{"errors", "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                                       "uninterrupted service."}});
      response.set(boost::beast::http::field::retry_after, std::to_string(faults.retry_after_seconds));
      return response;
    }
    auto response = Json(static_cast<http::Status>(faults.fail_status),
                         {{"errors", faults.fail_status == 502 ? "Bad Gateway" : "Service Unavailable"}});
    if (faults.fail_status == 503) {
      response.set(boost::beast::http::field::retry_after, std::to_string(faults.retry_after_seconds));
    }
    return response;
  }

  boost::system::error_code ec;
  auto parsed = json::parse(request.body(), ec);
  if (ec || !parsed.is_object() || !parsed.as_object().contains("query") ||
      !parsed.as_object().at("query").is_string()) {
    return Json(http::Status::bad_request, {{"errors", {{"query", "Required parameter missing or invalid"}}}});
  }
  const auto& body = parsed.as_object();
  const std::string query(body.at("query").as_string());
  json::object variables;
  if (const auto* value = body.if_contains("variables"); value && value->is_object()) variables = value->as_object();
  std::string name;
  if (const auto* value = body.if_contains("operationName"); value && value->is_string()) name = value->as_string();
  if (name.empty()) {
    RecordCall(*shop, {{"operationName", nullptr}, {"status", 200}, {"outcome", "error"}});
    return Json(http::Status::ok,
                {{"errors", json::array{GraphqlError("The simulator needs operationName: name every operation.",
                                                     "OPERATION_NAME_REQUIRED")}}});
  }

  const auto now = SteadyClock::now();
  auto cost = RequestedQueryCost(query, variables);
  if (!cost) {
    RecordCall(*shop, {{"operationName", name}, {"status", 200}, {"outcome", "error"}});
    return Json(http::Status::ok, {{"errors", json::array{GraphqlError(cost.error().message, "PARSE_ERROR")}}});
  }
  auto cost_extension = [&](json::value actual) {
    return json::object{{"cost",
                         {{"requestedQueryCost", *cost},
                          {"actualQueryCost", std::move(actual)},
                          {"throttleStatus", shop->bucket.ThrottleStatus(now)}}}};
  };
  if (*cost > kMaxSingleQueryCost) {
    RecordCall(*shop, {{"operationName", name}, {"requestedQueryCost", *cost}, {"status", 200}, {"outcome", "max_cost_exceeded"}});
    json::object error{{"message", fmt::format("Query cost is {}, which exceeds the single query max cost limit ({}).\n\n"
                                               "See {} for more information on how the cost of a query is calculated.\n\n"
                                               "To query larger amounts of data with fewer limits, bulk operations "
                                               "should be used instead.",
                                               *cost, kMaxSingleQueryCost, kThrottleDocs)},
                       {"extensions", {{"code", "MAX_COST_EXCEEDED"}, {"cost", *cost}, {"maxCost", kMaxSingleQueryCost}}}};
    return Json(http::Status::ok, {{"errors", json::array{std::move(error)}}, {"extensions", cost_extension(nullptr)}});
  }
  if (!shop->bucket.TryTake(*cost, now)) {
    RecordCall(*shop, {{"operationName", name}, {"requestedQueryCost", *cost}, {"status", 200}, {"outcome", "throttled"}});
    json::object error{{"message", "Throttled"}, {"extensions", {{"code", "THROTTLED"}, {"documentation", kThrottleDocs}}}};
    return Json(http::Status::ok, {{"errors", json::array{std::move(error)}}, {"extensions", cost_extension(nullptr)}});
  }

  auto result = RunOperation(*shop, name, query, variables);
  if (!result.errors.empty()) {
    shop->bucket.Refund(*cost, now);
    RecordCall(*shop, {{"operationName", name}, {"requestedQueryCost", *cost}, {"actualQueryCost", 0}, {"status", 200},
                       {"outcome", "error"}});
    return Json(http::Status::ok, {{"errors", std::move(result.errors)}, {"extensions", cost_extension(0)}});
  }
  RecordCall(*shop, {{"operationName", name}, {"requestedQueryCost", *cost}, {"actualQueryCost", *cost}, {"status", 200},
                     {"outcome", "ok"}});
  return Json(http::Status::ok, {{"data", std::move(result.data)}, {"extensions", cost_extension(*cost)}});
}

OperationResult Simulator::Impl::RunOperation(Shop& shop, const std::string& name, const std::string& query,
                                              const json::object& variables) {
  if (name == "ShopInfo") return ShopInfo(shop);
  if (name == "WebhookSubscriptionCreate") return WebhookSubscriptionCreate(shop, variables);
  if (name == "BulkOperationRunQuery") return BulkOperationRunQuery(shop, variables);
  if (name == "CurrentBulkOperation") return CurrentBulkOperation(shop, variables);
  if (name == "ProductsPage") return ProductsPage(shop, query, variables);
  if (name == "OrdersPage") return OrdersPage(shop, query, variables);
  if (name == "ProductUpdate") return ProductUpdate(shop, query, variables);
  if (name == "ProductVariantsBulkUpdate") return ProductVariantsBulkUpdate(shop, query, variables);
  if (name == "MetafieldsSet") return MetafieldsSet(shop, variables);
  if (name == "WebPixelCreate") return WebPixelCreate(shop, variables);
  if (name == "ProductForPatch") return ProductForPatch(shop, query, variables);
  if (name == "AppMetafield") return AppMetafield(shop, variables);
  if (name == "MediaForPatch") return MediaForPatch(shop, variables);
  if (name == "MetafieldsDelete") return MetafieldsDelete(shop, variables);
  if (name == "FileUpdate") return FileUpdate(shop, variables);
  if (name == "MainThemeSettings") return MainThemeSettings(shop);
  return Fail(fmt::format("The simulator does not implement operation \"{}\" (see docs/simulator.md).", name),
              "UNKNOWN_OPERATION");
}

OperationResult Simulator::Impl::ShopInfo(Shop& shop) {
  OperationResult result;
  result.data = {{"shop",
                  {{"id", Gid("Shop", shop.id)},
                   {"name", shop.name},
                   {"myshopifyDomain", shop.domain},
                   {"email", "owner@" + shop.domain},
                   {"contactEmail", "hello@" + shop.domain},
                   {"currencyCode", shop.currency},
                   {"ianaTimezone", "Etc/UTC"},
                   {"plan", {{"displayName", "Basic"}, {"partnerDevelopment", false}, {"shopifyPlus", false}}},
                   {"primaryDomain", {{"url", "https://" + shop.domain}, {"host", shop.domain}}}}}};
  return result;
}

OperationResult Simulator::Impl::WebhookSubscriptionCreate(Shop& shop, const json::object& variables) {
  const auto* topic_value = variables.if_contains("topic");
  const std::string topic_enum = topic_value && topic_value->is_string() ? std::string(topic_value->as_string()) : "";
  const auto topic = WebhookTopics().find(topic_enum);
  if (topic == WebhookTopics().end()) {
    return Fail(fmt::format("Variable $topic of type WebhookSubscriptionTopic! was provided invalid value \"{}\"", topic_enum),
                "INVALID_VARIABLE");
  }
  const json::object* input = ObjectVariable(variables, {"webhookSubscription", "input"});
  if (!input) return Fail("Variable $webhookSubscription of type WebhookSubscriptionInput! was provided invalid value", "INVALID_VARIABLE");
  std::string uri;
  json::array field{"webhookSubscription"};
  if (const auto* value = input->if_contains("uri"); value && value->is_string()) {
    uri = value->as_string();
    field.push_back("uri");
  } else if (const auto* legacy = input->if_contains("callbackUrl"); legacy && legacy->is_string()) {
    uri = legacy->as_string();
    field.push_back("callbackUrl");
  }
  OperationResult result;
  json::array errors;
  static const std::regex kUrl(R"(^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$)");
  if (!std::regex_match(uri, kUrl)) {
    errors.push_back(UserError(field, "Address is invalid"));
  } else {
    for (const auto& existing : shop.subscriptions) {
      if (existing.topic == topic->second && existing.uri == uri) {
        errors.push_back(UserError(field, "Address for this topic has already been taken"));
      }
    }
  }
  json::value created = nullptr;
  if (errors.empty()) {
    Subscription subscription{NewId(), topic_enum, topic->second, uri, "JSON", Now()};
    created = json::object{{"id", Gid("WebhookSubscription", subscription.id)},
                           {"topic", topic_enum},
                           {"uri", uri},
                           {"format", "JSON"},
                           {"createdAt", FormatDateTime(subscription.created_at)},
                           {"endpoint", {{"__typename", "WebhookHttpEndpoint"}, {"callbackUrl", uri}}}};
    shop.subscriptions.push_back(std::move(subscription));
  }
  result.data = {{"webhookSubscriptionCreate", {{"webhookSubscription", std::move(created)}, {"userErrors", std::move(errors)}}}};
  return result;
}

json::object Simulator::Impl::BulkOperationJson(const BulkOperation& operation) const {
  const bool done = operation.status == "COMPLETED";
  json::value url = nullptr;
  if (done) url = fmt::format("{}/_sim/bulk/{}.jsonl", BaseUrl(), operation.id);
  json::value completed = nullptr;
  if (operation.completed_at) completed = FormatDateTime(*operation.completed_at);
  json::value file_size = nullptr;
  if (done) file_size = std::to_string(operation.result.jsonl.size());
  return {{"id", Gid("BulkOperation", operation.id)},
          {"status", operation.status},
          {"errorCode", nullptr},
          {"type", "QUERY"},
          {"query", operation.query},
          {"createdAt", FormatDateTime(operation.created_at)},
          {"completedAt", std::move(completed)},
          {"objectCount", std::to_string(done ? operation.result.object_count : 0)},
          {"rootObjectCount", std::to_string(done ? operation.result.root_object_count : 0)},
          {"fileSize", std::move(file_size)},
          {"url", std::move(url)},
          {"partialDataUrl", nullptr}};
}

OperationResult Simulator::Impl::BulkOperationRunQuery(Shop& shop, const json::object& variables) {
  std::string bulk_query;
  if (const auto* value = variables.if_contains("query"); value && value->is_string()) bulk_query = value->as_string();
  if (bulk_query.empty()) {
    return Fail("Variable $query of type String! was provided invalid value", "INVALID_VARIABLE");
  }
  OperationResult result;
  json::array errors;
  for (const auto& operation : shop.bulk_operations) {
    if (operation.status == "CREATED" || operation.status == "RUNNING") {
      errors.push_back(UserError({}, fmt::format("A bulk query operation for this app and shop is already in progress: {}.",
                                                 Gid("BulkOperation", operation.id)),
                                 "OPERATION_IN_PROGRESS"));
    }
  }
  const auto selection = BulkSelection::FromQuery(bulk_query);
  if (errors.empty() && !selection) {
    errors.push_back(UserError({"query"}, "Bulk queries must contain at least one connection.", "INVALID"));
  }
  if (!errors.empty()) {
    result.data = {{"bulkOperationRunQuery", {{"bulkOperation", nullptr}, {"userErrors", std::move(errors)}}}};
    return result;
  }
  BulkOperation operation;
  operation.id = NewId();
  operation.query = bulk_query;
  operation.created_at = Now();
  // The data as of the start of the operation (Shopify reads it while running; edits during a run may or may not
  // appear, and pagelift's sync must not depend on either).
  MetafieldIndex metafields;
  for (const auto& m : shop.metafields) {
    metafields[m.owner_id].push_back({{"id", Gid("Metafield", m.id)}, {"namespace", m.namespace_}, {"key", m.key},
                                      {"type", m.type}, {"value", m.value}});
  }
  operation.result = selection->orders
                         ? OrdersJsonl(shop.catalog.orders, shop.currency, *selection, shop.domain)
                         : ProductsJsonl(shop.catalog.products, shop.currency, *selection, shop.domain, &metafields);
  result.data = {{"bulkOperationRunQuery", {{"bulkOperation", BulkOperationJson(operation)}, {"userErrors", json::array{}}}}};
  const auto id = operation.id;
  shop.bulk_operations.push_back(std::move(operation));
  const auto start = SteadyClock::now();
  const std::string domain = shop.domain;
  dispatcher_.RunAt(start + options_.bulk_running_after, [this, domain, id] {
    std::lock_guard lock(mutex_);
    if (Shop* found = FindShop(domain)) {
      for (auto& op : found->bulk_operations) {
        if (op.id == id && op.status == "CREATED") op.status = "RUNNING";
      }
    }
  });
  dispatcher_.RunAt(start + std::max(options_.bulk_completed_after, options_.bulk_running_after),
                    [this, domain, id] { FinishBulkOperation(domain, id); });
  return result;
}

void Simulator::Impl::FinishBulkOperation(const std::string& domain, std::int64_t id) {
  std::lock_guard lock(mutex_);
  Shop* shop = FindShop(domain);
  if (!shop) return;
  for (auto& operation : shop->bulk_operations) {
    if (operation.id != id || operation.status == "COMPLETED") continue;
    operation.status = "COMPLETED";
    operation.completed_at = Now();
    Emit(*shop, "bulk_operations/finish",
         {{"admin_graphql_api_id", Gid("BulkOperation", id)},
          {"completed_at", FormatRestDateTime(*operation.completed_at)},
          {"created_at", FormatRestDateTime(operation.created_at)},
          {"error_code", nullptr},
          {"status", "completed"},
          {"type", "query"}});
  }
}

OperationResult Simulator::Impl::CurrentBulkOperation(Shop& shop, const json::object& variables) {
  // Either QueryRoot.currentBulkOperation (the latest) or bulkOperation(id: $id) aliased to that name.
  OperationResult result;
  json::value current = nullptr;
  if (const auto* id_value = variables.if_contains("id"); id_value && id_value->is_string()) {
    const auto id = ParseGid("BulkOperation", id_value->as_string());
    for (const auto& operation : shop.bulk_operations) {
      if (id && operation.id == *id) current = BulkOperationJson(operation);
    }
  } else if (!shop.bulk_operations.empty()) {
    current = BulkOperationJson(shop.bulk_operations.back());
  }
  result.data = {{"currentBulkOperation", std::move(current)}};
  return result;
}

OperationResult Simulator::Impl::ProductsPage(Shop& shop, const std::string& query, const json::object& variables) {
  auto page = PageArguments(variables);
  if (!page) return Fail(page.error().message, "BAD_REQUEST");
  const auto style = ConnectionStyle::FromQuery(query);
  OperationResult result;
  result.data = {{"products", Page(shop.catalog.products, page->first, page->second, style, [&](const Product& product) {
                    return ProductJson(product, shop.currency, style, shop.domain);
                  })}};
  return result;
}

OperationResult Simulator::Impl::OrdersPage(Shop& shop, const std::string& query, const json::object& variables) {
  auto page = PageArguments(variables);
  if (!page) return Fail(page.error().message, "BAD_REQUEST");
  const auto style = ConnectionStyle::FromQuery(query);
  // Orders are paged by id; generated orders have increasing ids in creation order.
  std::vector<Order> sorted = shop.catalog.orders;
  std::sort(sorted.begin(), sorted.end(), [](const Order& a, const Order& b) { return a.id < b.id; });
  OperationResult result;
  result.data = {{"orders", Page(sorted, page->first, page->second, style,
                                 [&](const Order& order) { return OrderJson(order, shop.currency, style, shop.domain); })}};
  return result;
}

OperationResult Simulator::Impl::ProductUpdate(Shop& shop, const std::string& query, const json::object& variables) {
  const json::object* input = ObjectVariable(variables, {"product", "input"});
  if (!input) return Fail("Variable $product of type ProductUpdateInput! was provided invalid value", "INVALID_VARIABLE");
  OperationResult result;
  const auto* id_value = input->if_contains("id");
  const auto id = id_value && id_value->is_string() ? ParseGid("Product", id_value->as_string()) : std::nullopt;
  Product* product = id ? shop.FindProduct(*id) : nullptr;
  if (!product) {
    result.data = {{"productUpdate", {{"product", nullptr}, {"userErrors", json::array{UserError({"id"}, "Product does not exist")}}}}};
    return result;
  }
  auto errors = ApplyProductInput(*product, *input, false);
  if (!errors.empty() && errors.front().as_object().contains("extensions")) {
    OperationResult failure;
    failure.errors = std::move(errors);
    return failure;
  }
  if (errors.empty()) Emit(shop, "products/update", ProductRest(*product));
  result.data = {{"productUpdate",
                  {{"product", errors.empty() ? json::value(ProductJson(*product, shop.currency, ConnectionStyle::FromQuery(query), shop.domain))
                                              : json::value(nullptr)},
                   {"userErrors", std::move(errors)}}}};
  return result;
}

OperationResult Simulator::Impl::ProductVariantsBulkUpdate(Shop& shop, const std::string& query,
                                                           const json::object& variables) {
  const auto* product_id = variables.if_contains("productId");
  const auto id = product_id && product_id->is_string() ? ParseGid("Product", product_id->as_string()) : std::nullopt;
  Product* product = id ? shop.FindProduct(*id) : nullptr;
  OperationResult result;
  if (!product) {
    result.data = {{"productVariantsBulkUpdate",
                    {{"product", nullptr}, {"productVariants", nullptr},
                     {"userErrors", json::array{UserError({"productId"}, "Product does not exist", "PRODUCT_DOES_NOT_EXIST")}}}}};
    return result;
  }
  const auto* list = variables.if_contains("variants");
  if (!list || !list->is_array()) return Fail("Variable $variants of type [ProductVariantsBulkInput!]! was provided invalid value", "INVALID_VARIABLE");
  auto errors = ApplyProductInput(*product, {{"variants", *list}}, true);
  if (errors.empty()) Emit(shop, "products/update", ProductRest(*product));
  json::array variants_json;
  if (errors.empty()) {
    for (const auto& variant : product->variants) variants_json.push_back(VariantJson(variant));
  }
  result.data = {{"productVariantsBulkUpdate",
                  {{"product", errors.empty() ? json::value({{"id", Gid("Product", product->id)}}) : json::value(nullptr)},
                   {"productVariants", errors.empty() ? json::value(std::move(variants_json)) : json::value(nullptr)},
                   {"userErrors", std::move(errors)}}}};
  (void)query;
  return result;
}

OperationResult Simulator::Impl::MetafieldsSet(Shop& shop, const json::object& variables) {
  const auto* list = variables.if_contains("metafields");
  if (!list || !list->is_array()) {
    return Fail("Variable $metafields of type [MetafieldsSetInput!]! was provided invalid value", "INVALID_VARIABLE");
  }
  const auto& inputs = list->as_array();
  OperationResult result;
  json::array errors;
  if (inputs.size() > 25) {
    errors.push_back(UserError({"metafields"}, "Exceeded the maximum metafields input limit of 25.", "LESS_THAN_OR_EQUAL_TO"));
  }
  static const std::set<std::string, std::less<>> kTypes = {
      "single_line_text_field", "multi_line_text_field", "json", "boolean", "number_integer", "number_decimal",
      "url", "color", "date", "date_time", "rich_text_field", "product_reference", "list.single_line_text_field"};
  static const std::regex kKey(R"(^[A-Za-z0-9_-]{2,64}$)");
  static const std::regex kNamespace(R"(^[A-Za-z0-9_-]{3,255}$)");
  std::vector<Metafield> parsed;
  for (size_t i = 0; i < inputs.size() && errors.empty(); ++i) {
    const auto index = std::to_string(i);
    if (!inputs[i].is_object()) {
      errors.push_back(UserError({"metafields", index}, "is invalid", "INVALID"));
      continue;
    }
    const auto& input = inputs[i].as_object();
    auto text = [&](const char* key) {
      const auto* value = input.if_contains(key);
      return value && value->is_string() ? std::string(value->as_string()) : std::string();
    };
    Metafield metafield;
    metafield.owner_id = text("ownerId");
    metafield.namespace_ = text("namespace");
    metafield.key = text("key");
    metafield.type = text("type");
    metafield.value = text("value");
    metafield.namespace_ = ResolveNamespace(metafield.namespace_);
    if (const auto product_id = ParseGid("Product", metafield.owner_id);
        metafield.owner_id.starts_with("gid://shopify/Product/") && product_id && shop.FindProduct(*product_id)) {
      metafield.owner_type = "PRODUCT";
    } else if (metafield.owner_id == Gid("Shop", shop.id)) {
      metafield.owner_type = "SHOP";
    } else {
      errors.push_back(UserError({"metafields", index, "ownerId"}, "Owner does not exist.", "INVALID"));
      continue;
    }
    if (!std::regex_match(metafield.namespace_, kNamespace) && !metafield.namespace_.starts_with("app--")) {
      errors.push_back(UserError({"metafields", index, "namespace"}, "Namespace is too short or contains invalid characters.", "INVALID"));
    } else if (!std::regex_match(metafield.key, kKey)) {
      errors.push_back(UserError({"metafields", index, "key"}, "Key is too short or contains invalid characters.", "INVALID"));
    } else if (!kTypes.contains(metafield.type)) {
      errors.push_back(UserError({"metafields", index, "type"}, fmt::format("Type '{}' is not a valid type.", metafield.type), "INVALID_TYPE"));
    } else if (metafield.value.empty()) {
      errors.push_back(UserError({"metafields", index, "value"}, "Value can't be blank.", "BLANK"));
    } else if (metafield.type == "json" || metafield.type.starts_with("list.")) {
      boost::system::error_code ec;
      auto value = json::parse(metafield.value, ec);
      if (ec) errors.push_back(UserError({"metafields", index, "value"}, "Value is invalid JSON.", "INVALID_VALUE"));
    } else if (metafield.type == "boolean" && metafield.value != "true" && metafield.value != "false") {
      errors.push_back(UserError({"metafields", index, "value"}, "Value must be true or false.", "INVALID_VALUE"));
    } else if (metafield.type == "number_integer" && !std::regex_match(metafield.value, std::regex(R"(^-?[0-9]{1,18}$)"))) {
      errors.push_back(UserError({"metafields", index, "value"}, "Value must be an integer.", "INVALID_VALUE"));
    }
    parsed.push_back(std::move(metafield));
  }
  json::array set;
  if (errors.empty()) {
    const auto now = Now();
    for (auto& metafield : parsed) {
      auto existing = std::find_if(shop.metafields.begin(), shop.metafields.end(), [&](const Metafield& m) {
        return m.owner_id == metafield.owner_id && m.namespace_ == metafield.namespace_ && m.key == metafield.key;
      });
      if (existing == shop.metafields.end()) {
        metafield.id = NewId();
        metafield.created_at = now;
        metafield.updated_at = now;
        shop.metafields.push_back(metafield);
        existing = std::prev(shop.metafields.end());
      } else {
        existing->type = metafield.type;
        existing->value = metafield.value;
        existing->updated_at = now;
      }
      set.push_back(MetafieldJson(*existing));
    }
  }
  result.data = {{"metafieldsSet",
                  {{"metafields", errors.empty() ? json::value(std::move(set)) : json::value(nullptr)},
                   {"userErrors", std::move(errors)}}}};
  return result;
}

OperationResult Simulator::Impl::WebPixelCreate(Shop& shop, const json::object& variables) {
  const json::object* input = ObjectVariable(variables, {"webPixel", "input"});
  if (!input) return Fail("Variable $webPixel of type WebPixelInput! was provided invalid value", "INVALID_VARIABLE");
  OperationResult result;
  json::array errors;
  std::string settings;
  if (const auto* value = input->if_contains("settings")) {
    if (value->is_string()) {
      boost::system::error_code ec;
      auto parsed = json::parse(value->as_string(), ec);
      if (ec || !parsed.is_object()) {
        errors.push_back(UserError({"settings"}, "Invalid settings", "INVALID_SETTINGS"));
      } else {
        settings = json::serialize(parsed);
      }
    } else if (value->is_object()) {
      settings = json::serialize(*value);
    } else {
      errors.push_back(UserError({"settings"}, "Invalid settings", "INVALID_SETTINGS"));
    }
  } else {
    errors.push_back(UserError({"settings"}, "Settings can't be blank", "BLANK"));
  }
  if (errors.empty() && shop.web_pixel) errors.push_back(UserError({}, "Web pixel is taken.", "TAKEN"));
  json::value pixel = nullptr;
  if (errors.empty()) {
    shop.web_pixel = WebPixel{NewId(), settings};
    pixel = json::object{{"id", Gid("WebPixel", shop.web_pixel->id)}, {"settings", settings}};
  }
  result.data = {{"webPixelCreate", {{"webPixel", std::move(pixel)}, {"userErrors", std::move(errors)}}}};
  return result;
}

std::string Simulator::Impl::ResolveNamespace(const std::string& name) const {
  if (name == "$app") return "app--" + options_.api_key;
  if (name.starts_with("$app:")) return "app--" + options_.api_key + "--" + name.substr(5);
  return name;
}

OperationResult Simulator::Impl::ProductForPatch(Shop& shop, const std::string& query, const json::object& variables) {
  const auto* id_value = variables.if_contains("id");
  if (!id_value || !id_value->is_string()) return Fail("Variable $id of type ID! was provided invalid value", "INVALID_VARIABLE");
  const auto id = ParseGid("Product", id_value->as_string());
  Product* product = id && id_value->as_string().starts_with("gid://shopify/Product/") ? shop.FindProduct(*id) : nullptr;
  OperationResult result;
  result.data = {{"product", product ? json::value(ProductJson(*product, shop.currency, ConnectionStyle::FromQuery(query), shop.domain))
                                     : json::value(nullptr)}};
  return result;
}

OperationResult Simulator::Impl::AppMetafield(Shop& shop, const json::object& variables) {
  const auto* owner = variables.if_contains("ownerId");
  const auto* key = variables.if_contains("key");
  if (!owner || !owner->is_string() || !key || !key->is_string()) {
    return Fail("Variables $ownerId: ID! and $key: String! are required", "INVALID_VARIABLE");
  }
  const std::string owner_id(owner->as_string());
  const auto product_id = ParseGid("Product", owner_id);
  const bool is_product = owner_id.starts_with("gid://shopify/Product/") && product_id && shop.FindProduct(*product_id);
  OperationResult result;
  if (!is_product && owner_id != Gid("Shop", shop.id)) {
    result.data = {{"node", nullptr}};
    return result;
  }
  const std::string namespace_ = ResolveNamespace("$app");
  json::value found = nullptr;
  for (const auto& metafield : shop.metafields) {
    if (metafield.owner_id == owner_id && metafield.namespace_ == namespace_ && metafield.key == key->as_string()) {
      found = MetafieldJson(metafield);
    }
  }
  result.data = {{"node", {{"id", owner_id}, {"metafield", std::move(found)}}}};
  return result;
}

OperationResult Simulator::Impl::MainThemeSettings(Shop& shop) {
  // settings_data.json as the theme editor saves it: a header comment, then "current" with the app embed blocks
  // ("shopify://apps/{app handle}/blocks/{block handle}/{extension uuid}", the handle being shopify.app.toml's) and
  // their "disabled" flags. The other app's block has the same block handle: only its app segment differs.
  const auto embed = [](std::string_view type, bool enabled) {
    return json::object{{"type", type}, {"disabled", !enabled}, {"settings", json::object{}}};
  };
  json::object blocks{
      {"14305391409573931425",
       embed("shopify://apps/pagelift/blocks/app-embed/0b9d5c1e-7f0a-4c51-9d3e-5a7c2f1e8b42", shop.app_embed_enabled)}};
  if (shop.other_app_embed_enabled) {
    blocks["8817264519203746512"] =
        embed("shopify://apps/other-app/blocks/app-embed/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", true);
  }
  const json::object settings{
      {"current", {{"colors_accent_1", "#121212"}, {"blocks", std::move(blocks)}}},
      {"presets", {{"Default", {{"colors_accent_1", "#121212"}}}}}};
  const std::string content =
      "/*\n * IMPORTANT: The contents of this file are auto-generated.\n */\n" + json::serialize(settings);
  json::object file{{"filename", "config/settings_data.json"}, {"body", {{"content", content}}}};
  json::object theme{{"id", Gid("OnlineStoreTheme", shop.id)},
                     {"name", "Dawn"},
                     {"role", "MAIN"},
                     {"files", {{"nodes", json::array{std::move(file)}}}}};
  OperationResult result;
  result.data = {{"themes", {{"nodes", json::array{std::move(theme)}}}}};
  return result;
}

OperationResult Simulator::Impl::MediaForPatch(Shop& shop, const json::object& variables) {
  const auto* ids = variables.if_contains("ids");
  if (!ids || !ids->is_array()) return Fail("Variable $ids of type [ID!]! was provided invalid value", "INVALID_VARIABLE");
  // nodes(ids:): one entry per id, in order; null for an id that names nothing (here: no such product media).
  json::array nodes;
  for (const auto& id : ids->as_array()) {
    const std::string gid = id.is_string() ? std::string(id.as_string()) : std::string();
    const auto media_id = gid.starts_with("gid://shopify/MediaImage/") ? ParseGid("MediaImage", gid) : std::nullopt;
    json::value found = nullptr;
    for (const auto& product : shop.catalog.products) {
      for (const auto& image : product.images) {
        if (media_id && image.id == *media_id) found = MediaJson(image);
      }
    }
    nodes.push_back(std::move(found));
  }
  OperationResult result;
  result.data = {{"nodes", std::move(nodes)}};
  return result;
}

OperationResult Simulator::Impl::MetafieldsDelete(Shop& shop, const json::object& variables) {
  const auto* list = variables.if_contains("metafields");
  if (!list || !list->is_array()) {
    return Fail("Variable $metafields of type [MetafieldIdentifierInput!]! was provided invalid value", "INVALID_VARIABLE");
  }
  // Shopify answers one entry per identifier: the identifier when it deleted something, null when nothing was there.
  json::array deleted;
  for (const auto& entry : list->as_array()) {
    if (!entry.is_object()) return Fail("Variable $metafields was provided invalid value", "INVALID_VARIABLE");
    const auto& input = entry.as_object();
    auto text = [&](const char* name) {
      const auto* value = input.if_contains(name);
      return value && value->is_string() ? std::string(value->as_string()) : std::string();
    };
    const std::string owner_id = text("ownerId");
    const std::string namespace_ = ResolveNamespace(text("namespace"));
    const std::string key = text("key");
    const auto before = shop.metafields.size();
    std::erase_if(shop.metafields, [&](const Metafield& m) {
      return m.owner_id == owner_id && m.namespace_ == namespace_ && m.key == key;
    });
    if (shop.metafields.size() == before) {
      deleted.push_back(nullptr);
    } else {
      deleted.push_back({{"ownerId", owner_id}, {"namespace", namespace_}, {"key", key}});
    }
  }
  OperationResult result;
  result.data = {{"metafieldsDelete", {{"deletedMetafields", std::move(deleted)}, {"userErrors", json::array{}}}}};
  return result;
}

OperationResult Simulator::Impl::FileUpdate(Shop& shop, const json::object& variables) {
  const auto* list = variables.if_contains("files");
  if (!list || !list->is_array()) return Fail("Variable $files of type [FileUpdateInput!]! was provided invalid value", "INVALID_VARIABLE");
  // Validate every input before changing anything (Shopify applies all or none).
  struct Change {
    Product* product;
    Image* image;
    std::string alt;
  };
  std::vector<Change> changes;
  json::array errors;
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    const auto& entry = list->as_array()[i];
    const json::object* input = entry.is_object() ? &entry.as_object() : nullptr;
    const auto* id = input ? input->if_contains("id") : nullptr;
    const auto media_id = id && id->is_string() && id->as_string().starts_with("gid://shopify/MediaImage/")
                              ? ParseGid("MediaImage", id->as_string())
                              : std::nullopt;
    Change change{nullptr, nullptr, {}};
    for (auto& product : shop.catalog.products) {
      for (auto& image : product.images) {
        if (media_id && image.id == *media_id) change = Change{&product, &image, {}};
      }
    }
    if (!change.image) {
      errors.push_back(UserError({"files", std::to_string(i), "id"}, "File id does not exist.", "FILE_DOES_NOT_EXIST"));
      continue;
    }
    const auto* alt = input->if_contains("alt");
    if (alt && alt->is_string() && alt->as_string().size() > 512) {
      errors.push_back(UserError({"files", std::to_string(i), "alt"}, "Alt is too long (maximum is 512 characters)", "INVALID"));
      continue;
    }
    change.alt = alt && alt->is_string() ? std::string(alt->as_string()) : change.image->alt;
    changes.push_back(std::move(change));
  }
  OperationResult result;
  if (!errors.empty()) {
    result.data = {{"fileUpdate", {{"files", nullptr}, {"userErrors", std::move(errors)}}}};
    return result;
  }
  json::array files;
  std::set<Product*> touched;
  for (auto& change : changes) {
    change.image->alt = change.alt;
    touched.insert(change.product);
    files.push_back({{"id", Gid("MediaImage", change.image->id)}, {"alt", change.image->alt}});
  }
  for (Product* product : touched) {
    product->updated_at = Now();
    Emit(shop, "products/update", ProductRest(*product));
  }
  result.data = {{"fileUpdate", {{"files", std::move(files)}, {"userErrors", json::array{}}}}};
  return result;
}

json::array Simulator::Impl::ApplyProductInput(Product& product, const json::object& input, bool allow_nested) {
  json::array errors;
  Product updated = product;
  static const std::set<std::string, std::less<>> kProductFields = {
      "id", "title", "descriptionHtml", "handle", "vendor", "productType", "tags", "status", "seo"};
  for (const auto& [key, value] : input) {
    if (!kProductFields.contains(key) && !(allow_nested && (key == "variants" || key == "images"))) {
      errors.push_back(json::object{
          {"message", fmt::format("Variable $product of type ProductUpdateInput! was provided invalid value for {} "
                                  "(Field is not defined on ProductUpdateInput)",
                                  std::string(key))},
          {"extensions", {{"code", "INVALID_VARIABLE"}}}});
      return errors;
    }
  }
  auto text = [&](const char* key) -> std::optional<std::string> {
    const auto* value = input.if_contains(key);
    if (value && value->is_string()) return std::string(value->as_string());
    return std::nullopt;
  };
  if (auto title = text("title")) {
    if (title->empty()) errors.push_back(UserError({"title"}, "Title can't be blank"));
    if (title->size() > 255) errors.push_back(UserError({"title"}, "Title is too long (maximum is 255 characters)"));
    updated.title = *title;
  }
  if (auto html = text("descriptionHtml")) updated.description_html = *html;
  if (auto handle = text("handle")) updated.handle = Handleize(*handle);
  if (auto vendor = text("vendor")) updated.vendor = *vendor;
  if (auto type = text("productType")) updated.product_type = *type;
  if (auto status = text("status")) {
    if (*status != "ACTIVE" && *status != "DRAFT" && *status != "ARCHIVED") {
      errors.push_back(UserError({"status"}, "Status is not included in the list"));
    }
    updated.status = *status;
  }
  if (const auto* tags = input.if_contains("tags")) {
    updated.tags.clear();
    if (tags->is_array()) {
      for (const auto& tag : tags->as_array()) {
        if (tag.is_string()) updated.tags.emplace_back(tag.as_string());
      }
    } else if (tags->is_string()) {
      std::string all(tags->as_string());
      size_t start = 0;
      while (start <= all.size()) {
        auto end = all.find(',', start);
        if (end == std::string::npos) end = all.size();
        auto tag = all.substr(start, end - start);
        tag.erase(0, tag.find_first_not_of(' '));
        tag.erase(tag.find_last_not_of(' ') + 1);
        if (!tag.empty()) updated.tags.push_back(tag);
        start = end + 1;
      }
    }
  }
  if (const auto* seo = input.if_contains("seo"); seo && seo->is_object()) {
    const auto& object = seo->as_object();
    if (const auto* title = object.if_contains("title")) {
      updated.seo_title = title->is_string() && !title->as_string().empty() ? std::optional<std::string>(title->as_string()) : std::nullopt;
    }
    if (const auto* description = object.if_contains("description")) {
      updated.seo_description = description->is_string() && !description->as_string().empty()
                                    ? std::optional<std::string>(description->as_string())
                                    : std::nullopt;
    }
  }
  auto money = [](const json::value& value) -> std::optional<std::int64_t> {
    if (value.is_string()) return ParseMoneyCents(value.as_string());
    if (value.is_int64()) return value.as_int64() * 100;
    if (value.is_double()) return static_cast<std::int64_t>(value.as_double() * 100 + 0.5);
    return std::nullopt;
  };
  if (const auto* variants = input.if_contains("variants"); variants && variants->is_array()) {
    for (size_t i = 0; i < variants->as_array().size(); ++i) {
      const auto& entry = variants->as_array()[i];
      const auto index = std::to_string(i);
      if (!entry.is_object()) continue;
      const auto& fields = entry.as_object();
      const auto* id = fields.if_contains("id");
      std::int64_t variant_id = 0;  // 0 matches no variant
      if (id && id->is_string()) variant_id = ParseGid("ProductVariant", id->as_string()).value_or(0);
      if (id && id->is_int64()) variant_id = id->as_int64();
      auto found = std::find_if(updated.variants.begin(), updated.variants.end(),
                                [&](const Variant& v) { return v.id == variant_id; });
      if (found == updated.variants.end()) {
        errors.push_back(UserError({"variants", index, "id"}, "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"));
        continue;
      }
      if (const auto* price = fields.if_contains("price")) {
        auto cents = money(*price);
        if (!cents) errors.push_back(UserError({"variants", index, "price"}, "Price is invalid", "INVALID"));
        else found->price_cents = *cents;
      }
      if (const auto* compare = fields.if_contains("compareAtPrice")) {
        if (compare->is_null()) {
          found->compare_at_cents.reset();
        } else if (auto cents = money(*compare)) {
          found->compare_at_cents = *cents;
        } else {
          errors.push_back(UserError({"variants", index, "compareAtPrice"}, "Compare at price is invalid", "INVALID"));
        }
      }
      if (const auto* quantity = fields.if_contains("inventoryQuantity"); quantity && quantity->is_int64()) {
        found->inventory_quantity = static_cast<int>(quantity->as_int64());
      }
      if (auto sku = fields.if_contains("sku"); sku && sku->is_string()) found->sku = sku->as_string();
    }
  }
  if (const auto* images = input.if_contains("images"); images && images->is_array()) {
    for (size_t i = 0; i < images->as_array().size(); ++i) {
      const auto& entry = images->as_array()[i];
      if (!entry.is_object()) continue;
      const auto& fields = entry.as_object();
      const auto* id = fields.if_contains("id");
      std::int64_t image_id = 0;  // 0 matches no image
      if (id && id->is_string()) {
        image_id = ParseGid("ProductImage", id->as_string()).value_or(ParseGid("MediaImage", id->as_string()).value_or(0));
      } else if (id && id->is_int64()) {
        image_id = id->as_int64();
      }
      auto found = std::find_if(updated.images.begin(), updated.images.end(),
                                [&](const Image& image) { return image.id == image_id; });
      if (found == updated.images.end()) {
        errors.push_back(UserError({"images", std::to_string(i), "id"}, "Image does not exist"));
        continue;
      }
      for (const char* key : {"altText", "alt"}) {
        if (const auto* alt = fields.if_contains(key); alt && alt->is_string()) found->alt = alt->as_string();
      }
    }
  }
  if (errors.empty()) {
    updated.updated_at = Now();
    product = std::move(updated);
  }
  return errors;
}

}  // namespace pagelift::shopify_sim
