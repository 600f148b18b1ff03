#include "api/admin_ui.h"

#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "api/session.h"
#include "core/embedded.h"
#include "core/text.h"
#include "http/gzip.h"
#include "http/responses.h"
#include "shopify/shop_domain.h"

namespace pagelift::api {

namespace admin_ui_files {
// Generated from web/admin by web/admin/admin_ui.cmake: index.html and the hashed assets, by base name.
extern const std::span<const pagelift::EmbeddedFile> kFiles;
}  // namespace admin_ui_files

namespace {

using boost::beast::http::field;

constexpr std::string_view kIndex = "index.html";
constexpr std::string_view kAssetsPrefix = "assets/";

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  return "application/octet-stream";
}

bool AcceptsGzip(const http::Request& request) {
  const auto accept = request[field::accept_encoding];
  return std::string_view(accept.data(), accept.size()).find("gzip") != std::string_view::npos;
}

struct Asset {
  std::string_view content_type;
  std::string_view identity;
  std::string gzipped;
};

// Everything the routes answer from, prepared once at registration.
class AdminUi {
 public:
  explicit AdminUi(const AdminUiOptions& options) : extra_frame_ancestor_(options.extra_frame_ancestor) {
    for (const EmbeddedFile& file : admin_ui_files::kFiles) {
      if (file.name == kIndex) {
        index_html_ = std::string(file.content);
        ReplaceAll(index_html_, "%SHOPIFY_API_KEY%", HtmlEscape(options.api_key));
        ReplaceAll(index_html_, "%APP_BRIDGE_URL%", HtmlEscape(options.app_bridge_url));
        continue;
      }
      assets_.emplace(std::string(file.name), Asset{ContentTypeOf(file.name), file.content, http::Gzip(file.content)});
    }
  }

  http::Response Serve(const http::Request& request, const http::RequestContext& context) const {
    const auto rest = context.params.find("*");
    if (rest != context.params.end() && rest->second.starts_with(kAssetsPrefix)) {
      return ServeAsset(request, rest->second.substr(kAssetsPrefix.size()));
    }
    return ServeIndex(request);
  }

 private:
  http::Response ServeIndex(const http::Request& request) const {
    auto response = http::TextResponse(http::Status::ok, index_html_, "text/html; charset=utf-8");
    // The page names the current asset hashes, so it must be revalidated; the assets themselves never change.
    response.set(field::cache_control, "no-cache");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "strict-origin-when-cross-origin");
    std::string shop;
    if (auto named = QueryParam(request, "shop")) shop = shopify::NormalizeShopDomain(*named).value_or("");
    std::string policy = FrameAncestorsPolicy(shop);
    if (extra_frame_ancestor_) policy += " " + *extra_frame_ancestor_;
    response.set("Content-Security-Policy", policy);
    return response;
  }

  http::Response ServeAsset(const http::Request& request, std::string_view name) const {
    const auto found = assets_.find(std::string(name));
    if (found == assets_.end()) {
      return http::ErrorResponse(MakeError(ErrorCode::kNotFound, "no such admin asset", {{"asset", name}}));
    }
    const Asset& asset = found->second;
    const bool gzip = AcceptsGzip(request) && asset.gzipped.size() < asset.identity.size();
    auto response = http::TextResponse(http::Status::ok, gzip ? asset.gzipped : std::string(asset.identity),
                                       asset.content_type);
    if (gzip) response.set(field::content_encoding, "gzip");
    response.set(field::vary, "Accept-Encoding");
    response.set(field::cache_control, "public, max-age=31536000, immutable");
    response.set("X-Content-Type-Options", "nosniff");
    response.prepare_payload();
    return response;
  }

  std::optional<std::string> extra_frame_ancestor_;
  std::string index_html_;
  std::unordered_map<std::string, Asset> assets_;
};

}  // namespace

AdminUiOptions AdminUiOptionsFromEnvironment(const shopify::AppCredentials& app) {
  AdminUiOptions options;
  options.api_key = app.api_key;
  if (const char* url = std::getenv("PAGELIFT_APP_BRIDGE_URL"); url != nullptr && *url != '\0') {
    options.app_bridge_url = url;
  }
  if (app.admin_base_url) {
    if (auto url = boost::urls::parse_uri(*app.admin_base_url)) options.extra_frame_ancestor = url->encoded_origin();
  }
  return options;
}

void RegisterAdminUiRoutes(http::Router& router, const AdminUiOptions& options) {
  auto ui = std::make_shared<const AdminUi>(options);
  auto handler = [ui](http::Request& request, http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
    co_return ui->Serve(request, context);
  };
  router.Add(http::Verb::get, "/app", handler);
  router.Add(http::Verb::get, "/app/*", handler);
}

}  // namespace pagelift::api
