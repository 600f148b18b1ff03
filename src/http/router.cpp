#include "http/router.h"

#include <stdexcept>

namespace pagelift::http {
namespace {

// Splits into a caller's vector, so that one request's path is split once however many routes are tried.
void SplitPath(std::string_view path, std::vector<std::string_view>& parts) {
  parts.clear();
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

std::vector<Router::Segment> Router::Parse(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with /");
  std::vector<Segment> segments;
  std::vector<std::string_view> parts;
  SplitPath(pattern, parts);
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto part = parts[i];
    if (part == "*") {
      if (i + 1 != parts.size()) throw std::invalid_argument("'*' must be the last segment");
      segments.push_back({Segment::Kind::kRest, "*", ""});
    } else if (!part.empty() && part.front() == '{') {
      const auto close = part.find('}');
      if (close == std::string_view::npos || close == 1) throw std::invalid_argument("bad parameter in route");
      segments.push_back({Segment::Kind::kParam, std::string(part.substr(1, close - 1)),
                          std::string(part.substr(close + 1))});
    } else {
      segments.push_back({Segment::Kind::kLiteral, std::string(part), ""});
    }
  }
  return segments;
}

bool Router::MatchPath(const std::vector<Segment>& segments, const std::vector<std::string_view>& parts) {
  size_t i = 0;
  for (; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    if (segment.kind == Segment::Kind::kRest) return true;
    if (i >= parts.size()) return false;
    const auto part = parts[i];
    if (segment.kind == Segment::Kind::kLiteral) {
      if (part != segment.text) return false;
      continue;
    }
    if (part.size() <= segment.suffix.size() || !part.ends_with(segment.suffix)) return false;
  }
  return i == parts.size();
}

std::map<std::string, std::string, std::less<>> Router::Params(const std::vector<Segment>& segments,
                                                               const std::vector<std::string_view>& parts) {
  std::map<std::string, std::string, std::less<>> params;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    if (segment.kind == Segment::Kind::kRest) {
      std::string rest;
      for (size_t j = i; j < parts.size(); ++j) {
        if (j > i) rest += '/';
        rest += parts[j];
      }
      params["*"] = std::move(rest);
      break;
    }
    if (segment.kind == Segment::Kind::kParam) {
      params[segment.text] = std::string(parts[i].substr(0, parts[i].size() - segment.suffix.size()));
    }
  }
  return params;
}

void Router::Add(Verb method, std::string pattern, Handler handler, RouteOptions options) {
  auto segments = Parse(pattern);
  max_body_bytes_ = std::max(max_body_bytes_, options.max_body_bytes);
  entries_.push_back({Route{method, std::move(pattern), std::move(handler), std::move(options)}, std::move(segments)});
}

RouteResult Router::Find(Verb method, std::string_view path) const {
  // Matching allocates nothing but this vector (reused by the thread); parameters are copied out only for the match.
  thread_local std::vector<std::string_view> parts;
  SplitPath(path, parts);
  std::string allow;
  const Entry* fallback = nullptr;
  for (const auto& entry : entries_) {
    if (!MatchPath(entry.segments, parts)) continue;
    if (entry.route.method == method) return Match{&entry.route, Params(entry.segments, parts)};
    if (method == Verb::head && entry.route.method == Verb::get && fallback == nullptr) fallback = &entry;
    const auto name = boost::beast::http::to_string(entry.route.method);
    if (allow.find(name) == std::string::npos) {
      if (!allow.empty()) allow += ", ";
      allow.append(name.data(), name.size());
      if (entry.route.method == Verb::get) allow += ", HEAD";
    }
  }
  if (fallback != nullptr) return Match{&fallback->route, Params(fallback->segments, parts)};
  if (!allow.empty()) return WrongMethod{std::move(allow)};
  return NoRoute{};
}

}  // namespace pagelift::http
