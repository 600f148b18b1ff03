// POST /webhooks/shopify: every webhook topic, the compliance topics included (../shared/spec/shopify-platform.md,
// "Webhooks"). Verify the HMAC over the raw bytes before anything is parsed, check the required headers, record the
// delivery and enqueue its job in one transaction, answer 200 fast. Processing happens on the job queue
// (shopify/webhooks.h); a redelivered webhook id is acknowledged without a second effect.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "db/database.h"
#include "http/router.h"

namespace pagelift::api {

struct WebhookRouteDeps {
  db::Database& database;
  const std::vector<std::string>& secrets;  // SHOPIFY_API_SECRET, every configured one
  std::function<void()> on_enqueued;        // wakes the in-process job queue; may be empty
};

inline constexpr std::size_t kMaxWebhookBodyBytes = 5 << 20;

// `deps` must outlive the router.
void RegisterWebhookRoutes(http::Router& router, const WebhookRouteDeps& deps);

}  // namespace pagelift::api
