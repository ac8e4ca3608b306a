// SPDX-License-Identifier: Apache-2.0
// Tests of the Bedrock price table: normalization, matching, estimates, loading.
#include <aiir/error.h>

#include <catch2/catch.hpp>

#include "analyzers/pricing.h"

using aiir::normalize_model_id;
using aiir::PriceTable;

TEST_CASE("model ids are normalized for price matching", "[analyzer][pricing]") {
  CHECK(normalize_model_id("anthropic.claude-3-sonnet-20240229-v1:0") == "anthropic.claude-3-sonnet-20240229");
  CHECK(normalize_model_id("us.anthropic.claude-3-5-sonnet-20240620-v1:0") == "anthropic.claude-3-5-sonnet-20240620");
  CHECK(normalize_model_id("apac.amazon.nova-micro-v1:0") == "amazon.nova-micro");
  CHECK(normalize_model_id("global.anthropic.claude-sonnet-4-20250514-v1:0") == "anthropic.claude-sonnet-4-20250514");
  CHECK(normalize_model_id("us-gov.meta.llama3-8b-instruct-v1:0") == "meta.llama3-8b-instruct");
  CHECK(normalize_model_id("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2") == "anthropic.claude");
  CHECK(normalize_model_id(
            "arn:aws:bedrock:us-east-1:111122223333:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0") ==
        "anthropic.claude-3-haiku-20240307");
  CHECK(normalize_model_id("Anthropic.Claude-v2:1:18k") == "anthropic.claude");
  CHECK(normalize_model_id("") == "");
  CHECK(normalize_model_id("dummy") == "dummy");
  CHECK(aiir::model_family("us.anthropic.claude-3-opus-20240229-v1:0") == "anthropic");
  CHECK(aiir::model_family("nomodel").empty());
}

TEST_CASE("price lookup: exact beats pattern, longest pattern wins, unknown is null", "[analyzer][pricing]") {
  PriceTable t = PriceTable::parse(R"(
as_of: "2025-06-01"
currency: USD
source: test
models:
  - {match: "anthropic.claude-3*", input: 1, output: 2}
  - {match: "anthropic.claude-3-opus*", input: 0.015, output: 0.075}
  - {match: "amazon.titan-embed-text-v1", input: 0.0001}
  - {match: "amazon.titan-embed-text-v2", input: 0.00002}
)", "t.yaml");
  CHECK(t.as_of() == "2025-06-01");
  REQUIRE(t.entries().size() == 4);
  const aiir::ModelPrice* opus = t.find("us.anthropic.claude-3-opus-20240229-v1:0");
  REQUIRE(opus != nullptr);
  CHECK(opus->input_per_1k == Approx(0.015));
  const aiir::ModelPrice* haiku = t.find("anthropic.claude-3-haiku-20240307-v1:0");
  REQUIRE(haiku != nullptr);
  CHECK(haiku->input_per_1k == Approx(1.0));
  REQUIRE(t.find("amazon.titan-embed-text-v2:0") != nullptr);
  CHECK(t.find("amazon.titan-embed-text-v2:0")->input_per_1k == Approx(0.00002));
  CHECK(t.find("amazon.titan-embed-text-v1")->input_per_1k == Approx(0.0001));
  CHECK(t.find("meta.llama3-8b-instruct-v1:0") == nullptr);
  CHECK(t.find("") == nullptr);

  // 1000 in + 2000 out on Opus: 0.015 + 0.15; unknown model: no estimate; -1 counts as 0.
  auto c = t.estimate("anthropic.claude-3-opus-20240229-v1:0", 1000, 2000);
  REQUIRE(c.has_value());
  CHECK(*c == Approx(0.165));
  CHECK_FALSE(t.estimate("meta.llama3-8b-instruct-v1:0", 1000, 1000).has_value());
  CHECK(*t.estimate("anthropic.claude-3-opus-20240229-v1:0", -1, -1) == Approx(0.0));
  // Cache tokens without a cache price are priced as input.
  CHECK(*t.estimate("anthropic.claude-3-opus-20240229-v1:0", 0, 0, 1000, 1000) == Approx(0.03));
}

TEST_CASE("a user table overrides the shipped one", "[analyzer][pricing]") {
  PriceTable base = PriceTable::parse("as_of: '2025-01-01'\nmodels:\n  - {match: 'anthropic.claude-3-opus*', input: 0.015, output: 0.075}\n", "base.yaml");
  PriceTable user = PriceTable::parse("as_of: '2026-02-01'\nmodels:\n  - {match: 'anthropic.claude-3-opus*', input: 0.02, output: 0.1}\n", "user.yaml");
  base.merge_over(user);
  CHECK(base.as_of() == "2026-02-01");
  CHECK(base.find("anthropic.claude-3-opus-20240229-v1:0")->input_per_1k == Approx(0.02));
  CHECK(base.find("anthropic.claude-3-opus-20240229-v1:0")->source == "user.yaml");
}

TEST_CASE("bad price files name file and line", "[analyzer][pricing]") {
  auto message = [](const char* text) {
    try {
      PriceTable::parse(text, "bad.yaml");
    } catch (const aiir::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("models:\n  - {match: 'x', input: abc}\n").find("bad.yaml:2") != std::string::npos);
  CHECK(message("models:\n  - {input: 1}\n").find("bad.yaml:2") != std::string::npos);
  CHECK(message("models:\n  - {match: 'x', input: -1}\n").find("negative") != std::string::npos);
  CHECK(message("models: 3\n").find("bad.yaml") != std::string::npos);
  CHECK(message("[1, 2\n").find("bad.yaml") != std::string::npos);
  CHECK(message("currency: EUR\nmodels: []\n").find("USD") != std::string::npos);
  CHECK_THROWS_AS(PriceTable::load("/nonexistent/prices.yaml"), aiir::Error);
}

TEST_CASE("the shipped price table loads and prices the common models", "[analyzer][pricing]") {
  std::string path = PriceTable::default_path();
  REQUIRE_FALSE(path.empty());
  PriceTable t = PriceTable::load(path);
  CHECK_FALSE(t.as_of().empty());
  CHECK_FALSE(t.source_note().empty());
  for (const char* id : {"anthropic.claude-3-opus-20240229-v1:0", "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                         "anthropic.claude-v2", "anthropic.claude-v2:1", "amazon.titan-embed-text-v2:0",
                         "apac.amazon.nova-micro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0",
                         "meta.llama3-1-70b-instruct-v1:0"}) {
    INFO(id);
    CHECK(t.find(id) != nullptr);
  }
  CHECK(t.find("anthropic.claude-3-opus-20240229-v1:0")->output_per_1k >
        t.find("anthropic.claude-3-haiku-20240307-v1:0")->output_per_1k);
  CHECK(t.find("amazon.titan-embed-text-v1")->input_per_1k > t.find("amazon.titan-embed-text-v2:0")->input_per_1k);
}
