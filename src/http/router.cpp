#include "http/router.h"

#include <stdexcept>

namespace pagelift::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

std::vector<Router::Segment> Router::Parse(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with /");
  std::vector<Segment> segments;
  const auto parts = SplitPath(pattern);
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

bool Router::MatchPath(const std::vector<Segment>& segments, std::string_view path,
                       std::map<std::string, std::string, std::less<>>& params) {
  const auto parts = SplitPath(path);
  size_t i = 0;
  for (; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    if (segment.kind == Segment::Kind::kRest) {
      std::string rest;
      for (size_t j = i; j < parts.size(); ++j) {
        if (j > i) rest += '/';
        rest += parts[j];
      }
      params["*"] = std::move(rest);
      return true;
    }
    if (i >= parts.size()) return false;
    const auto part = parts[i];
    if (segment.kind == Segment::Kind::kLiteral) {
      if (part != segment.text) return false;
      continue;
    }
    if (part.size() <= segment.suffix.size() || !part.ends_with(segment.suffix)) return false;
    params[segment.text] = std::string(part.substr(0, part.size() - segment.suffix.size()));
  }
  return i == parts.size();
}

void Router::Add(Verb method, std::string pattern, Handler handler, RouteOptions options) {
  auto segments = Parse(pattern);
  max_body_bytes_ = std::max(max_body_bytes_, options.max_body_bytes);
  entries_.push_back({Route{method, std::move(pattern), std::move(handler), std::move(options)}, std::move(segments)});
}

RouteResult Router::Find(Verb method, std::string_view path) const {
  std::string allow;
  const Entry* fallback = nullptr;
  std::map<std::string, std::string, std::less<>> fallback_params;
  for (const auto& entry : entries_) {
    std::map<std::string, std::string, std::less<>> params;
    if (!MatchPath(entry.segments, path, params)) continue;
    if (entry.route.method == method) return Match{&entry.route, std::move(params)};
    if (method == Verb::head && entry.route.method == Verb::get && fallback == nullptr) {
      fallback = &entry;
      fallback_params = std::move(params);
    }
    const auto name = boost::beast::http::to_string(entry.route.method);
    if (allow.find(name) == std::string::npos) {
      if (!allow.empty()) allow += ", ";
      allow.append(name.data(), name.size());
      if (entry.route.method == Verb::get) allow += ", HEAD";
    }
  }
  if (fallback != nullptr) return Match{&fallback->route, std::move(fallback_params)};
  if (!allow.empty()) return WrongMethod{std::move(allow)};
  return NoRoute{};
}

}  // namespace pagelift::http
