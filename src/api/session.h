// Authentication of the embedded admin's API calls (/api/*) and headers every embedded response carries.
// Authenticate verifies the App Bridge session token (Authorization: Bearer …, or the `id_token` query parameter on a
// document load), takes the shop from its `dest`, and makes sure pagelift holds a usable offline token for that shop:
// when the shop has no row, was uninstalled or needs re-authorisation, it runs token exchange and stores the tokens
// (enqueuing the install follow-ups for a new install). Every handler behind it scopes its reads and writes to
// AuthenticatedShop::shop_id, so a token for shop A never reaches shop B's rows.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/error.h"
#include "db/database.h"
#include "http/types.h"
#include "shopify/oauth.h"

namespace pagelift::api {

struct AuthDeps {
  db::Database& database;
  const shopify::AppCredentials& app;
  const crypto::KeyRing& keys;
  // Called after a shop was newly installed (wakes the job queue); may be empty.
  std::function<void()> on_enqueued;
};

struct AuthenticatedShop {
  std::string shop_id;  // shops.id (UUID text)
  std::string domain;
  std::string public_id;
};

// kUnauthorized: no token, or a token that fails verification, or Shopify refused its exchange. kForbidden: the
// request names (in a `shop` query parameter) another shop than its token. kUnavailable: Shopify or PostgreSQL down.
// Sets context.shop on success.
boost::asio::awaitable<Result<AuthenticatedShop>> Authenticate(const http::Request& request,
                                                              http::RequestContext& context, const AuthDeps& deps);

// The error response for a failed Authenticate: a 401 also carries X-Shopify-Retry-Invalid-Session-Request: 1, so App
// Bridge fetches a new session token and retries.
http::Response SessionErrorResponse(const Error& error);

// "frame-ancestors https://{shop} https://admin.shopify.com" (without the shop when it is unknown).
std::string FrameAncestorsPolicy(std::string_view shop);
// Sets Content-Security-Policy on a response of the embedded admin (/api/*, /app/*). `shop` may be empty.
void AddEmbeddedHeaders(http::Response& response, std::string_view shop);

// A handler of the embedded admin's API, called only for an authenticated shop.
using SessionHandler = std::function<boost::asio::awaitable<http::Response>(http::Request&, http::RequestContext&,
                                                                          const AuthenticatedShop&)>;

// Wraps a SessionHandler into a route handler: Authenticate (failures → SessionErrorResponse), call, and add the
// embedded headers (CSP frame-ancestors) to whatever is answered. `deps` must outlive the router. Use it for every
// /api/* route:  router.Add(Verb::get, "/api/things", WithSession(deps, [](auto& req, auto& ctx, auto& shop) ...));
http::Handler WithSession(const AuthDeps& deps, SessionHandler handler);

// The request's query string (after "?"), or "".
std::string_view RawQuery(const http::Request& request);
// The first value of a query parameter, decoded.
std::optional<std::string> QueryParam(const http::Request& request, std::string_view name);

}  // namespace pagelift::api
