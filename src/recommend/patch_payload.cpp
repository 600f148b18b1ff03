// Patch payloads: parsing, states, drift, previews and writes. See patch_payload.h.
#include "recommend/patch_payload.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

namespace pagelift::recommend {

namespace json = boost::json;

namespace {

constexpr std::string_view kAppNamespace = "$app";

Error FieldError(std::string_view field, std::string_view message) {
  return MakeError(ErrorCode::kBadRequest, fmt::format("patch_payload.{}: {}", field, message),
                   {{"field", fmt::format("patch_payload.{}", field)}});
}

// The product fields a product_update may set (ProductUpdateInput), and the SEO sub-fields.
const std::set<std::string, std::less<>>& ProductFields() {
  static const std::set<std::string, std::less<>> fields = {"title", "descriptionHtml", "seo"};
  return fields;
}
bool IsSeoField(std::string_view name) { return name == "title" || name == "description"; }

Result<std::string> RequiredString(const json::object& payload, std::string_view name) {
  const auto* value = payload.if_contains(name);
  if (!value || !value->is_string() || value->as_string().empty()) return FieldError(name, "must be a non-empty string");
  return std::string(value->as_string());
}

Result<json::object> OptionalObject(const json::object& payload, std::string_view name) {
  const auto* value = payload.if_contains(name);
  if (!value || value->is_null()) return json::object{};
  if (!value->is_object()) return FieldError(name, "must be an object");
  return value->as_object();
}

std::optional<Error> CheckProductFields(const json::object& fields, std::string_view where) {
  for (const auto& [key, value] : fields) {
    if (!ProductFields().contains(key)) {
      return FieldError(fmt::format("{}.{}", where, std::string_view(key)), "is not a field pagelift patches");
    }
    if (key == "seo") {
      if (!value.is_object()) return FieldError(fmt::format("{}.seo", where), "must be an object");
      for (const auto& [sub, sub_value] : value.as_object()) {
        if (!IsSeoField(sub) || !(sub_value.is_string() || sub_value.is_null())) {
          return FieldError(fmt::format("{}.seo.{}", where, std::string_view(sub)), "must be title or description, a string");
        }
      }
    } else if (!(value.is_string() || value.is_null())) {
      return FieldError(fmt::format("{}.{}", where, std::string_view(key)), "must be a string");
    }
  }
  return std::nullopt;
}

std::optional<Error> CheckMediaAlts(const json::object& alts, std::string_view where) {
  for (const auto& [key, value] : alts) {
    if (!std::string_view(key).starts_with("gid://shopify/")) {
      return FieldError(fmt::format("{}.{}", where, std::string_view(key)), "must be keyed by media gid");
    }
    if (!(value.is_string() || value.is_null())) {
      return FieldError(fmt::format("{}.{}", where, std::string_view(key)), "must be a string");
    }
  }
  return std::nullopt;
}

bool Blank(const json::value& v) { return v.is_null() || (v.is_string() && v.as_string().empty()); }

bool SameValue(const json::value& a, const json::value& b) {
  if (Blank(a) && Blank(b)) return true;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.as_object()) keys.emplace(k);
    for (const auto& [k, v] : b.as_object()) keys.emplace(k);
    for (const auto& key : keys) {
      const auto* x = a.as_object().if_contains(key);
      const auto* y = b.as_object().if_contains(key);
      if (!SameValue(x ? *x : json::value(nullptr), y ? *y : json::value(nullptr))) return false;
    }
    return true;
  }
  return a == b;
}

const json::value& At(const json::object& object, std::string_view key) {
  static const json::value null_value;
  const auto* value = object.if_contains(key);
  return value ? *value : null_value;
}

// Flattens a state to field → value ("seo" → "seo.title", "seo.description").
json::object Flatten(const json::object& state) {
  json::object flat;
  for (const auto& [key, value] : state) {
    if (key == "seo" && value.is_object()) {
      for (const auto& [sub, sub_value] : value.as_object()) {
        flat[fmt::format("seo.{}", std::string_view(sub))] = sub_value;
      }
    } else {
      flat[key] = value;
    }
  }
  return flat;
}

// The value a metafield holds as a state: parsed JSON for json types, the text otherwise.
json::value MetafieldValue(std::string_view type, std::string_view text) {
  if (type != "json") return json::string(text);
  boost::system::error_code ec;
  auto parsed = json::parse(text, ec);
  return ec ? json::value(json::string(text)) : parsed;
}

}  // namespace

std::string_view PatchKindName(PatchKind kind) {
  switch (kind) {
    case PatchKind::kProductUpdate: return "product_update";
    case PatchKind::kMediaAlt: return "media_alt";
    case PatchKind::kMetafieldsSet: return "metafields_set";
    case PatchKind::kGuided: return "guided";
  }
  return "guided";
}

bool WritesProducts(PatchKind kind) { return kind == PatchKind::kProductUpdate || kind == PatchKind::kMediaAlt; }

Result<PatchPayload> ParsePatchPayload(const json::value& payload) {
  if (!payload.is_object()) {
    return MakeError(ErrorCode::kBadRequest, "the recommendation has no patch pagelift can apply",
                     {{"field", "patch_payload"}});
  }
  const json::object& object = payload.as_object();
  auto kind_name = RequiredString(object, "kind");
  if (!kind_name) return kind_name.error();
  auto target = RequiredString(object, "target");
  if (!target) return target.error();
  PatchPayload patch;
  patch.target = *target;
  if (*kind_name == "product_update" || *kind_name == "media_alt") {
    patch.kind = *kind_name == "product_update" ? PatchKind::kProductUpdate : PatchKind::kMediaAlt;
    auto product = RequiredString(object, "product_id");
    if (!product) return product.error();
    if (!product->starts_with("gid://shopify/Product/")) return FieldError("product_id", "must be a Product gid");
    patch.owner_id = *product;
    auto expected = OptionalObject(object, "expected");
    if (!expected) return expected.error();
    auto set = OptionalObject(object, "set");
    if (!set) return set.error();
    if (set->empty()) return FieldError("set", "must name at least one change");
    const bool product_update = patch.kind == PatchKind::kProductUpdate;
    for (const auto& [where, fields] : {std::pair<std::string_view, const json::object*>{"expected", &*expected},
                                        std::pair<std::string_view, const json::object*>{"set", &*set}}) {
      auto error = product_update ? CheckProductFields(*fields, where) : CheckMediaAlts(*fields, where);
      if (error) return *error;
    }
    patch.expected = std::move(*expected);
    patch.set = std::move(*set);
    return patch;
  }
  if (*kind_name == "metafields_set") {
    patch.kind = PatchKind::kMetafieldsSet;
    auto owner = RequiredString(object, "owner_id");
    if (!owner) return owner.error();
    if (!owner->starts_with("gid://shopify/")) return FieldError("owner_id", "must be a gid");
    patch.owner_id = *owner;
    auto ns = RequiredString(object, "namespace");
    if (!ns) return ns.error();
    if (*ns != kAppNamespace) return FieldError("namespace", "must be $app (pagelift writes only app-owned metafields)");
    auto key = RequiredString(object, "key");
    if (!key) return key.error();
    patch.key = *key;
    auto type = RequiredString(object, "type");
    if (!type) return type.error();
    patch.type = *type;
    const auto* value = object.if_contains("value");
    if (!value || value->is_null()) return FieldError("value", "is required");
    if (patch.type != "json" && !value->is_string()) return FieldError("value", "must be a string unless the type is json");
    patch.value = *value;
    auto expected = OptionalObject(object, "expected");
    if (!expected) return expected.error();
    patch.expected = std::move(*expected);
    return patch;
  }
  if (*kind_name == "guided") {
    patch.kind = PatchKind::kGuided;
    const auto* steps = object.if_contains("steps");
    if (!steps || !steps->is_array() || steps->as_array().empty()) return FieldError("steps", "must be a non-empty array");
    patch.steps = steps->as_array();
    if (const auto* link = object.if_contains("deep_link"); link && link->is_string()) {
      patch.deep_link = std::string(link->as_string());
    }
    return patch;
  }
  return FieldError("kind", "must be product_update, media_alt, metafields_set or guided");
}

std::string_view ReadOperation(const PatchPayload& patch) {
  switch (patch.kind) {
    case PatchKind::kMetafieldsSet: return "AppMetafield";
    case PatchKind::kMediaAlt: return "MediaForPatch";
    default: return "ProductForPatch";
  }
}

json::object ReadVariables(const PatchPayload& patch) {
  if (patch.kind == PatchKind::kMetafieldsSet) return {{"ownerId", patch.owner_id}, {"key", patch.key}};
  if (patch.kind == PatchKind::kMediaAlt) {
    std::set<std::string> ids;
    for (const json::object* names : {&patch.set, &patch.expected}) {
      for (const auto& [gid, unused] : *names) ids.emplace(gid);
    }
    json::array list;
    for (const auto& id : ids) list.push_back(json::string(id));
    return {{"ids", std::move(list)}};
  }
  return {{"id", patch.owner_id}};
}

Result<json::object> StateFromRead(const PatchPayload& patch, const json::object& data) {
  if (patch.kind == PatchKind::kMetafieldsSet) {
    const auto& node = At(data, "node");
    if (!node.is_object()) {
      return MakeError(ErrorCode::kNotFound, "the metafield's owner no longer exists", {{"owner_id", patch.owner_id}});
    }
    const auto& metafield = At(node.as_object(), "metafield");
    if (!metafield.is_object()) return json::object{{"type", nullptr}, {"value", nullptr}};
    const auto& type = At(metafield.as_object(), "type");
    const auto& value = At(metafield.as_object(), "value");
    const std::string_view type_name = type.is_string() ? std::string_view(type.as_string()) : std::string_view();
    const std::string_view text = value.is_string() ? std::string_view(value.as_string()) : std::string_view();
    return json::object{{"type", type}, {"value", MetafieldValue(type_name, text)}};
  }
  json::object state;
  if (patch.kind == PatchKind::kMediaAlt) {
    json::object alts;  // media gid → alt, for the media that still exist
    const auto& nodes = At(data, "nodes");
    if (nodes.is_array()) {
      for (const auto& node : nodes.as_array()) {
        if (node.is_object() && At(node.as_object(), "id").is_string()) {
          alts[At(node.as_object(), "id").as_string()] = At(node.as_object(), "alt");
        }
      }
    }
    for (const json::object* names : {&patch.set, &patch.expected}) {
      for (const auto& [gid, unused] : *names) {
        const auto* alt = alts.if_contains(gid);
        if (!alt) {
          return MakeError(ErrorCode::kConflict, "a media item the patch changes no longer exists on the product",
                           {{"media_id", std::string_view(gid)}});
        }
        state[gid] = *alt;
      }
    }
    return state;
  }
  const auto& product = At(data, "product");
  if (!product.is_object()) {
    return MakeError(ErrorCode::kNotFound, "the product no longer exists", {{"product_id", patch.owner_id}});
  }
  const json::object& fields = product.as_object();
  for (const json::object* names : {&patch.set, &patch.expected}) {
    for (const auto& [key, value] : *names) {
      if (key != "seo") {
        state[key] = At(fields, key);
        continue;
      }
      const auto& seo = At(fields, "seo");
      json::object current = state.contains("seo") ? state["seo"].as_object() : json::object{};
      for (const auto& [sub, unused] : value.as_object()) {
        current[sub] = seo.is_object() ? At(seo.as_object(), sub) : json::value(nullptr);
      }
      state["seo"] = std::move(current);
    }
  }
  return state;
}

json::object PatchedState(const PatchPayload& patch, const json::object& before) {
  if (patch.kind == PatchKind::kMetafieldsSet) return {{"type", patch.type}, {"value", patch.value}};
  json::object after = before;
  for (const auto& [key, value] : patch.set) {
    if (key == "seo" && value.is_object()) {
      json::object seo = after.contains("seo") && after["seo"].is_object() ? after["seo"].as_object() : json::object{};
      for (const auto& [sub, sub_value] : value.as_object()) seo[sub] = sub_value;
      after["seo"] = std::move(seo);
    } else {
      after[key] = value;
    }
  }
  return after;
}

json::array Drift(const json::object& expected, const json::object& current) {
  json::array drift;
  const json::object want = Flatten(expected);
  const json::object have = Flatten(current);
  for (const auto& [field, value] : want) {
    const auto& now = At(have, field);
    if (!SameValue(value, now)) drift.push_back({{"field", field}, {"expected", value}, {"current", now}});
  }
  return drift;
}

bool SameState(const json::object& a, const json::object& b) { return SameValue(a, b); }

json::array Changes(const PatchPayload& patch, const json::object& before, const json::object& after) {
  json::array changes;
  if (patch.kind == PatchKind::kMetafieldsSet) {
    if (!SameValue(before, after)) {
      changes.push_back({{"field", fmt::format("{}.{}", kAppNamespace, patch.key)},
                         {"before", At(before, "value")},
                         {"after", At(after, "value")}});
    }
    return changes;
  }
  const json::object was = Flatten(before);
  for (const auto& [field, value] : Flatten(after)) {
    const auto& old = At(was, field);
    if (!SameValue(old, value)) changes.push_back({{"field", field}, {"before", old}, {"after", value}});
  }
  return changes;
}

AdminWrite WriteFor(const PatchPayload& patch, const json::object& state) {
  switch (patch.kind) {
    case PatchKind::kProductUpdate: {
      json::object product = state;
      product["id"] = patch.owner_id;
      return {"ProductUpdate", {{"product", std::move(product)}}};
    }
    case PatchKind::kMediaAlt: {
      json::array files;
      for (const auto& [gid, alt] : state) {
        files.push_back({{"id", gid}, {"alt", alt.is_string() ? alt : json::value("")}});
      }
      return {"FileUpdate", {{"files", std::move(files)}}};
    }
    case PatchKind::kMetafieldsSet: {
      const auto& value = At(state, "value");
      if (value.is_null()) {
        return {"MetafieldsDelete",
                {{"metafields", json::array{{{"ownerId", patch.owner_id}, {"namespace", kAppNamespace}, {"key", patch.key}}}}}};
      }
      const auto& type = At(state, "type");
      const std::string text = value.is_string() ? std::string(value.as_string()) : json::serialize(value);
      return {"MetafieldsSet",
              {{"metafields", json::array{{{"ownerId", patch.owner_id},
                                           {"namespace", kAppNamespace},
                                           {"key", patch.key},
                                           {"type", type.is_string() ? type : json::value(patch.type)},
                                           {"value", text}}}}}};
    }
    case PatchKind::kGuided:
      break;
  }
  return {};
}

}  // namespace pagelift::recommend
