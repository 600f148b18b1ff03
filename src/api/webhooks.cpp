#include "api/webhooks.h"

#include <boost/json/parse.hpp>

#include "core/log.h"
#include "core/time.h"
#include "http/responses.h"
#include "shopify/shop_domain.h"
#include "shopify/signatures.h"
#include "shopify/webhooks.h"

namespace pagelift::api {

namespace {

// Header lookup is case-insensitive (Beast); newer "events" deliveries drop the X- prefix.
std::optional<std::string> ShopifyHeader(const http::Request& request, std::string_view name) {
  for (const std::string& full : {"X-Shopify-" + std::string(name), "Shopify-" + std::string(name)}) {
    auto it = request.find(full);
    if (it != request.end() && !it->value().empty()) return std::string(it->value());
  }
  return std::nullopt;
}

std::string Lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Error MissingHeader(std::string_view name) {
  return MakeError(ErrorCode::kBadRequest, "missing header X-Shopify-" + std::string(name),
                   {{"header", "X-Shopify-" + std::string(name)}});
}

boost::asio::awaitable<http::Response> Receive(const WebhookRouteDeps& deps, http::Request& request,
                                               http::RequestContext& context) {
  const std::string& body = request.body();
  const auto hmac = ShopifyHeader(request, "Hmac-Sha256");
  if (!hmac) co_return http::ErrorResponse(MissingHeader("Hmac-Sha256"));
  if (body.empty()) co_return http::ErrorResponse(MakeError(ErrorCode::kBadRequest, "the webhook body is empty"));
  // Authenticity first, on the bytes as received: nothing unverified is parsed.
  if (!shopify::VerifyWebhookHmac(body, *hmac, deps.secrets)) {
    log::Warn("webhook with a wrong HMAC refused", {{"request_id", context.request_id}});
    co_return http::ErrorResponse(MakeError(ErrorCode::kUnauthorized, "the webhook's HMAC does not verify"));
  }
  shopify::IncomingWebhook webhook;
  for (const char* name : {"Topic", "Shop-Domain", "API-Version", "Webhook-Id"}) {
    if (!ShopifyHeader(request, name)) co_return http::ErrorResponse(MissingHeader(name));
  }
  webhook.topic = *ShopifyHeader(request, "Topic");
  webhook.webhook_id = *ShopifyHeader(request, "Webhook-Id");
  webhook.event_id = ShopifyHeader(request, "Event-Id");
  if (auto triggered = ShopifyHeader(request, "Triggered-At")) webhook.triggered_at = ParseRfc3339(*triggered);
  const std::string domain_header = *ShopifyHeader(request, "Shop-Domain");
  const auto domain = shopify::NormalizeMyshopifyDomain(domain_header);
  if (domain) {
    webhook.shop_domain = *domain;
  } else if (shopify::IsComplianceTopic(webhook.topic)) {
    // Shopify requires a 200 for compliance topics; keep the record for an operator to look at.
    webhook.shop_domain = Lower(domain_header.substr(0, 255));
    log::Warn("compliance webhook for an invalid shop domain recorded",
              {{"topic", webhook.topic}, {"webhook_id", webhook.webhook_id}});
  } else {
    co_return http::ErrorResponse(MakeError(ErrorCode::kBadRequest, "X-Shopify-Shop-Domain is not a shop domain",
                                            {{"header", "X-Shopify-Shop-Domain"}}));
  }
  boost::system::error_code parse_error;
  auto parsed = boost::json::parse(body, parse_error);
  if (parse_error) {
    co_return http::ErrorResponse(MakeError(ErrorCode::kBadRequest, "the webhook body is not valid JSON"));
  }
  webhook.raw_body = body;
  context.shop = webhook.shop_domain;
  bool recorded = false;
  try {
    recorded = co_await deps.database.RunAsync(
        [&webhook](pqxx::work& tx) { return shopify::RecordWebhookDelivery(tx, webhook); });
  } catch (const pqxx::data_exception&) {
    // JSON that PostgreSQL's jsonb refuses (e.g. \u0000): the body is malformed for us.
    co_return http::ErrorResponse(MakeError(ErrorCode::kBadRequest, "the webhook body cannot be stored as JSON"));
  }
  if (recorded && deps.on_enqueued) deps.on_enqueued();
  log::Info(recorded ? "webhook received" : "webhook redelivery acknowledged",
            {{"topic", webhook.topic}, {"shop", webhook.shop_domain}, {"webhook_id", webhook.webhook_id},
             {"request_id", context.request_id}});
  co_return http::JsonResponse(http::Status::ok, {{"received", true}, {"duplicate", !recorded}});
}

}  // namespace

void RegisterWebhookRoutes(http::Router& router, const WebhookRouteDeps& deps) {
  http::RouteOptions options;
  options.max_body_bytes = kMaxWebhookBodyBytes;
  options.allow_gzip = false;
  router.Add(
      http::Verb::post, "/webhooks/shopify",
      [&deps](http::Request& request, http::RequestContext& context) { return Receive(deps, request, context); },
      options);
}

}  // namespace pagelift::api
