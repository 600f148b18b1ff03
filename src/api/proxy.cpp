#include "api/proxy.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "api/assign.h"
#include "api/collect.h"
#include "api/sdk.h"
#include "db/statement.h"
#include "http/responses.h"
#include "shopify/signatures.h"

namespace pagelift::api {
namespace {

// The verified shop domain → its public id (what the collector and the SDK documents are keyed by), remembered for a
// minute so that a busy storefront costs one lookup per minute, not one per batch. Unknown domains are re-checked
// after a few seconds (a shop that has just installed).
class ShopDirectory {
 public:
  explicit ShopDirectory(db::Database& database)
      : database_(database),
        find_public_id_(database, "proxy_find_shop_public_id",
                        "SELECT public_id FROM shops WHERE domain = $1 AND uninstalled_at IS NULL") {}

  boost::asio::awaitable<std::optional<std::string>> PublicId(const std::string& domain) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mutex_);
      if (auto it = cache_.find(domain); it != cache_.end() && it->second.expires > now) co_return it->second.public_id;
    }
    const std::string& statement = find_public_id_.name();
    auto public_id = co_await database_.RunAsync(db::TxOptions::ReadOnly(),
                                                 [&domain, &statement](pqxx::work& tx) -> std::optional<std::string> {
                                                   const pqxx::result rows = tx.exec_prepared(statement, domain);
                                                   if (rows.empty()) return std::nullopt;
                                                   return rows[0][0].as<std::string>();
                                                 });
    std::lock_guard lock(mutex_);
    if (cache_.size() >= kMaxEntries) cache_.clear();  // bounded: the keys come from verified queries only, but still
    cache_[domain] = Entry{public_id, now + (public_id ? kKnownTtl : kUnknownTtl)};
    co_return public_id;
  }

 private:
  static constexpr std::chrono::seconds kKnownTtl{60};
  static constexpr std::chrono::seconds kUnknownTtl{5};
  static constexpr size_t kMaxEntries = 100000;
  struct Entry {
    std::optional<std::string> public_id;
    std::chrono::steady_clock::time_point expires;
  };
  db::Database& database_;
  db::Statement find_public_id_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;
};

// Built outside the coroutines (g++ 12 mishandles braced initialisers in coroutine bodies; docs/decisions.md).
Error UnknownShop(const std::string& domain) {
  return MakeError(ErrorCode::kForbidden, "unknown shop", {{"shop", domain}});
}
Error OtherShop(const std::string& public_id) {
  return MakeError(ErrorCode::kForbidden, "the path names another shop than the request", {{"shop", public_id}});
}

std::string_view RawQuery(const http::Request& request) {
  const std::string_view target = request.target();
  const size_t question = target.find('?');
  return question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
}

// Verifies the proxy's signature. A request without one did not come through Shopify: 401, like a wrong one.
Result<shopify::AppProxyRequest> VerifyProxyRequest(const http::Request& request,
                                                    const std::vector<std::string>& secrets) {
  const std::string_view raw = RawQuery(request);
  const auto params = shopify::ParseQuery(raw);
  const bool signed_query =
      params && std::any_of(params->begin(), params->end(), [](const auto& kv) { return kv.first == "signature"; });
  if (!signed_query) return MakeError(ErrorCode::kUnauthorized, "missing app proxy signature");
  return shopify::VerifyAppProxyQuery(raw, secrets, std::chrono::system_clock::now());
}

// The shop a proxied request is for: the signature is checked, then the verified domain is resolved to the public id
// (401 unsigned or bad signature, 403 a shop that is not installed).
struct ProxyContext {
  std::shared_ptr<ShopDirectory> shops;
  std::vector<std::string> secrets;

  boost::asio::awaitable<Result<std::string>> VerifiedShop(const http::Request& request) const {
    auto proxy = VerifyProxyRequest(request, secrets);
    if (!proxy) co_return proxy.error();
    auto public_id = co_await shops->PublicId(proxy->shop);
    if (!public_id) co_return UnknownShop(proxy->shop);
    co_return *public_id;
  }
};

}  // namespace

void RegisterProxyRoutes(http::Router& router, db::Database& database, collect::Collector& collector,
                         experiments::SdkDocumentCache& sdk_cache, const experiments::Repository& experiments,
                         std::vector<std::string> secrets) {
  auto proxy = std::make_shared<const ProxyContext>(ProxyContext{std::make_shared<ShopDirectory>(database),
                                                                 std::move(secrets)});
  router.Add(
      http::Verb::post, "/proxy/v1/collect",
      [&collector, proxy](http::Request& request,
                          http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
        auto public_id = co_await proxy->VerifiedShop(request);
        if (!public_id) co_return http::ErrorResponse(public_id.error());
        context.shop = *public_id;
        co_return co_await HandleCollect(collector, request, context, *public_id);
      },
      CollectRouteOptions());

  // The storefront script asks for {prefix}/v1/sdk/{its shop's public id}.json; through the proxy the shop is the
  // verified one, so a path naming another shop is refused and the bare /proxy/v1/sdk works too.
  auto sdk = [&database, &sdk_cache, proxy](http::Request& request,
                                            http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
    auto public_id = co_await proxy->VerifiedShop(request);
    if (!public_id) co_return http::ErrorResponse(public_id.error());
    if (const auto named = context.params.find("shop_public_id");
        named != context.params.end() && named->second != *public_id) {
      co_return http::ErrorResponse(OtherShop(*public_id));
    }
    co_return co_await HandleSdk(database, sdk_cache, request, context, *public_id);
  };
  router.Add(http::Verb::get, "/proxy/v1/sdk", sdk);
  router.Add(http::Verb::get, "/proxy/v1/sdk/{shop_public_id}.json", sdk);

  router.Add(
      http::Verb::post, "/proxy/v1/assign",
      [&database, &experiments, proxy](http::Request& request,
                                       http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
        auto public_id = co_await proxy->VerifiedShop(request);
        if (!public_id) co_return http::ErrorResponse(public_id.error());
        co_return co_await HandleAssign(database, experiments, request, context, &*public_id);
      },
      AssignRouteOptions());
}

}  // namespace pagelift::api
