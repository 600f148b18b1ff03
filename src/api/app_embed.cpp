// The app embed check. See app_embed.h.
#include "api/app_embed.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include "core/log.h"

namespace pagelift::api {

namespace json = boost::json;

namespace {

constexpr auto kKnownLifetime = std::chrono::seconds(60);
constexpr auto kUnknownLifetime = std::chrono::seconds(15);
constexpr auto kRecheckAfter = std::chrono::seconds(3);

AppEmbedStatus Unknown(std::string reason) { return {std::nullopt, std::move(reason), {}}; }

const json::object* ObjectAt(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_object() ? &value->get_object() : nullptr;
}

bool AccessDenied(const Error& error) {
  const auto* errors = error.details.if_contains("errors");
  if (!errors || !errors->is_array()) return false;
  for (const auto& e : errors->get_array()) {
    if (!e.is_object()) continue;
    const auto* extensions = ObjectAt(e.get_object(), "extensions");
    const auto* code = extensions ? extensions->if_contains("code") : nullptr;
    if (code && code->is_string() && code->get_string() == "ACCESS_DENIED") return true;
  }
  return false;
}

}  // namespace

bool IsPageliftEmbedType(std::string_view type, std::string_view api_key) {
  constexpr std::string_view kPrefix = "shopify://apps/";
  if (!type.starts_with(kPrefix)) return false;
  type.remove_prefix(kPrefix.size());
  const auto slash = type.find('/');
  if (slash == std::string_view::npos) return false;
  const auto app = type.substr(0, slash);
  if (app != kAppHandle && (api_key.empty() || app != api_key)) return false;
  type.remove_prefix(slash);
  constexpr std::string_view kBlocks = "/blocks/";
  if (!type.starts_with(kBlocks)) return false;
  type.remove_prefix(kBlocks.size());
  if (!type.starts_with(kAppEmbedBlockHandle)) return false;
  type.remove_prefix(kAppEmbedBlockHandle.size());
  // "/{extension uuid}": one non-empty segment.
  return type.size() > 1 && type[0] == '/' && type.find('/', 1) == std::string_view::npos;
}

AppEmbedStatus AppEmbedFromSettingsData(std::string_view content, std::string_view api_key) {
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  boost::system::error_code ec;
  const auto parsed = json::parse(content, ec, {}, options);
  if (ec || !parsed.is_object()) return Unknown("the theme's settings_data.json could not be read");
  const auto& root = parsed.get_object();
  const json::object* current = ObjectAt(root, "current");
  if (const auto* name = root.if_contains("current"); name && name->is_string()) {
    const auto* presets = ObjectAt(root, "presets");
    current = presets ? ObjectAt(*presets, name->get_string()) : nullptr;
  }
  const auto* blocks = current ? ObjectAt(*current, "blocks") : nullptr;
  bool present = false;
  if (blocks) {
    for (const auto& [id, block] : *blocks) {
      if (!block.is_object()) continue;
      const auto* type = block.get_object().if_contains("type");
      if (!type || !type->is_string() || !IsPageliftEmbedType(type->get_string(), api_key)) continue;
      present = true;
      const auto* disabled = block.get_object().if_contains("disabled");
      if (!disabled || !disabled->is_bool() || !disabled->get_bool()) return {true, {}, {}};
    }
  }
  return {false, present ? "the pagelift app embed is switched off in the published theme"
                         : "the pagelift app embed was never turned on in the published theme", {}};
}

AppEmbedStatus AppEmbedFromThemes(const json::object& data, std::string_view api_key) {
  const auto* themes = ObjectAt(data, "themes");
  const auto* nodes = themes ? themes->if_contains("nodes") : nullptr;
  if (!nodes || !nodes->is_array() || nodes->get_array().empty() || !nodes->get_array()[0].is_object()) {
    return Unknown("the store has no published theme");
  }
  const auto& theme = nodes->get_array()[0].get_object();
  std::string name;
  if (const auto* n = theme.if_contains("name"); n && n->is_string()) name = n->get_string();
  const auto* files = ObjectAt(theme, "files");
  const auto* file_nodes = files ? files->if_contains("nodes") : nullptr;
  const json::string* content = nullptr;
  if (file_nodes && file_nodes->is_array() && !file_nodes->get_array().empty() && file_nodes->get_array()[0].is_object()) {
    const auto* body = ObjectAt(file_nodes->get_array()[0].get_object(), "body");
    const auto* text = body ? body->if_contains("content") : nullptr;
    if (text && text->is_string()) content = &text->get_string();
  }
  // A theme without settings_data.json has no saved customisations, so no embed is on.
  AppEmbedStatus status = content ? AppEmbedFromSettingsData(*content, api_key)
                                  : AppEmbedStatus{false, "the pagelift app embed was never turned on in the published theme", {}};
  status.theme_name = std::move(name);
  return status;
}

std::string AppEmbedEditorUrl(std::string_view shop_domain, std::string_view api_key) {
  return "https://" + std::string(shop_domain) + "/admin/themes/current/editor?context=apps&activateAppId=" +
         std::string(api_key) + "/" + std::string(kAppEmbedBlockHandle);
}

namespace {

shopify::AdminClientOptions CheckerClientOptions(const shopify::AppCredentials& app) {
  shopify::AdminClientOptions options;
  options.admin_base_url = app.admin_base_url;
  if (!app.api_version.empty()) options.api_version = app.api_version;
  // A merchant is waiting for the page: one retry, short backoff; a failure is shown as "unknown" and rechecked soon.
  options.max_attempts = 2;
  options.backoff_base = std::chrono::milliseconds(200);
  options.backoff_max = std::chrono::milliseconds(1000);
  return options;
}

shopify::CurlOptions CheckerCurlOptions() {
  shopify::CurlOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.request_timeout = std::chrono::milliseconds(5000);
  return options;
}

}  // namespace

AppEmbedChecker::AppEmbedChecker(db::Database& database, const crypto::KeyRing& keys,
                                 const shopify::AppCredentials& app)
    : api_key_(app.api_key),
      tokens_(database, keys, app),
      client_(shopify::MakeCurlTransport(CheckerCurlOptions()), shopify::TokenProviderFor(tokens_),
              CheckerClientOptions(app)) {}

AppEmbedStatus AppEmbedChecker::Check(const shopify::ShopRef& shop, bool recheck) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(shop.id); it != cache_.end()) {
      const auto age = now - it->second.at;
      const auto lifetime = it->second.status.enabled ? kKnownLifetime : kUnknownLifetime;
      if (age < (recheck ? kRecheckAfter : lifetime)) {
        return it->second.status;
      }
    }
  }
  AppEmbedStatus status;
  Result<json::object> data = MakeError(ErrorCode::kUnavailable, "not asked");
  try {
    data = client_.Execute(shop, "MainThemeSettings");
  } catch (const std::exception& e) {  // the token store's database; the page still answers
    data = MakeError(ErrorCode::kUnavailable, e.what());
  }
  if (data) {
    status = AppEmbedFromThemes(*data, api_key_);
  } else if (AccessDenied(data.error())) {
    status = Unknown("pagelift may not read your theme (the read_themes permission is missing); open pagelift again "
                     "from your Shopify admin to grant it");
  } else {
    log::Warn("app embed check failed", {{"shop", shop.domain}, {"error", data.error().message}});
    status = Unknown("Shopify could not be asked about your theme just now: " + data.error().message);
  }
  std::lock_guard lock(mutex_);
  cache_[shop.id] = Entry{status, std::chrono::steady_clock::now()};
  return status;
}

}  // namespace pagelift::api
