// Tests of `pagelift stats` (experiments/stats_command.h): a valid document round trip against the spec's golden
// numbers, the null conventions per engine, and each kind of invalid input → exit code 2 with the offending field.
#include "experiments/stats_command.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

namespace pagelift::experiments {
namespace {

namespace json = boost::json;

struct CommandRun {
  int exit_code;
  json::value output;
};

CommandRun RunCommand(const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out;
  const int code = RunStatsCommand(in, out);
  return {code, json::parse(out.str())};
}

json::object ValidDocument() {
  return json::parse(R"({
    "metric": {"type": "proportion", "lower_is_better": false, "numerator": "mean", "denominator": "mean"},
    "engine": "bayesian", "difference": "relative", "alpha": 0.05,
    "prior": {"proper": false, "mean": 0, "stddev": 0.3}, "sequential_tuning": 5000, "correction": "none",
    "variants": [
      {"key": "control", "weight": 0.5, "n": 100, "sum": 49, "sum_squares": 49,
       "denominator": {"sum": 0, "sum_squares": 0}, "sum_products": 0,
       "pre": {"sum": 0, "sum_squares": 0}, "pre_sum_products": 0},
      {"key": "treatment", "weight": 0.5, "n": 100, "sum": 51, "sum_squares": 51,
       "denominator": {"sum": 0, "sum_squares": 0}, "sum_products": 0,
       "pre": {"sum": 0, "sum_squares": 0}, "pre_sum_products": 0}],
    "cuped": false})")
      .as_object();
}

double Num(const json::value& v) { return v.to_number<double>(); }

TEST(StatsCommand, BayesianRoundTrip) {
  const CommandRun run = RunCommand(json::serialize(ValidDocument()));
  ASSERT_EQ(run.exit_code, 0) << json::serialize(run.output);
  const json::object& out = run.output.as_object();
  EXPECT_DOUBLE_EQ(Num(out.at("srm_p_value")), 1);  // 100 vs 100 on 50/50
  const json::array& variants = out.at("variants").as_array();
  ASSERT_EQ(variants.size(), 2u);
  const json::object& control = variants[0].as_object();
  EXPECT_EQ(control.at("key"), "control");
  EXPECT_EQ(control.at("n"), 100);
  EXPECT_DOUBLE_EQ(Num(control.at("mean")), 0.49);
  EXPECT_DOUBLE_EQ(Num(control.at("variance")), 0.49 * 0.51);
  EXPECT_TRUE(control.at("lift").is_null());
  EXPECT_EQ(control.at("status"), "ok");

  const json::object& treatment = variants[1].as_object();
  EXPECT_EQ(treatment.at("key"), "treatment");
  EXPECT_EQ(treatment.at("status"), "ok");
  const json::object& lift = treatment.at("lift").as_object();
  // The spec's golden case: 0.040816, 0.147253, (−0.247793, 0.329426), 0.609181, [0.081396, 0.040580].
  EXPECT_NEAR(Num(lift.at("expected")), 0.040816, 1e-6);
  EXPECT_NEAR(Num(lift.at("stddev")), 0.147253, 1e-6);
  EXPECT_NEAR(Num(lift.at("ci").as_array()[0]), -0.247793, 1e-6);
  EXPECT_NEAR(Num(lift.at("ci").as_array()[1]), 0.329426, 1e-6);
  EXPECT_NEAR(Num(lift.at("chance_to_win")), 0.609181, 1e-6);
  EXPECT_NEAR(Num(lift.at("risk").as_array()[0]), 0.081396, 1e-6);
  EXPECT_NEAR(Num(lift.at("risk").as_array()[1]), 0.040580, 1e-6);
  EXPECT_TRUE(lift.at("p_value").is_null());
  EXPECT_TRUE(lift.at("p_value_adjusted").is_null());
}

TEST(StatsCommand, SequentialWithDefaultsAndNoOptionalFields) {
  // Only what is required: metric type and the variants' n and sum (Σx² defaults to Σx for 0/1 values).
  const CommandRun run = RunCommand(R"({"metric": {"type": "proportion"}, "engine": "sequential",
      "variants": [{"n": 10000, "sum": 1000}, {"n": 10000, "sum": 1100}]})");
  ASSERT_EQ(run.exit_code, 0) << json::serialize(run.output);
  const json::array& variants = run.output.at("variants").as_array();
  EXPECT_EQ(variants[0].at("key"), "control");
  EXPECT_EQ(variants[1].at("key"), "variant_1");
  const json::object& lift = variants[1].at("lift").as_object();
  EXPECT_NEAR(Num(lift.at("ci").as_array()[0]), -0.0422064, 1e-6);
  EXPECT_NEAR(Num(lift.at("ci").as_array()[1]), 0.242206, 1e-6);
  EXPECT_NEAR(Num(lift.at("p_value")), 0.549038, 1e-6);
  EXPECT_TRUE(lift.at("chance_to_win").is_null());
  EXPECT_TRUE(lift.at("risk").is_null());
}

TEST(StatsCommand, FrequentistHolmAndDegenerateStatus) {
  const CommandRun run = RunCommand(R"({"metric": {"type": "proportion"}, "engine": "frequentist", "correction": "holm",
      "variants": [{"key": "a", "n": 10000, "sum": 1000}, {"key": "b", "n": 10000, "sum": 1100},
                   {"key": "c", "n": 10000, "sum": 1050}, {"key": "d", "n": 10000, "sum": 0}]})");
  ASSERT_EQ(run.exit_code, 0) << json::serialize(run.output);
  const json::array& variants = run.output.at("variants").as_array();
  const double p_b = Num(variants[1].at("lift").at("p_value"));
  EXPECT_NEAR(p_b, 0.0278895, 1e-6);
  EXPECT_NEAR(Num(variants[1].at("lift").at("p_value_adjusted")), 2 * p_b, 1e-15);  // smaller of two tests
  EXPECT_EQ(variants[3].at("status"), "zero variance");
  EXPECT_DOUBLE_EQ(Num(variants[3].at("lift").at("p_value")), 1);
}

TEST(StatsCommand, RatioAndCupedDocuments) {
  // The ratio case of stats_test (RatioMetricDeltaMethod): absolute Δ 6.25, Var 71.875/12.
  const CommandRun ratio = RunCommand(R"({"metric": {"type": "ratio", "numerator": "mean", "denominator": "mean"},
      "difference": "absolute",
      "variants": [{"n": 4, "sum": 60, "sum_squares": 1400, "denominator": {"sum": 4, "sum_squares": 6},
                    "sum_products": 90},
                   {"n": 4, "sum": 85, "sum_squares": 2625, "denominator": {"sum": 4, "sum_squares": 6},
                    "sum_products": 125}]})");
  ASSERT_EQ(ratio.exit_code, 0) << json::serialize(ratio.output);
  EXPECT_NEAR(Num(ratio.output.at("variants").at(1).at("lift").at("expected")), 6.25, 1e-12);
  EXPECT_NEAR(Num(ratio.output.at("variants").at(1).at("lift").at("stddev")), std::sqrt(71.875 / 12), 1e-9);
  EXPECT_NEAR(Num(ratio.output.at("variants").at(0).at("mean")), 15, 1e-12);

  // The CUPED case of stats_test (CupedSmallSampleByHand): absolute Δ 0.4, Var 0.22/3.
  const CommandRun cuped = RunCommand(R"({"metric": {"type": "mean"}, "difference": "absolute", "cuped": true,
      "variants": [{"n": 4, "sum": 10, "sum_squares": 30, "pre": {"sum": 8, "sum_squares": 18}, "pre_sum_products": 23},
                   {"n": 4, "sum": 14, "sum_squares": 54, "pre": {"sum": 10, "sum_squares": 30},
                    "pre_sum_products": 40}]})");
  ASSERT_EQ(cuped.exit_code, 0) << json::serialize(cuped.output);
  EXPECT_NEAR(Num(cuped.output.at("variants").at(1).at("lift").at("expected")), 0.4, 1e-12);
  EXPECT_NEAR(Num(cuped.output.at("variants").at(1).at("lift").at("stddev")), std::sqrt(0.22 / 3), 1e-12);
}

TEST(StatsCommand, SrmFromWeights) {
  const CommandRun run = RunCommand(R"({"metric": {"type": "proportion"},
      "variants": [{"weight": 0.5, "n": 5000, "sum": 500}, {"weight": 0.5, "n": 4000, "sum": 400}]})");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_LT(Num(run.output.at("srm_p_value")), 0.001);
}

// Applies `edit` to the valid document and expects exit code 2 with a bad_request naming `field`.
void ExpectInvalid(const std::function<void(json::object&)>& edit, const std::string& field) {
  json::object document = ValidDocument();
  edit(document);
  const CommandRun run = RunCommand(json::serialize(document));
  EXPECT_EQ(run.exit_code, 2) << field;
  ASSERT_TRUE(run.output.is_object()) << field;
  const json::value* error = run.output.as_object().if_contains("error");
  ASSERT_NE(error, nullptr) << json::serialize(run.output);
  EXPECT_EQ(error->at("code"), "bad_request");
  EXPECT_FALSE(error->at("message").as_string().empty());
  EXPECT_EQ(error->at("details").at("field"), json::value(field)) << json::serialize(run.output);
}

json::object& Variant(json::object& d, std::size_t i) { return d["variants"].as_array()[i].as_object(); }

TEST(StatsCommand, InvalidInputs) {
  ExpectInvalid([](json::object& d) { d["variants"].as_array().pop_back(); }, "variants");
  ExpectInvalid([](json::object& d) { d["variants"] = "two"; }, "variants");
  ExpectInvalid([](json::object& d) { d.erase("variants"); }, "variants");
  ExpectInvalid([](json::object& d) { Variant(d, 1)["n"] = -5; }, "variants[1].n");
  ExpectInvalid([](json::object& d) { Variant(d, 1)["n"] = 10.5; }, "variants[1].n");
  ExpectInvalid([](json::object& d) { Variant(d, 1)["n"] = "100"; }, "variants[1].n");
  ExpectInvalid([](json::object& d) { Variant(d, 0).erase("n"); }, "variants[0].n");
  ExpectInvalid([](json::object& d) { Variant(d, 1)["sum"] = 101; }, "variants[1].sum");      // sum > n
  ExpectInvalid([](json::object& d) { Variant(d, 1)["sum"] = -1; }, "variants[1].sum");
  ExpectInvalid([](json::object& d) { Variant(d, 1)["sum_squares"] = 60; }, "variants[1].sum_squares");
  ExpectInvalid([](json::object& d) { Variant(d, 1)["weight"] = -0.5; }, "variants[1].weight");
  ExpectInvalid([](json::object& d) { Variant(d, 1).erase("weight"); }, "variants[1].weight");  // some, not all
  ExpectInvalid([](json::object& d) { Variant(d, 1)["key"] = "control"; }, "variants[1].key");  // duplicate
  ExpectInvalid([](json::object& d) { Variant(d, 1)["key"] = 7; }, "variants[1].key");
  ExpectInvalid([](json::object& d) { Variant(d, 1)["colour"] = "red"; }, "variants[1].colour");
  ExpectInvalid([](json::object& d) { d["variants"].as_array()[1] = 3; }, "variants[1]");
  ExpectInvalid([](json::object& d) { d["engine"] = "bootstrap"; }, "engine");
  ExpectInvalid([](json::object& d) { d["difference"] = "ratio"; }, "difference");
  ExpectInvalid([](json::object& d) { d["correction"] = "bonferroni"; }, "correction");
  ExpectInvalid([](json::object& d) { d["alpha"] = 0; }, "alpha");
  ExpectInvalid([](json::object& d) { d["alpha"] = 1.5; }, "alpha");
  ExpectInvalid([](json::object& d) { d["alpha"] = "0.05"; }, "alpha");
  ExpectInvalid([](json::object& d) { d["sequential_tuning"] = -1; }, "sequential_tuning");
  ExpectInvalid([](json::object& d) { d["prior"] = json::object{{"proper", true}, {"stddev", 0}}; }, "prior.stddev");
  ExpectInvalid([](json::object& d) { d["prior"] = json::object{{"proper", "yes"}}; }, "prior.proper");
  ExpectInvalid([](json::object& d) { d["cuped"] = 1; }, "cuped");
  ExpectInvalid([](json::object& d) { d["correctoin"] = "holm"; }, "correctoin");
  ExpectInvalid([](json::object& d) { d.erase("metric"); }, "metric");
  ExpectInvalid([](json::object& d) { d["metric"] = json::object{}; }, "metric.type");
  ExpectInvalid([](json::object& d) { d["metric"].as_object()["type"] = "count"; }, "metric.type");
  ExpectInvalid([](json::object& d) { d["metric"].as_object()["numerator"] = "sum"; }, "metric.numerator");
  ExpectInvalid([](json::object& d) { d["metric"].as_object()["lower_is_better"] = "no"; },
                "metric.lower_is_better");
  // Mean metric: Σx² is required and must be consistent ((Σx)² ≤ n·Σx²).
  ExpectInvalid([](json::object& d) { d["metric"].as_object()["type"] = "mean"; Variant(d, 0).erase("sum_squares"); },
                "variants[0].sum_squares");
  ExpectInvalid([](json::object& d) { d["metric"].as_object()["type"] = "mean"; Variant(d, 0)["sum_squares"] = 1; },
                "variants[0].sum_squares");
  // Ratio: the denominator must be present and consistent.
  ExpectInvalid([](json::object& d) { d["metric"].as_object()["type"] = "ratio"; Variant(d, 0).erase("denominator"); },
                "variants[0].denominator");
  ExpectInvalid(
      [](json::object& d) {
        d["metric"].as_object()["type"] = "ratio";
        d["metric"].as_object()["numerator"] = "proportion";
        d["metric"].as_object()["denominator"] = "proportion";
        Variant(d, 0)["denominator"] = json::object{{"sum", 150}};
      },
      "variants[0].denominator.sum");
  // CUPED: needs the pre-period sums, and is not offered for ratio metrics.
  ExpectInvalid([](json::object& d) { d["cuped"] = true; Variant(d, 1).erase("pre"); }, "variants[1].pre");
  ExpectInvalid([](json::object& d) { d["cuped"] = true; d["metric"].as_object()["type"] = "ratio"; }, "cuped");
}

TEST(StatsCommand, NotJsonOrNotAnObject) {
  for (const char* input : {"", "not json", "[1, 2]", "{\"metric\": "}) {
    const CommandRun run = RunCommand(input);
    EXPECT_EQ(run.exit_code, 2) << input;
    EXPECT_EQ(run.output.at("error").at("code"), "bad_request") << input;
    EXPECT_EQ(run.output.at("error").at("details").at("field"), "$") << input;
  }
}

}  // namespace
}  // namespace pagelift::experiments
