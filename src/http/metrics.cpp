#include "http/metrics.h"

#include <fmt/format.h>

namespace pagelift::http {

void Metrics::ObserveRequest(std::string_view route, std::string_view method, int status, double seconds) {
  std::lock_guard lock(mutex_);
  auto it = series_.find(std::forward_as_tuple(route, method, status));
  if (it == series_.end()) {
    it = series_.emplace(Key{std::string(route), std::string(method), status}, Series{}).first;
  }
  auto& series = it->second;
  ++series.count;
  series.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++series.buckets[i];
  }
}

void Metrics::ConnectionOpened() {
  std::lock_guard lock(mutex_);
  ++open_connections_;
  ++accepted_connections_;
}

void Metrics::ConnectionClosed() {
  std::lock_guard lock(mutex_);
  --open_connections_;
}

void Metrics::AddSource(std::function<void(std::string&)> source) {
  std::lock_guard lock(mutex_);
  sources_.push_back(std::move(source));
}

std::string Metrics::EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Metrics::Render() const {
  std::vector<std::function<void(std::string&)>> sources;
  std::string out;
  {
    std::lock_guard lock(mutex_);
    sources = sources_;
    out += "# HELP pagelift_http_requests_total HTTP requests answered, by route pattern, method and status.\n";
    out += "# TYPE pagelift_http_requests_total counter\n";
    for (const auto& [key, series] : series_) {
      const auto& [route, method, status] = key;
      out += fmt::format("pagelift_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                         EscapeLabel(route), EscapeLabel(method), status, series.count);
    }
    out += "# HELP pagelift_http_request_duration_seconds Time from the request's first byte to the response.\n";
    out += "# TYPE pagelift_http_request_duration_seconds histogram\n";
    for (const auto& [key, series] : series_) {
      const auto& [route, method, status] = key;
      const auto labels =
          fmt::format("route=\"{}\",method=\"{}\",status=\"{}\"", EscapeLabel(route), EscapeLabel(method), status);
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        out += fmt::format("pagelift_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels, kBuckets[i],
                           series.buckets[i]);
      }
      out += fmt::format("pagelift_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, series.count);
      out += fmt::format("pagelift_http_request_duration_seconds_sum{{{}}} {}\n", labels, series.sum);
      out += fmt::format("pagelift_http_request_duration_seconds_count{{{}}} {}\n", labels, series.count);
    }
    out += "# HELP pagelift_http_connections_open Client connections currently open.\n";
    out += "# TYPE pagelift_http_connections_open gauge\n";
    out += fmt::format("pagelift_http_connections_open {}\n", open_connections_);
    out += "# HELP pagelift_http_connections_accepted_total Client connections accepted.\n";
    out += "# TYPE pagelift_http_connections_accepted_total counter\n";
    out += fmt::format("pagelift_http_connections_accepted_total {}\n", accepted_connections_);
  }
  for (const auto& source : sources) source(out);
  return out;
}

}  // namespace pagelift::http
