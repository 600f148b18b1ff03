// A file compiled into the binary by cmake/Embed.cmake (migrations, GraphQL documents, admin assets).
#pragma once

#include <span>
#include <string_view>

namespace pagelift {

struct EmbeddedFile {
  std::string_view name;     // base name, e.g. "0001_initial.sql"
  std::string_view content;  // the file's bytes
};

}  // namespace pagelift
