// A JSON array of row objects serialised incrementally, the parameter of the repositories' batched upserts
// (`jsonb_to_recordset($2::jsonb)`): one statement and one round trip per batch, bind parameters only.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serializer.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.h"

namespace pagelift::shopify {

class BatchJson {
 public:
  BatchJson() { out_.push_back('['); }
  void Add(const boost::json::object& row) {
    if (rows_++ > 0) out_.push_back(',');
    boost::json::serializer serializer;
    serializer.reset(&row);
    char buffer[16384];
    while (!serializer.done()) out_.append(serializer.read(buffer));
  }
  std::size_t rows() const { return rows_; }
  // The array's text; the object is spent.
  std::string Finish() {
    out_.push_back(']');
    return std::move(out_);
  }

 private:
  std::string out_;
  std::size_t rows_ = 0;
};

// Which records of a batch to write: ON CONFLICT cannot touch one row twice in a statement, so of several records with
// the same key only the newest (by RFC 3339 `updated_at`; the later one on a tie) is kept.
template <class Record, class Key, class UpdatedAt>
std::vector<bool> KeepNewestPerKey(const std::vector<Record>& records, Key key, UpdatedAt updated_at) {
  std::unordered_map<std::string_view, std::size_t> newest;
  std::vector<bool> keep(records.size(), true);
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto [it, inserted] = newest.emplace(key(records[i]), i);
    if (inserted) continue;
    const std::size_t previous = it->second;
    if (ParseRfc3339(updated_at(records[previous])) <= ParseRfc3339(updated_at(records[i]))) {
      keep[previous] = false;
      it->second = i;
    } else {
      keep[i] = false;
    }
  }
  return keep;
}

}  // namespace pagelift::shopify
