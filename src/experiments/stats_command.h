// `pagelift stats`: the statistics engine from the command line (../shared/spec/statistics.md, "pagelift stats").
// One JSON document of per-variant sufficient statistics in, one JSON document of results out; the same engine and
// the same document shapes as the results API, so the parser and formatter are public for it to reuse.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/error.h"
#include "experiments/stats.h"

namespace pagelift::experiments {

// A validated `pagelift stats` input document.
struct StatsRequest {
  MetricSpec metric;
  AnalysisOptions options;
  std::vector<std::string> keys;       // one per variant, the control first
  std::vector<VariantStats> variants;
  std::vector<double> weights;         // empty: equal weights
};

// Parses and validates an input document. Errors are kBadRequest with details {"field": "<path>"}, e.g.
// "variants[1].sum" or "engine"; "$" is the document itself.
Result<StatsRequest> ParseStatsRequest(const boost::json::value& document);

// The output document: {"srm_p_value", "variants": [{"key", "n", "mean", "variance", "lift", "status"}]}, with
// null for the fields the engine does not produce (and "lift": null for the control).
boost::json::object FormatStatsResult(const StatsRequest& request, const AnalysisResult& result);

// Reads the input document from `in`, writes the result (exit code 0) or a JSON error (exit code 2 for invalid
// input) to `out`.
int RunStatsCommand(std::istream& in, std::ostream& out);

}  // namespace pagelift::experiments
