// The control API under /_sim: what a test or the demo uses to play the merchant and the platform (edit products,
// place orders, uninstall, send compliance requests), to inject faults, and to inspect what the app did.
#include <fmt/format.h>

#include <boost/asio/awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "http/responses.h"
#include "shopify-sim/impl.h"
#include "shopify/session_token.h"
#include "shopify/shop_domain.h"

namespace pagelift::shopify_sim {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

http::Response NotFound(std::string_view what) {
  return Json(http::Status::not_found, {{"error", {{"code", "not_found"}, {"message", what}}}});
}

http::Response BadRequest(std::string message) {
  return Json(http::Status::bad_request, {{"error", {{"code", "bad_request"}, {"message", std::move(message)}}}});
}

std::optional<json::object> OptionalBody(const http::Request& request) {
  if (request.body().empty()) return json::object{};
  return ObjectBody(request);
}

std::optional<long long> IntField(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value && value->is_int64()) return value->as_int64();
  if (value && value->is_uint64()) return static_cast<long long>(value->as_uint64());
  return std::nullopt;
}

std::optional<double> NumberField(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value && value->is_double()) return value->as_double();
  if (auto integer = IntField(object, key)) return static_cast<double>(*integer);
  return std::nullopt;
}

template <typename T>
json::array ToArray(const std::deque<T>& items) {
  json::array out;
  for (const auto& item : items) out.push_back(item);
  return out;
}

}  // namespace

void Simulator::Impl::RegisterControlRoutes() {
  using Handler = std::function<http::Response(const http::Request&, Shop&, const http::RequestContext&)>;
  // Routes scoped to a shop: resolve it under the lock, 404 when unknown.
  auto shop_route = [this](http::Verb verb, std::string pattern, Handler handler) {
    router_.Add(verb, std::move(pattern),
                [this, handler = std::move(handler)](http::Request& request,
                                                     http::RequestContext& context) -> asio::awaitable<http::Response> {
                  std::lock_guard lock(mutex_);
                  const auto domain = shopify::NormalizeMyshopifyDomain(context.params.at("shop"));
                  Shop* shop = domain ? FindShop(*domain) : nullptr;
                  if (!shop) co_return NotFound("no such shop");
                  co_return handler(request, *shop, context);
                });
  };

  router_.Add(http::Verb::get, "/_sim/health",
              [this](http::Request&, http::RequestContext&) -> asio::awaitable<http::Response> {
                std::lock_guard lock(mutex_);
                json::array shops;
                for (const auto& [domain, shop] : shops_) shops.push_back(json::string(domain));
                co_return Json(http::Status::ok, {{"status", "ok"}, {"shops", std::move(shops)}});
              });

  router_.Add(http::Verb::post, "/_sim/config",
              [this](http::Request& request, http::RequestContext&) -> asio::awaitable<http::Response> {
                auto body = ObjectBody(request);
                if (!body) co_return BadRequest("JSON object expected");
                std::lock_guard lock(mutex_);
                if (auto v = IntField(*body, "access_token_lifetime_seconds")) options_.access_token_lifetime = std::chrono::seconds(*v);
                if (auto v = IntField(*body, "refresh_token_lifetime_seconds")) options_.refresh_token_lifetime = std::chrono::seconds(*v);
                if (auto v = IntField(*body, "bulk_running_after_ms")) options_.bulk_running_after = std::chrono::milliseconds(*v);
                if (auto v = IntField(*body, "bulk_completed_after_ms")) options_.bulk_completed_after = std::chrono::milliseconds(*v);
                if (const auto* delays = body->if_contains("webhook_retry_delays_ms"); delays && delays->is_array()) {
                  std::vector<std::chrono::milliseconds> schedule;
                  for (const auto& d : delays->as_array()) {
                    if (d.is_int64()) schedule.emplace_back(d.as_int64());
                  }
                  dispatcher_.SetRetryDelays(std::move(schedule));
                }
                co_return Json(http::Status::ok,
                               {{"access_token_lifetime_seconds", options_.access_token_lifetime.count()},
                                {"refresh_token_lifetime_seconds", options_.refresh_token_lifetime.count()},
                                {"bulk_running_after_ms", options_.bulk_running_after.count()},
                                {"bulk_completed_after_ms", options_.bulk_completed_after.count()}});
              });

  // App Bridge's part: a session token for the shop, signed with the app secret (for tests and the demo).
  shop_route(http::Verb::post, "/_sim/shops/{shop}/session-token", [this](const http::Request&, Shop& shop, const auto&) {
    shopify::SessionTokenClaims claims;
    claims.shop = shop.domain;
    claims.api_key = options_.api_key;
    claims.issued_at = Clock::now();
    const auto token = shopify::SignSessionToken(shopify::MakeSessionTokenClaims(claims), options_.api_secrets.front());
    return Json(http::Status::ok, {{"token", token}, {"shop", shop.domain}});
  });

  shop_route(http::Verb::get, "/_sim/shops/{shop}/state", [this](const http::Request&, Shop& shop, const auto&) {
    json::array products;
    for (const auto& product : shop.catalog.products) products.push_back(ProductJson(product, shop.currency, {}, shop.domain));
    json::array metafields;
    for (const auto& m : shop.metafields) {
      metafields.push_back({{"id", Gid("Metafield", m.id)}, {"ownerId", m.owner_id}, {"namespace", m.namespace_},
                            {"key", m.key}, {"type", m.type}, {"value", m.value}});
    }
    json::array subscriptions;
    for (const auto& s : shop.subscriptions) {
      subscriptions.push_back({{"id", Gid("WebhookSubscription", s.id)}, {"topic", s.topic_enum}, {"uri", s.uri}});
    }
    json::value pixel = nullptr;
    if (shop.web_pixel) pixel = json::object{{"id", Gid("WebPixel", shop.web_pixel->id)}, {"settings", shop.web_pixel->settings}};
    json::array bulk;
    for (const auto& operation : shop.bulk_operations) bulk.push_back(BulkOperationJson(operation));
    return Json(http::Status::ok, {{"shop", {{"id", Gid("Shop", shop.id)}, {"domain", shop.domain}}},
                                   {"products", std::move(products)},
                                   {"orderCount", shop.catalog.orders.size()},
                                   {"metafields", std::move(metafields)},
                                   {"webhookSubscriptions", std::move(subscriptions)},
                                   {"webPixel", std::move(pixel)},
                                   {"bulkOperations", std::move(bulk)}});
  });

  shop_route(http::Verb::get, "/_sim/shops/{shop}/deliveries", [](const http::Request&, Shop& shop, const auto&) {
    return Json(http::Status::ok, {{"deliveries", ToArray(shop.deliveries)}});
  });
  shop_route(http::Verb::get, "/_sim/shops/{shop}/calls", [](const http::Request&, Shop& shop, const auto&) {
    return Json(http::Status::ok, {{"calls", ToArray(shop.calls)}, {"throttleStatus", shop.bucket.ThrottleStatus(SteadyClock::now())}});
  });

  shop_route(http::Verb::post, "/_sim/shops/{shop}/products/{id}",
             [this](const http::Request& request, Shop& shop, const http::RequestContext& context) {
               const auto id = ParseGid("Product", context.params.at("id"));
               Product* product = id ? shop.FindProduct(*id) : nullptr;
               if (!product) return NotFound("no such product");
               auto body = ObjectBody(request);
               if (!body) return BadRequest("JSON object expected");
               body->erase("id");
               auto errors = ApplyProductInput(*product, *body, true);
               if (!errors.empty()) return Json(http::Status::unprocessable_entity, {{"userErrors", std::move(errors)}});
               Emit(shop, "products/update", ProductRest(*product));
               return Json(http::Status::ok, {{"product", ProductJson(*product, shop.currency, {}, shop.domain)}});
             });

  shop_route(http::Verb::delete_, "/_sim/shops/{shop}/products/{id}",
             [this](const http::Request&, Shop& shop, const http::RequestContext& context) {
               const auto id = ParseGid("Product", context.params.at("id"));
               auto& products = shop.catalog.products;
               auto found = std::find_if(products.begin(), products.end(), [&](const Product& p) { return id && p.id == *id; });
               if (found == products.end()) return NotFound("no such product");
               products.erase(found);
               Emit(shop, "products/delete", {{"id", *id}});
               return Json(http::Status::ok, {{"deleted", Gid("Product", *id)}});
             });

  shop_route(http::Verb::post, "/_sim/shops/{shop}/orders", [this](const http::Request& request, Shop& shop, const auto&) {
    auto body = OptionalBody(request);
    if (!body) return BadRequest("JSON object expected");
    Order order;
    order.id = NewId();
    order.created_at = Now();
    order.processed_at = order.created_at;
    order.updated_at = order.created_at;
    int number = 1000;
    for (const auto& existing : shop.catalog.orders) number = std::max(number, existing.number);
    order.number = number + 1;
    // Line items: [{variant_id (number or gid), quantity}]; default: one of the first sellable variant.
    std::vector<std::pair<std::int64_t, int>> wanted;
    if (const auto* items = body->if_contains("line_items"); items && items->is_array()) {
      for (const auto& item : items->as_array()) {
        if (!item.is_object()) return BadRequest("line_items entries must be objects");
        const auto* variant = item.as_object().if_contains("variant_id");
        std::optional<std::int64_t> variant_id;
        if (variant && variant->is_int64()) variant_id = variant->as_int64();
        if (variant && variant->is_string()) variant_id = ParseGid("ProductVariant", variant->as_string());
        if (!variant_id) return BadRequest("line_items[].variant_id is required");
        wanted.emplace_back(*variant_id, static_cast<int>(IntField(item.as_object(), "quantity").value_or(1)));
      }
    } else {
      for (const auto& product : shop.catalog.products) {
        if (product.status == "ACTIVE" && !product.variants.empty()) {
          wanted.emplace_back(product.variants.front().id, 1);
          break;
        }
      }
    }
    for (const auto& [variant_id, quantity] : wanted) {
      const Product* owner = nullptr;
      const Variant* variant = nullptr;
      for (const auto& product : shop.catalog.products) {
        for (const auto& v : product.variants) {
          if (v.id == variant_id) {
            owner = &product;
            variant = &v;
          }
        }
      }
      if (!variant) return BadRequest(fmt::format("no variant {}", variant_id));
      LineItem item{NewId(), owner->id, variant->id, owner->title,
                    variant->title == "Default Title" ? "" : variant->title, variant->sku, quantity, variant->price_cents};
      order.subtotal_cents += item.unit_price_cents * quantity;
      order.line_items.push_back(std::move(item));
    }
    order.total_cents = order.subtotal_cents + order.subtotal_cents * 8 / 100;
    order.email = "buyer@example.com";
    if (const auto* email = body->if_contains("email"); email && email->is_string()) order.email = email->as_string();
    order.customer_id = 6000000000000 + static_cast<std::int64_t>(std::hash<std::string>{}(order.email) % 1000000);
    for (const char* key : {"note_attributes", "custom_attributes"}) {
      if (const auto* attributes = body->if_contains(key); attributes && attributes->is_array()) {
        for (const auto& attribute : attributes->as_array()) {
          if (!attribute.is_object()) continue;
          const auto& a = attribute.as_object();
          const auto* name = a.if_contains("name") ? a.if_contains("name") : a.if_contains("key");
          const auto* value = a.if_contains("value");
          if (name && name->is_string() && value && value->is_string()) {
            order.custom_attributes.emplace_back(name->as_string(), value->as_string());
          }
        }
      }
    }
    if (const auto* landing = body->if_contains("landing_site"); landing && landing->is_string()) order.landing_site = landing->as_string();
    if (const auto* referring = body->if_contains("referring_site"); referring && referring->is_string()) order.referring_site = referring->as_string();
    std::string status = "PAID";
    if (const auto* financial = body->if_contains("financial_status"); financial && financial->is_string()) {
      status = financial->as_string();
      for (auto& c : status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    order.financial_status = status;
    shop.catalog.orders.push_back(order);
    const auto rest = OrderRest(order, shop.currency);
    Emit(shop, "orders/create", rest);
    if (status == "PAID") Emit(shop, "orders/paid", rest);
    return Json(http::Status::created, {{"order", rest}});
  });

  shop_route(http::Verb::post, "/_sim/shops/{shop}/uninstall", [this](const http::Request&, Shop& shop, const auto&) {
    Emit(shop, "app/uninstalled",
         {{"id", shop.id}, {"name", shop.name}, {"email", "owner@" + shop.domain}, {"domain", shop.domain},
          {"myshopify_domain", shop.domain}, {"currency", shop.currency}, {"plan_name", "basic"}});
    // Shopify removes the app's subscriptions, pixel, reserved metafields and tokens with the app.
    shop.subscriptions.clear();
    shop.web_pixel.reset();
    const std::string app_namespace = "app--" + options_.api_key;
    std::erase_if(shop.metafields, [&](const Metafield& m) { return m.namespace_.starts_with(app_namespace); });
    RevokeShopTokens(shop.domain);
    return Json(http::Status::ok, {{"uninstalled", shop.domain}});
  });

  shop_route(http::Verb::post, "/_sim/shops/{shop}/compliance/{topic}",
             [this](const http::Request& request, Shop& shop, const http::RequestContext& context) {
               const auto& which = context.params.at("topic");
               auto body = OptionalBody(request);
               if (!body) return BadRequest("JSON object expected");
               if (options_.compliance_url.empty()) {
                 return Json(http::Status::conflict, {{"error", {{"code", "conflict"}, {"message", "no compliance URL configured"}}}});
               }
               // The customer: from the body, or the first order's customer.
               json::object customer{{"id", 0}, {"email", nullptr}, {"phone", nullptr}};
               if (!shop.catalog.orders.empty()) {
                 customer = {{"id", shop.catalog.orders.front().customer_id}, {"email", shop.catalog.orders.front().email}, {"phone", nullptr}};
               }
               if (const auto* given = body->if_contains("customer"); given && given->is_object()) customer = given->as_object();
               json::array orders;
               if (const auto* given = body->if_contains("orders"); given && given->is_array()) {
                 orders = given->as_array();
               } else {
                 const auto* id = customer.if_contains("id");
                 for (const auto& order : shop.catalog.orders) {
                   if (id && id->is_int64() && order.customer_id == id->as_int64()) orders.push_back(order.id);
                 }
               }
               std::string topic;
               json::object payload{{"shop_id", shop.id}, {"shop_domain", shop.domain}};
               if (which == "customers-data_request") {
                 topic = "customers/data_request";
                 payload["orders_requested"] = orders;
                 payload["customer"] = customer;
                 payload["data_request"] = {{"id", NewId()}};
               } else if (which == "customers-redact") {
                 topic = "customers/redact";
                 payload["customer"] = customer;
                 payload["orders_to_redact"] = orders;
               } else if (which == "shop-redact") {
                 topic = "shop/redact";
               } else {
                 return NotFound("compliance topics: customers-data_request, customers-redact, shop-redact");
               }
               DeliverTo(shop, topic, options_.compliance_url, json::serialize(payload), Uuid(),
                         FormatRfc3339Millis(Clock::now()));
               return Json(http::Status::accepted, {{"topic", topic}, {"payload", payload}});
             });

  // {"app_embed_enabled"?: bool, "other_app_embed_enabled"?: bool} (at least one): the merchant switches pagelift's
  // app embed, or another app's embed block of the same name, on or off in the published theme.
  shop_route(http::Verb::post, "/_sim/shops/{shop}/theme", [](const http::Request& request, Shop& shop, const auto&) {
    auto body = ObjectBody(request);
    const auto* enabled = body ? body->if_contains("app_embed_enabled") : nullptr;
    const auto* other = body ? body->if_contains("other_app_embed_enabled") : nullptr;
    if ((!enabled && !other) || (enabled && !enabled->is_bool()) || (other && !other->is_bool())) {
      return BadRequest("{\"app_embed_enabled\": true|false, \"other_app_embed_enabled\": true|false} expected");
    }
    if (enabled) shop.app_embed_enabled = enabled->as_bool();
    if (other) shop.other_app_embed_enabled = other->as_bool();
    return Json(http::Status::ok, {{"app_embed_enabled", shop.app_embed_enabled},
                                   {"other_app_embed_enabled", shop.other_app_embed_enabled}});
  });

  shop_route(http::Verb::post, "/_sim/shops/{shop}/faults", [this](const http::Request& request, Shop& shop, const auto&) {
    auto body = ObjectBody(request);
    if (!body) return BadRequest("JSON object expected");
    auto& faults = shop.faults;
    const auto now = SteadyClock::now();
    if (const auto* reset = body->if_contains("reset"); reset && reset->is_bool() && reset->as_bool()) {
      faults = Faults{};
      shop.bucket.Set(options_.bucket_maximum, options_.bucket_restore_rate, now);
    }
    if (const auto* throttle = body->if_contains("throttle"); throttle && throttle->is_object()) {
      const auto& t = throttle->as_object();
      shop.bucket.Set(NumberField(t, "available").value_or(0), NumberField(t, "restore_rate").value_or(shop.bucket.restore_rate()), now);
    }
    if (const auto* fail = body->if_contains("fail_next"); fail && fail->is_object()) {
      const auto& f = fail->as_object();
      const int status = static_cast<int>(IntField(f, "status").value_or(503));
      if (status != 429 && status != 500 && status != 502 && status != 503 && status != 504) {
        return BadRequest("fail_next.status must be 429, 500, 502, 503 or 504");
      }
      faults.fail_next = static_cast<int>(IntField(f, "count").value_or(1));
      faults.fail_status = status;
      faults.retry_after_seconds = static_cast<int>(IntField(f, "retry_after").value_or(1));
    }
    if (auto delay = IntField(*body, "delay_ms")) faults.delay = std::chrono::milliseconds(*delay);
    if (const auto* drop = body->if_contains("drop_webhooks"); drop && drop->is_object()) {
      faults.drop_next_webhooks = static_cast<int>(IntField(drop->as_object(), "count").value_or(0));
      faults.drop_probability = NumberField(drop->as_object(), "probability").value_or(0);
    }
    if (const auto* duplicate = body->if_contains("duplicate_webhooks"); duplicate && duplicate->is_object()) {
      faults.duplicate_next_webhooks = static_cast<int>(IntField(duplicate->as_object(), "count").value_or(1));
    }
    if (auto lifetime = IntField(*body, "access_token_lifetime_seconds")) {
      options_.access_token_lifetime = std::chrono::seconds(*lifetime);
    }
    return Json(http::Status::ok,
                {{"fail_next", faults.fail_next},
                 {"fail_status", faults.fail_status},
                 {"delay_ms", faults.delay.count()},
                 {"drop_next_webhooks", faults.drop_next_webhooks},
                 {"drop_probability", faults.drop_probability},
                 {"duplicate_next_webhooks", faults.duplicate_next_webhooks},
                 {"throttleStatus", shop.bucket.ThrottleStatus(now)}});
  });
}

}  // namespace pagelift::shopify_sim
