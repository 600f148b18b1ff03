// The load generator's pieces shared by the collector's fault tests (collect_durability_test.cpp,
// collect_pg_restart_test.cpp): random event ids and a batch of page views whose ids go to the caller's ledger.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/time.h"

namespace pagelift::testing {

inline std::string RandomUuid(std::mt19937_64& random) {
  const auto a = random(), b = random();
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                static_cast<unsigned>(b >> 48) & 0xfff, static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

// The JSON body of a POST /v1/collect with `count` page views of visitor `seed`; their ids are appended to `ids`.
inline std::string PageViewBatch(std::mt19937_64& random, int seed, const std::string& shop, int count,
                                 std::vector<std::string>& ids) {
  boost::json::array events;
  for (int i = 0; i < count; ++i) {
    ids.push_back(RandomUuid(random));
    events.push_back(boost::json::object{{"id", ids.back()},
                                         {"type", "page_view"},
                                         {"ts", FormatRfc3339Millis(std::chrono::system_clock::now())},
                                         {"anon_id", "visitor-" + std::to_string(seed)},
                                         {"session_id", "session-" + std::to_string(seed)},
                                         {"props", boost::json::object{{"url", "/products/x"}}}});
  }
  return boost::json::serialize(boost::json::object{{"shop", shop}, {"events", events}});
}

}  // namespace pagelift::testing
