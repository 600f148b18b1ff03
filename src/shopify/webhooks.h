// Processing of Shopify webhook deliveries after they were verified and stored by POST /webhooks/shopify
// (src/api/webhooks.cpp). The route inserts a `webhook_deliveries` row and enqueues a job of kind kWebhookJobKind;
// that job loads the row and hands it to the handler registered for its topic. Each capability registers its topics
// once at start-up:
//
//   dispatcher.RegisterWebhookHandler("products/update", [&](const shopify::WebhookDelivery& d) -> Result<void> {
//     if (!d.shop) return {};  // no installed shop: nothing to update
//     ... d.shop->id, d.payload, d.triggered_at ...
//   });
//
// Handlers run on job-queue worker threads (blocking database calls are fine), at least once per delivery (a retry
// after a crash, or Shopify sending a new webhook id for the same event): they must be idempotent and must not
// overwrite newer data with a stale delivery (compare d.triggered_at or the payload's updated_at with what is stored).
// An Error return (or an exception) retries the job with backoff; after the last attempt the delivery stays
// unprocessed (processed_at NULL) for an operator to see.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"
#include "db/database.h"
#include "jobs/queue.h"

namespace pagelift::shopify {

inline constexpr std::string_view kWebhookJobKind = "webhook";

// The shop a delivery concerns, when it has a `shops` row (installed, or uninstalled but not yet redacted).
struct WebhookShop {
  std::string id;         // shops.id (UUID text): the only key handlers may use for shop-owned rows
  std::string public_id;
  bool installed = true;  // false once uninstalled_at is set
};

struct WebhookDelivery {
  std::string webhook_id;                // X-Shopify-Webhook-Id
  std::string topic;                     // X-Shopify-Topic, e.g. "products/update"
  std::string shop_domain;               // X-Shopify-Shop-Domain as received (lower-cased)
  std::optional<std::string> event_id;   // X-Shopify-Event-Id
  std::optional<TimePoint> triggered_at;  // X-Shopify-Triggered-At
  TimePoint received_at{};
  boost::json::value payload;            // the parsed body
  std::optional<WebhookShop> shop;
};

using WebhookHandler = std::function<Result<void>(const WebhookDelivery&)>;

// topic → handler. Register before the job queue starts; the map is read-only afterwards.
class WebhookDispatcher {
 public:
  // Throws std::logic_error when the topic already has a handler.
  void RegisterWebhookHandler(std::string topic, WebhookHandler handler);
  bool Handles(std::string_view topic) const;
  // Runs the topic's handler; a topic nobody registered is logged and counts as done.
  Result<void> Dispatch(const WebhookDelivery& delivery) const;

 private:
  std::map<std::string, WebhookHandler, std::less<>> handlers_;
};

// The topics Shopify requires every app to handle (declared in shopify.app.toml, never subscribed through the API).
bool IsComplianceTopic(std::string_view topic);

// A verified delivery as the HTTP route received it.
struct IncomingWebhook {
  std::string webhook_id;
  std::string topic;
  std::string shop_domain;
  std::optional<std::string> event_id;
  std::optional<TimePoint> triggered_at;
  std::string raw_body;  // valid JSON (checked by the route)
};

// Inserts the webhook_deliveries row and enqueues its kWebhookJobKind job in the caller's transaction. Returns false
// (and changes nothing) when this webhook id was recorded before: Shopify redelivered it.
bool RecordWebhookDelivery(pqxx::work& tx, const IncomingWebhook& webhook);

// Registers the kWebhookJobKind job: load the delivery, resolve its shop, Dispatch, set processed_at. A delivery
// already processed is skipped. `dispatcher` and `database` must outlive the queue.
void RegisterWebhookJob(jobs::JobRegistry& registry, const WebhookDispatcher& dispatcher, db::Database& database);

}  // namespace pagelift::shopify
