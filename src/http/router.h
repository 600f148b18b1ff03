// The router: method + path pattern → handler and the route's limits.
// Patterns are '/'-separated segments: a literal ("healthz"), a parameter ("{id}"), a parameter with a literal
// suffix ("{shop_public_id}.json"), or a final "*" that matches the rest of the path (kept as parameter "*").
// A path that matches some route but not the method is a 405 with the allowed methods.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/types.h"

namespace pagelift::http {

struct RouteOptions {
  size_t max_body_bytes = 64 * 1024;         // over it: 413
  bool allow_gzip = false;                   // Content-Encoding: gzip accepted (else 415)
  size_t max_decompressed_bytes = 1 << 20;   // cap after gunzip (gzip bombs get 413)
  std::vector<std::string> content_types;    // accepted media types for a non-empty body; empty = any
};

struct Route {
  Verb method;
  std::string pattern;
  Handler handler;
  RouteOptions options;
};

struct NoRoute {};                       // 404
struct WrongMethod {                     // 405
  std::string allow;                     // e.g. "GET, HEAD"
};
struct Match {
  const Route* route;
  std::map<std::string, std::string, std::less<>> params;
};
using RouteResult = std::variant<NoRoute, WrongMethod, Match>;

class Router {
 public:
  void Add(Verb method, std::string pattern, Handler handler, RouteOptions options = {});
  // HEAD falls back to the GET route (the server drops the body).
  RouteResult Find(Verb method, std::string_view path) const;
  // The largest body limit of any route; used before the route is known.
  size_t MaxBodyBytes() const { return max_body_bytes_; }

 private:
  struct Segment {
    enum class Kind { kLiteral, kParam, kRest } kind;
    std::string text;    // literal text, or the parameter's name
    std::string suffix;  // literal suffix after a parameter, e.g. ".json"
  };
  struct Entry {
    Route route;
    std::vector<Segment> segments;
  };
  static std::vector<Segment> Parse(std::string_view pattern);
  // Whether the path's parts fit the pattern's segments; Params then copies the parameters out.
  static bool MatchPath(const std::vector<Segment>& segments, const std::vector<std::string_view>& parts);
  static std::map<std::string, std::string, std::less<>> Params(const std::vector<Segment>& segments,
                                                                const std::vector<std::string_view>& parts);

  std::vector<Entry> entries_;
  size_t max_body_bytes_ = 0;
};

}  // namespace pagelift::http
