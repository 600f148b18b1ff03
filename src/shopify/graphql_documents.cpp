// Lookup of embedded GraphQL documents by operation name.
#include "shopify/graphql_documents.h"

#include <algorithm>
#include <string>

namespace pagelift::shopify {

std::optional<std::string_view> GraphqlDocument(std::string_view operation_name) {
  const std::string file = std::string(operation_name) + ".graphql";
  const auto it = std::lower_bound(graphql::kFiles.begin(), graphql::kFiles.end(), file,
                                   [](const EmbeddedFile& f, const std::string& name) { return f.name < name; });
  if (it == graphql::kFiles.end() || it->name != file) return std::nullopt;
  return it->content;
}

}  // namespace pagelift::shopify
