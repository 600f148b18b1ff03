// Process metrics in the Prometheus text exposition format (version 0.0.4), served at GET /metrics.
// Request counts and latency histograms by route, method and status are recorded by the server; other parts add
// their own lines through gauge sources (pool usage, build info, queue depths) evaluated at scrape time.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace pagelift::http {

class Metrics {
 public:
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,   5,     10};

  void ObserveRequest(std::string_view route, std::string_view method, int status, double seconds);
  void ConnectionOpened();
  void ConnectionClosed();

  // A source appends complete exposition text (HELP/TYPE and samples) to its argument at every scrape.
  void AddSource(std::function<void(std::string&)> source);

  std::string Render() const;

  // Escapes a label value: backslash, double quote and newline.
  static std::string EscapeLabel(std::string_view value);

 private:
  struct Series {
    unsigned long long count = 0;
    double sum = 0;
    std::array<unsigned long long, kBuckets.size()> buckets{};
  };
  using Key = std::tuple<std::string, std::string, int>;  // route, method, status

  mutable std::mutex mutex_;
  std::map<Key, Series, std::less<>> series_;
  long long open_connections_ = 0;
  unsigned long long accepted_connections_ = 0;
  std::vector<std::function<void(std::string&)>> sources_;
};

}  // namespace pagelift::http
