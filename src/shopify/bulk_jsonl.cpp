// JSONL reassembly of bulk operation results. See bulk_jsonl.h.
#include "shopify/bulk_jsonl.h"

#include <boost/json/parse.hpp>
#include <cctype>

#include "core/log.h"

namespace pagelift::shopify {
namespace json = boost::json;

std::string_view GidType(std::string_view gid) {
  constexpr std::string_view kPrefix = "gid://shopify/";
  if (!gid.starts_with(kPrefix)) return {};
  gid.remove_prefix(kPrefix.size());
  const auto slash = gid.find('/');
  return slash == std::string_view::npos ? std::string_view{} : gid.substr(0, slash);
}

std::string ChildCollection(std::string_view type) {
  if (type == "ProductVariant") return "variants";
  if (type == "MediaImage" || type == "Video" || type == "ExternalVideo" || type == "Model3d") return "media";
  if (type == "Metafield") return "metafields";
  if (type == "LineItem") return "lineItems";
  if (type.empty()) return "children";
  std::string name(type);
  name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name + "s";
}

void JsonlReassembler::Feed(std::string_view chunk) {
  while (!chunk.empty()) {
    const auto newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    if (partial_.empty()) {
      Line(chunk.substr(0, newline));
    } else {
      partial_.append(chunk.substr(0, newline));
      Line(partial_);
      partial_.clear();
    }
    chunk.remove_prefix(newline + 1);
  }
}

void JsonlReassembler::Finish() {
  if (!partial_.empty()) {
    Line(partial_);
    partial_.clear();
  }
  Emit();
}

void JsonlReassembler::Emit() {
  if (!has_root_) return;
  has_root_ = false;
  child_index_.clear();
  ++roots_;
  sink_(std::move(root_));
  root_ = json::object();
}

json::object* JsonlReassembler::FindInCurrent(std::string_view id) {
  if (id == root_id_) return &root_;
  for (auto& [child_id, where] : child_index_) {
    if (child_id == id) return &root_[where.first].as_array()[where.second].as_object();
  }
  return nullptr;
}

void JsonlReassembler::Line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return;
  ++lines_;
  json::value parsed;
  try {
    parsed = json::parse(line);
  } catch (const std::exception& e) {
    if (++errors_ <= 5) log::Warn("bulk result: malformed line", {{"line", lines_}, {"error", e.what()}});
    return;
  }
  if (!parsed.is_object()) {
    if (++errors_ <= 5) log::Warn("bulk result: line is not an object", {{"line", lines_}});
    return;
  }
  json::object object = std::move(parsed.as_object());
  const auto* parent = object.if_contains("__parentId");
  if (parent == nullptr) {
    Emit();
    has_root_ = true;
    const auto* id = object.if_contains("id");
    root_id_ = id && id->is_string() ? std::string(id->get_string()) : std::string();
    root_ = std::move(object);
    return;
  }
  const std::string parent_id = parent->is_string() ? std::string(parent->get_string()) : std::string();
  object.erase("__parentId");
  json::object* owner = has_root_ ? FindInCurrent(parent_id) : nullptr;
  if (owner == nullptr) {
    // Shopify writes children right after their parent; a child of anything else means a truncated or reordered file.
    if (++errors_ <= 5) log::Warn("bulk result: child without its parent", {{"line", lines_}, {"parent", parent_id}});
    return;
  }
  const auto* id = object.if_contains("id");
  const std::string child_id = id && id->is_string() ? std::string(id->get_string()) : std::string();
  const std::string collection = ChildCollection(GidType(child_id));
  auto& slot = (*owner)[collection];
  if (!slot.is_array()) slot = json::array();
  auto& array = slot.as_array();
  array.push_back(std::move(object));
  if (owner == &root_ && !child_id.empty()) child_index_.push_back({child_id, {collection, array.size() - 1}});
}

}  // namespace pagelift::shopify
