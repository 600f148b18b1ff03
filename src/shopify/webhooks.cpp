#include "shopify/webhooks.h"

#include <array>
#include <boost/json/parse.hpp>
#include <stdexcept>

#include "core/log.h"
#include "shopify/shops_repository.h"

namespace pagelift::shopify {

namespace json = boost::json;

void WebhookDispatcher::RegisterWebhookHandler(std::string topic, WebhookHandler handler) {
  if (handlers_.contains(topic)) throw std::logic_error("webhook topic registered twice: " + topic);
  handlers_.emplace(std::move(topic), std::move(handler));
}

bool WebhookDispatcher::Handles(std::string_view topic) const { return handlers_.find(topic) != handlers_.end(); }

Result<void> WebhookDispatcher::Dispatch(const WebhookDelivery& delivery) const {
  auto it = handlers_.find(delivery.topic);
  if (it == handlers_.end()) {
    log::Info("webhook topic has no handler; delivery acknowledged and ignored",
              {{"topic", delivery.topic}, {"shop", delivery.shop_domain}, {"webhook_id", delivery.webhook_id}});
    return {};
  }
  return it->second(delivery);
}

bool IsComplianceTopic(std::string_view topic) {
  static constexpr std::array<std::string_view, 3> kTopics = {"customers/data_request", "customers/redact",
                                                              "shop/redact"};
  for (auto t : kTopics) {
    if (t == topic) return true;
  }
  return false;
}

namespace {

std::optional<TimePoint> Micros(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return TimePoint(std::chrono::microseconds(field.as<long long>()));
}

// The delivery row and its shop, or nullopt when the row is gone (shop/redact erased it) or already processed.
std::optional<WebhookDelivery> LoadDelivery(pqxx::work& tx, const std::string& webhook_id) {
  auto rows = tx.exec_params(
      "SELECT shop_domain, event_id, topic, (extract(epoch FROM triggered_at) * 1000000)::bigint, payload::text, "
      "       (extract(epoch FROM received_at) * 1000000)::bigint, processed_at IS NOT NULL "
      "FROM webhook_deliveries WHERE webhook_id = $1",
      webhook_id);
  if (rows.empty() || rows[0][6].as<bool>()) return std::nullopt;
  const auto row = rows[0];
  WebhookDelivery delivery;
  delivery.webhook_id = webhook_id;
  delivery.shop_domain = row[0].as<std::string>();
  if (!row[1].is_null()) delivery.event_id = row[1].as<std::string>();
  delivery.topic = row[2].as<std::string>();
  delivery.triggered_at = Micros(row[3]);
  delivery.payload = json::parse(row[4].as<std::string>());
  delivery.received_at = Micros(row[5]).value_or(TimePoint{});
  if (auto shop = FindShopByDomain(tx, delivery.shop_domain)) {
    delivery.shop = WebhookShop{shop->id, shop->public_id, shop->installed()};
  }
  return delivery;
}

}  // namespace

bool RecordWebhookDelivery(pqxx::work& tx, const IncomingWebhook& webhook) {
  const std::optional<std::string> triggered =
      webhook.triggered_at ? std::optional<std::string>(FormatRfc3339Millis(*webhook.triggered_at)) : std::nullopt;
  auto rows = tx.exec_params(
      "INSERT INTO webhook_deliveries (webhook_id, shop_domain, event_id, topic, triggered_at, payload) "
      "VALUES ($1, $2, $3, $4, $5::timestamptz, $6::jsonb) ON CONFLICT (webhook_id) DO NOTHING RETURNING 1",
      webhook.webhook_id, webhook.shop_domain, webhook.event_id, webhook.topic, triggered, webhook.raw_body);
  if (rows.empty()) return false;
  jobs::EnqueueOptions options;
  options.dedupe_key = webhook.webhook_id;
  jobs::Enqueue(tx, kWebhookJobKind, {{"webhook_id", webhook.webhook_id}, {"topic", webhook.topic}}, options);
  return true;
}

void RegisterWebhookJob(jobs::JobRegistry& registry, const WebhookDispatcher& dispatcher, db::Database& database) {
  registry.Register(std::string(kWebhookJobKind), [&dispatcher, &database](jobs::JobContext& context) -> Result<void> {
    const json::value* id = context.job.payload.if_contains("webhook_id");
    if (id == nullptr || !id->is_string()) {
      return MakeError(ErrorCode::kBadRequest, "webhook job without a webhook_id");
    }
    const std::string webhook_id(id->as_string());
    auto delivery = database.Run(db::TxOptions::ReadOnly(),
                                 [&](pqxx::work& tx) { return LoadDelivery(tx, webhook_id); });
    if (!delivery) return {};
    auto result = dispatcher.Dispatch(*delivery);
    if (!result) return result;
    database.Run([&](pqxx::work& tx) {
      tx.exec_params("UPDATE webhook_deliveries SET processed_at = now() WHERE webhook_id = $1", webhook_id);
    });
    return {};
  });
}

}  // namespace pagelift::shopify
