#include "shopify-sim/simulator.h"

#include <fmt/format.h>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "core/crypto.h"
#include "core/log.h"
#include "http/responses.h"
#include "shopify-sim/admin_frame.h"
#include "shopify-sim/impl.h"
#include "shopify/session_token.h"
#include "shopify/shop_domain.h"
#include "shopify/signatures.h"

namespace pagelift::shopify_sim {

namespace json = boost::json;
namespace asio = boost::asio;

constexpr std::string_view kTokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr std::string_view kIdTokenType = "urn:ietf:params:oauth:token-type:id_token";
constexpr std::string_view kOfflineTokenType = "urn:shopify:params:oauth:token-type:offline-access-token";
constexpr std::string_view kOnlineTokenType = "urn:shopify:params:oauth:token-type:online-access-token";

// --- helpers -------------------------------------------------------------------------------------------------------

std::string QueryOf(const http::Request& request) {
  const std::string_view target = request.target();
  const auto question = target.find('?');
  return question == std::string_view::npos ? std::string() : std::string(target.substr(question + 1));
}

std::optional<json::object> ObjectBody(const http::Request& request) {
  const std::string_view type = request[boost::beast::http::field::content_type];
  if (type.starts_with("application/x-www-form-urlencoded")) {
    auto params = shopify::ParseQuery(request.body());
    if (!params) return std::nullopt;
    json::object object;
    for (auto& [key, value] : *params) object[key] = value;
    return object;
  }
  boost::system::error_code ec;
  auto value = json::parse(request.body(), ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

http::Response Json(http::Status status, const json::value& body) { return http::JsonResponse(status, body); }

std::string Uuid() {
  auto bytes = crypto::RandomBytes(16);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  const auto hex = crypto::HexEncode(bytes);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                     hex.substr(20));
}

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

namespace {

std::string StringField(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value && value->is_string()) return std::string(value->as_string());
  if (value && value->is_int64()) return std::to_string(value->as_int64());
  if (value && value->is_bool()) return value->as_bool() ? "1" : "0";
  return "";
}

bool Truthy(const std::string& text) { return text == "1" || text == "true"; }

http::Response OAuthErrorPage(http::Status status, std::string_view message) {
  return http::TextResponse(status,
                            fmt::format("<!DOCTYPE html><html><head><title>Oauth error</title></head><body><h1>Oauth "
                                        "error invalid_request</h1><p>{}</p></body></html>",
                                        message),
                            "text/html; charset=utf-8");
}

http::Response TokenError(http::Status status, std::string_view error, std::string_view description) {
  return Json(status, {{"error", error}, {"error_description", description}});
}

}  // namespace

Product* Shop::FindProduct(std::int64_t product_id) {
  for (auto& product : catalog.products) {
    if (product.id == product_id) return &product;
  }
  return nullptr;
}

// --- lifecycle -----------------------------------------------------------------------------------------------------

Simulator::Impl::Impl(SimulatorOptions options)
    : options_(std::move(options)),
      fault_rng_(options_.seed ^ 0x5eed),
      dispatcher_(DispatcherOptions{options_.webhook_retry_delays, 8, options_.webhook_timeout,
                                    std::chrono::milliseconds(1000)},
                  [this](const std::string& shop, json::object entry) {
                    std::lock_guard lock(mutex_);
                    if (auto* found = FindShop(shop)) {
                      found->deliveries.push_back(std::move(entry));
                      if (found->deliveries.size() > 10000) found->deliveries.pop_front();
                    }
                  }) {
  if (options_.api_secrets.empty()) throw std::invalid_argument("the simulator needs at least one app secret");
  if (options_.products < 0 || options_.products > 20000) throw std::invalid_argument("products must be 0…20000");
  if (options_.orders < 0 || options_.orders > 200000) throw std::invalid_argument("orders must be 0…200000");
  if (options_.epoch == TimePoint{}) options_.epoch = DefaultEpoch();
}

Simulator::Impl::~Impl() { Shutdown(); }

void Simulator::Impl::Start() {
  {
    std::lock_guard lock(mutex_);
    std::uint64_t index = 0;
    for (const auto& requested : options_.shops) {
      auto domain = shopify::NormalizeMyshopifyDomain(requested);
      if (!domain) throw std::invalid_argument(fmt::format("not a shop domain: {}", requested));
      auto shop = std::make_unique<Shop>(*domain, CostBucket(options_.bucket_maximum, options_.bucket_restore_rate,
                                                             SteadyClock::now()));
      shop->name = domain->substr(0, domain->find('.'));
      // Every shop gets its own catalog, reproducible from (seed, shop position).
      shop->id = 60000000000 + static_cast<std::int64_t>(index) * 1009 + static_cast<std::int64_t>(options_.seed % 1000);
      shop->catalog = GenerateCatalog(
          {options_.seed + index * 7919, options_.products, options_.orders, options_.epoch, shop->currency});
      shops_[*domain] = std::move(shop);
      ++index;
    }
  }

  router_.Add(http::Verb::get, "/{shop}/admin/oauth/authorize",
              [this](http::Request& request, http::RequestContext& context) -> asio::awaitable<http::Response> {
                co_return Authorize(request, context.params.at("shop"));
              });
  http::RouteOptions token_options;
  token_options.max_body_bytes = 64 * 1024;
  router_.Add(
      http::Verb::post, "/{shop}/admin/oauth/access_token",
      [this](http::Request& request, http::RequestContext& context) -> asio::awaitable<http::Response> {
        co_return AccessTokenEndpoint(request, context.params.at("shop"));
      },
      token_options);
  RegisterAdminRoutes();
  RegisterControlRoutes();
  // The app's frame in a stand-in Shopify admin, and App Bridge's session tokens (admin_frame.h).
  RegisterAdminFrameRoutes(router_, {options_.api_key, options_.api_secrets.front(),
                                     options_.redirect_urls.empty() ? "" : options_.redirect_urls.front()});

  http::ServerOptions server_options;
  server_options.host = options_.host;
  server_options.port = options_.port;
  server_options.io_threads = options_.io_threads;
  server_ = std::make_unique<http::Server>(server_options, router_, metrics_);
  server_->Start();
}

void Simulator::Impl::Shutdown() {
  dispatcher_.Stop();
  if (server_) server_->Shutdown(std::chrono::milliseconds(500));
}

std::string Simulator::Impl::BaseUrl() const {
  if (!options_.public_url.empty()) return options_.public_url;
  return fmt::format("http://{}:{}", options_.host, port());
}

Shop* Simulator::Impl::FindShop(const std::string& domain) {
  const auto found = shops_.find(domain);
  return found == shops_.end() ? nullptr : found->second.get();
}

// --- webhooks --------------------------------------------------------------------------------------------------------

void Simulator::Impl::DeliverTo(Shop& shop, const std::string& topic, const std::string& url, const std::string& body,
                                const std::string& event_id, const std::string& triggered_at) {
  Delivery delivery;
  delivery.shop = shop.domain;
  delivery.topic = topic;
  delivery.url = url;
  delivery.body = body;
  delivery.hmac = shopify::ComputeWebhookHmac(body, options_.api_secrets.front());
  delivery.api_version = options_.api_version;
  delivery.webhook_id = Uuid();
  delivery.event_id = event_id;
  delivery.triggered_at = triggered_at;
  auto& faults = shop.faults;
  if (faults.drop_next_webhooks > 0) {
    --faults.drop_next_webhooks;
    delivery.drop = true;
  } else if (faults.drop_probability > 0 &&
             static_cast<double>(fault_rng_.Below(1'000'000)) < faults.drop_probability * 1'000'000) {
    delivery.drop = true;
  }
  if (!delivery.drop && faults.duplicate_next_webhooks > 0) {
    --faults.duplicate_next_webhooks;
    delivery.duplicate = true;
  }
  dispatcher_.Deliver(std::move(delivery));
}

void Simulator::Impl::Emit(Shop& shop, const std::string& topic, const json::object& payload) {
  const std::string body = json::serialize(payload);
  const std::string event_id = Uuid();
  const std::string triggered_at = FormatRfc3339Millis(Clock::now());
  for (const auto& subscription : shop.subscriptions) {
    if (subscription.topic == topic) DeliverTo(shop, topic, subscription.uri, body, event_id, triggered_at);
  }
}

void Simulator::Impl::RecordCall(Shop& shop, json::object entry) {
  entry["at"] = FormatRfc3339Millis(Clock::now());
  shop.calls.push_back(std::move(entry));
  if (shop.calls.size() > 10000) shop.calls.pop_front();
}

// --- OAuth -----------------------------------------------------------------------------------------------------------

http::Response Simulator::Impl::Authorize(const http::Request& request, const std::string& shop_param) {
  std::lock_guard lock(mutex_);
  const auto domain = shopify::NormalizeMyshopifyDomain(shop_param);
  Shop* shop = domain ? FindShop(*domain) : nullptr;
  if (!shop) return http::TextResponse(http::Status::not_found, "There's no store at this address.\n");
  const auto params = shopify::ParseQuery(QueryOf(request));
  if (!params) return OAuthErrorPage(http::Status::bad_request, "The request is malformed.");
  std::map<std::string, std::string> query;
  for (const auto& [key, value] : *params) query[key] = value;
  if (query["client_id"] != options_.api_key) {
    return OAuthErrorPage(http::Status::bad_request, "Invalid client_id: this app does not exist.");
  }
  const std::string& redirect_uri = query["redirect_uri"];
  const bool allowed = !redirect_uri.empty() && std::any_of(options_.redirect_urls.begin(), options_.redirect_urls.end(),
                                                            [&](const std::string& url) { return redirect_uri.starts_with(url); });
  if (!allowed) {
    return OAuthErrorPage(http::Status::bad_request,
                          "The redirect_uri is not whitelisted: add it to the app's allowed redirection URLs.");
  }
  const std::string code = crypto::RandomHex(16);
  codes_[code] = AuthorizationCode{shop->domain, query.contains("scope") ? query["scope"] : options_.scopes,
                                   Now() + options_.authorization_code_lifetime, query["grant_options[]"] == "per-user"};
  shopify::QueryParams redirect = {
      {"code", code},
      {"host", shopify::EncodeHostParam(shop->domain)},
      {"shop", shop->domain},
  };
  if (query.contains("state")) redirect.emplace_back("state", query["state"]);
  redirect.emplace_back("timestamp", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                        Clock::now().time_since_epoch()).count()));
  const std::string location =
      redirect_uri + (redirect_uri.find('?') == std::string::npos ? "?" : "&") +
      shopify::SignOAuthQuery(redirect, options_.api_secrets.front());
  http::Response response{http::Status::found, 11};
  response.set(boost::beast::http::field::location, location);
  response.set(boost::beast::http::field::cache_control, "no-store");
  return response;
}

json::object Simulator::Impl::IssueTokens(const std::string& shop, const std::string& scope, bool expiring, bool online) {
  const std::string access = "shpat_" + crypto::RandomHex(16);
  const auto now = Now();
  json::object response{{"access_token", access}, {"scope", scope}};
  if (online) {
    const auto lifetime = std::chrono::seconds(86399);
    access_tokens_[access] = AccessToken{shop, scope, now + lifetime, true};
    response["expires_in"] = lifetime.count();
    response["associated_user_scope"] = scope;
    response["associated_user"] = {{"id", 902541635},       {"first_name", "Sam"},   {"last_name", "Merchant"},
                                   {"email", "owner@" + shop}, {"email_verified", true}, {"account_owner", true},
                                   {"locale", "en"},           {"collaborator", false}};
    return response;
  }
  if (!expiring) {
    access_tokens_[access] = AccessToken{shop, scope, std::nullopt, false};
    return response;
  }
  access_tokens_[access] = AccessToken{shop, scope, now + options_.access_token_lifetime, false};
  const std::string refresh = "shprt_" + crypto::RandomHex(16);
  refresh_tokens_[refresh] = RefreshToken{shop, scope, now + options_.refresh_token_lifetime, ""};
  response["expires_in"] = options_.access_token_lifetime.count();
  response["refresh_token"] = refresh;
  response["refresh_token_expires_in"] = options_.refresh_token_lifetime.count();
  return response;
}

http::Response Simulator::Impl::AccessTokenEndpoint(const http::Request& request, const std::string& shop_param) {
  std::lock_guard lock(mutex_);
  const auto domain = shopify::NormalizeMyshopifyDomain(shop_param);
  Shop* shop = domain ? FindShop(*domain) : nullptr;
  if (!shop) return http::TextResponse(http::Status::not_found, "There's no store at this address.\n");
  const auto body = ObjectBody(request);
  if (!body) return TokenError(http::Status::bad_request, "invalid_request", "The request body is not JSON or a form.");
  if (StringField(*body, "client_id") != options_.api_key) {
    return TokenError(http::Status::bad_request, "invalid_request", "Invalid client_id.");
  }
  const auto secret = StringField(*body, "client_secret");
  const bool secret_ok = std::any_of(options_.api_secrets.begin(), options_.api_secrets.end(),
                                     [&](const std::string& s) { return crypto::ConstantTimeEquals(s, secret); });
  if (!secret_ok) {
    return TokenError(http::Status::unauthorized, "invalid_client", "Client authentication failed: wrong client_secret.");
  }
  const bool expiring = Truthy(StringField(*body, "expiring"));
  const auto grant_type = StringField(*body, "grant_type");
  const auto now = Now();

  if (grant_type.empty() || grant_type == "authorization_code") {
    const auto code = StringField(*body, "code");
    const auto found = codes_.find(code);
    if (code.empty() || found == codes_.end() || found->second.shop != shop->domain || found->second.expires_at < now) {
      return TokenError(http::Status::bad_request, "invalid_request",
                        "The authorization code was not found or was already used");
    }
    const auto grant = found->second;
    codes_.erase(found);  // single use
    return Json(http::Status::ok, IssueTokens(shop->domain, grant.scope, expiring, grant.online));
  }

  if (grant_type == kTokenExchangeGrant) {
    const auto subject = StringField(*body, "subject_token");
    const auto subject_type = StringField(*body, "subject_token_type");
    const auto requested_type = StringField(*body, "requested_token_type");
    if (subject_type == kIdTokenType) {
      auto token = shopify::VerifySessionToken(subject, options_.api_key, options_.api_secrets, Clock::now());
      if (!token || token->shop != shop->domain) {
        return TokenError(http::Status::bad_request, "invalid_subject_token",
                          "The subject token is invalid, expired, or for another shop.");
      }
      const bool online = requested_type == kOnlineTokenType;
      if (!online && requested_type != kOfflineTokenType && !requested_type.empty()) {
        return TokenError(http::Status::bad_request, "invalid_request", "Unsupported requested_token_type.");
      }
      return Json(http::Status::ok, IssueTokens(shop->domain, options_.scopes, expiring, online));
    }
    if (subject_type == kOfflineTokenType) {
      // Migrating a non-expiring offline token to an expiring one: the old token is revoked.
      const auto found = access_tokens_.find(subject);
      if (found == access_tokens_.end() || found->second.shop != shop->domain || found->second.expires_at ||
          found->second.online) {
        return TokenError(http::Status::bad_request, "invalid_subject_token",
                          "The subject token is not a non-expiring offline token of this shop.");
      }
      const auto scope = found->second.scope;
      access_tokens_.erase(found);
      return Json(http::Status::ok, IssueTokens(shop->domain, scope, true, false));
    }
    return TokenError(http::Status::bad_request, "invalid_request", "Unsupported subject_token_type.");
  }

  if (grant_type == "refresh_token") {
    const auto presented = StringField(*body, "refresh_token");
    const auto found = refresh_tokens_.find(presented);
    if (presented.empty() || found == refresh_tokens_.end() || found->second.shop != shop->domain ||
        found->second.expires_at < now) {
      return TokenError(http::Status::bad_request, "invalid_grant", "The refresh token is invalid or expired.");
    }
    const auto grant = found->second;
    // First use of this token retires the one it replaced.
    if (!grant.predecessor.empty()) refresh_tokens_.erase(grant.predecessor);
    found->second.predecessor.clear();
    auto response = IssueTokens(shop->domain, grant.scope, true, false);
    refresh_tokens_[std::string(response["refresh_token"].as_string())].predecessor = presented;
    return Json(http::Status::ok, response);
  }
  return TokenError(http::Status::bad_request, "unsupported_grant_type", "Unsupported grant_type.");
}

std::optional<std::string> Simulator::Impl::Authenticate(const http::Request& request) {
  const std::string token(request["X-Shopify-Access-Token"]);
  const auto found = access_tokens_.find(token);
  if (token.empty() || found == access_tokens_.end()) return std::nullopt;
  if (found->second.expires_at && *found->second.expires_at <= Now()) return std::nullopt;
  return found->second.shop;
}

void Simulator::Impl::RevokeShopTokens(const std::string& shop) {
  std::erase_if(access_tokens_, [&](const auto& entry) { return entry.second.shop == shop; });
  std::erase_if(refresh_tokens_, [&](const auto& entry) { return entry.second.shop == shop; });
  std::erase_if(codes_, [&](const auto& entry) { return entry.second.shop == shop; });
}

// --- public interface ------------------------------------------------------------------------------------------------

Simulator::Simulator(SimulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Simulator::~Simulator() = default;
void Simulator::Start() { impl_->Start(); }
void Simulator::Shutdown() { impl_->Shutdown(); }
unsigned short Simulator::port() const { return impl_->port(); }
std::string Simulator::base_url() const { return impl_->BaseUrl(); }
bool Simulator::WaitForDeliveries(std::chrono::milliseconds timeout) { return impl_->WaitForDeliveries(timeout); }

}  // namespace pagelift::shopify_sim
