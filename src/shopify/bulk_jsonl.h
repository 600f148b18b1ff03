// Streaming reader of a bulk operation's JSONL result: bytes arrive in arbitrary chunks (libcurl's write callback),
// lines are cut out as they complete, and each root object is handed over together with its children, which
// Shopify writes as separate lines after their parent, linked by "__parentId". Only the current root and its children
// are held, so memory stays flat however large the file is.
//
// A reassembled object is the root's own JSON with each child appended to an array named after the child's type:
// ProductVariant → "variants", MediaImage/Video/ExternalVideo/Model3d → "media", Metafield → "metafields",
// LineItem → "lineItems" (anything else: the type name, first letter lower-cased, plus "s"). "__parentId" is removed.
// Children of children (nesting 2) are appended to their own parent the same way.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pagelift::shopify {

// "gid://shopify/ProductVariant/12" → "ProductVariant"; empty when not a gid.
std::string_view GidType(std::string_view gid);
// The array a child of this gid type is collected in ("ProductVariant" → "variants").
std::string ChildCollection(std::string_view gid_type);

class JsonlReassembler {
 public:
  using Sink = std::function<void(boost::json::object root)>;

  explicit JsonlReassembler(Sink sink) : sink_(std::move(sink)) {}

  // Feeds the next bytes of the file. Malformed lines and children whose parent is not the current root are counted
  // (errors()) and skipped; the first few are logged.
  void Feed(std::string_view chunk);
  // End of file: the last line (if unterminated) and the last root are handed over.
  void Finish();

  std::size_t roots() const { return roots_; }
  std::size_t lines() const { return lines_; }
  std::size_t errors() const { return errors_; }
  // Bytes held for an unterminated line (tests check that memory does not grow with the file).
  std::size_t buffered() const { return partial_.size(); }

 private:
  void Line(std::string_view line);
  void Emit();
  boost::json::object* FindInCurrent(std::string_view id);

  Sink sink_;
  std::string partial_;
  bool has_root_ = false;
  boost::json::object root_;
  std::string root_id_;
  // Children of the current root that may themselves have children: id → (collection, index in it).
  std::vector<std::pair<std::string, std::pair<std::string, std::size_t>>> child_index_;
  std::size_t roots_ = 0;
  std::size_t lines_ = 0;
  std::size_t errors_ = 0;
};

}  // namespace pagelift::shopify
