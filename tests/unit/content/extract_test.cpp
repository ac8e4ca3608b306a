// SPDX-License-Identifier: Apache-2.0
// Tests for text extraction from every body shape (src/content/extract.h).
#include "content/extract.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using namespace aiir::content;

namespace {

struct Rec {
  explicit Rec(std::string_view json) {
    auto r = parser.parse(json.data(), json.size());
    REQUIRE(r.error() == simdjson::SUCCESS);
    element = r.value();
    extract_invocation(element, ex);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  Extraction ex;

  bool has(Side side, Role role, std::string_view text) const {
    for (const auto& p : ex.pieces)
      if (p.side == side && p.role == role && p.text == text) return true;
    return false;
  }
  std::string all() const {
    std::string s;
    for (const auto& p : ex.pieces) s.append(p.text).append("|");
    return s;
  }
};

std::string record(std::string_view op, std::string_view model, std::string_view in, std::string_view out) {
  return std::string(R"({"schemaType":"ModelInvocationLog","requestId":"r-1","operation":")") + std::string(op) +
         R"(","modelId":")" + std::string(model) + R"(","input":{"inputContentType":"application/json","inputBodyJson":)" +
         std::string(in) + R"(},"output":{"outputContentType":"application/json","outputBodyJson":)" +
         std::string(out) + "}}";
}

}  // namespace

TEST_CASE("Anthropic messages: system string, content string and blocks", "[content][extract]") {
  Rec r(record("InvokeModel", "anthropic.claude-3-haiku",
               R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":"You are helpful.",
                  "messages":[{"role":"user","content":"Hi there"},
                              {"role":"assistant","content":[{"type":"text","text":"Hello!"}]},
                              {"role":"user","content":[{"type":"text","text":"Run it"},
                                 {"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"tool says hi"}]},
                                 {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]})",
               R"({"id":"msg_bdrk_1","type":"message","role":"assistant","content":[
                  {"type":"thinking","thinking":"let me think","signature":"x"},
                  {"type":"text","text":"Done."},
                  {"type":"tool_use","id":"t2","name":"shell","input":{"command":"ls -la"}}],
                  "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}})"));
  CHECK(r.ex.operation == "InvokeModel");
  CHECK(r.ex.model_id == "anthropic.claude-3-haiku");
  CHECK(r.has(Side::kInput, Role::kSystem, "You are helpful."));
  CHECK(r.has(Side::kInput, Role::kUser, "Hi there"));
  CHECK(r.has(Side::kInput, Role::kAssistant, "Hello!"));
  CHECK(r.has(Side::kInput, Role::kUser, "Run it"));
  CHECK(r.has(Side::kInput, Role::kTool, "tool says hi"));
  CHECK(r.has(Side::kOutput, Role::kAssistant, "let me think"));
  CHECK(r.has(Side::kOutput, Role::kAssistant, "Done."));
  CHECK(r.has(Side::kOutput, Role::kTool, "ls -la"));
  REQUIRE(r.ex.attachments.size() == 1);
  CHECK(r.ex.attachments[0].kind == "image");
  CHECK(r.ex.attachments[0].declared_format == "image/png");
  CHECK(r.ex.attachments[0].base64 == "iVBORw0KGgo=");
  CHECK_FALSE(r.ex.used_fallback);
}

TEST_CASE("Anthropic system as blocks", "[content][extract]") {
  Rec r(record("InvokeModel", "anthropic.claude-3", R"({"system":[{"type":"text","text":"Rule one."},{"type":"text","text":"Rule two."}],"messages":[]})", "{}"));
  CHECK(r.has(Side::kInput, Role::kSystem, "Rule one."));
  CHECK(r.has(Side::kInput, Role::kSystem, "Rule two."));
}

TEST_CASE("Anthropic streaming chunks are reassembled per index", "[content][extract]") {
  Rec r(record("InvokeModelWithResponseStream", "anthropic.claude-3",
               R"({"messages":[{"role":"user","content":"hey"}]})",
               R"([{"type":"message_start","message":{"id":"m","usage":{"input_tokens":3}}},
                   {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}},
                   {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}},
                   {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"cmd\":"}},
                   {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo world"}},
                   {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"ls\"}"}},
                   {"type":"content_block_stop","index":0},
                   {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4}},
                   {"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":3}},
                   "[DONE]", 42, null])"));
  CHECK(r.has(Side::kOutput, Role::kAssistant, "Hello world"));
  CHECK(r.has(Side::kOutput, Role::kTool, "{\"cmd\":\"ls\"}"));
  CHECK(r.ex.guardrail.stop_reason == "end_turn");
  CHECK_FALSE(r.ex.guardrail.intervened);
}

TEST_CASE("Converse: system, text, toolUse, toolResult, guardContent, documents and images", "[content][extract]") {
  Rec r(record("Converse", "amazon.nova-micro-v1:0",
               R"({"system":[{"text":"You are a bank bot."}],
                  "messages":[{"role":"user","content":[
                     {"text":"Summarize this"},
                     {"document":{"format":"pdf","name":"report","source":{"s3Uri":"s3://b/p/AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2025/01/09/18/data/r-1_input_media_00.pdf"}}},
                     {"image":{"format":"png","source":{"bytes":"iVBORw0KGgoAAAANSUhEUg=="}}},
                     {"image":{"format":"jpeg","source":{"s3Location":{"uri":"s3://c/img.jpg"}}}},
                     {"guardContent":{"text":{"text":"grounding doc text","qualifiers":["grounding_source"]}}},
                     {"guardContent":{"text":{"text":"user query","qualifiers":["query"]}}},
                     {"toolResult":{"toolUseId":"tu-1","content":[{"text":"result text"},{"json":{"k":"json value"}}],"status":"success"}}]},
                   {"role":"assistant","content":[{"toolUse":{"toolUseId":"tu-1","name":"shell","input":{"command":"whoami"}}}]}],
                  "toolConfig":{"tools":[{"toolSpec":{"name":"shell","description":"Runs a command","inputSchema":{"json":{}}}}]},
                  "inferenceConfig":{"maxTokens":300}})",
               R"({"output":{"message":{"role":"assistant","content":[{"text":"Here is a summary."},
                     {"reasoningContent":{"reasoningText":{"text":"reasoning here"}}}]}},
                  "stopReason":"end_turn","usage":{"inputTokens":16,"outputTokens":82},"metrics":{"latencyMs":2435}})"));
  CHECK(r.has(Side::kInput, Role::kSystem, "You are a bank bot."));
  CHECK(r.has(Side::kInput, Role::kUser, "Summarize this"));
  CHECK(r.has(Side::kInput, Role::kDocument, "grounding doc text"));
  CHECK(r.has(Side::kInput, Role::kUser, "user query"));
  CHECK(r.has(Side::kInput, Role::kTool, "result text"));
  CHECK(r.has(Side::kInput, Role::kTool, "json value"));
  CHECK(r.has(Side::kInput, Role::kTool, "whoami"));
  CHECK(r.has(Side::kInput, Role::kTool, "Runs a command"));
  CHECK(r.has(Side::kOutput, Role::kAssistant, "Here is a summary."));
  CHECK(r.has(Side::kOutput, Role::kAssistant, "reasoning here"));
  REQUIRE(r.ex.attachments.size() == 3);
  CHECK(r.ex.attachments[0].kind == "document");
  CHECK(r.ex.attachments[0].declared_format == "pdf");
  CHECK(r.ex.attachments[0].name == "report");
  CHECK(r.ex.attachments[1].base64 == "iVBORw0KGgoAAAANSUhEUg==");
  CHECK(r.ex.attachments[2].s3_uri == "s3://c/img.jpg");
  REQUIRE(r.ex.s3_refs.size() == 2);
  CHECK_FALSE(r.ex.s3_refs[0].resolved);
  CHECK(r.ex.s3_refs[0].side == Side::kInput);
}

TEST_CASE("Titan text and Titan/Cohere embeddings (text only, never vectors)", "[content][extract]") {
  Rec titan(record("InvokeModel", "amazon.titan-text-express-v1",
                   R"({"inputText":"Tell me a story","textGenerationConfig":{"maxTokenCount":50}})",
                   R"({"inputTextTokenCount":4,"results":[{"tokenCount":5,"outputText":"Once upon a time","completionReason":"FINISH"}]})"));
  CHECK(titan.has(Side::kInput, Role::kUser, "Tell me a story"));
  CHECK(titan.has(Side::kOutput, Role::kAssistant, "Once upon a time"));

  Rec embed(record("InvokeModel", "amazon.titan-embed-text-v2:0", R"({"inputText":"embed me","dimensions":3})",
                   R"({"embedding":[0.1,0.2,0.3],"inputTextTokenCount":2})"));
  CHECK(embed.has(Side::kInput, Role::kUser, "embed me"));
  CHECK(embed.ex.vectors == 1);
  CHECK(embed.ex.pieces.size() == 1);

  Rec cohere(record("InvokeModel", "cohere.embed-english-v3", R"({"texts":["one","two"],"input_type":"search_document"})",
                    R"({"embeddings":[[0.1],[0.2]],"id":"x","texts":["one","two"]})"));
  CHECK(cohere.has(Side::kInput, Role::kUser, "one"));
  CHECK(cohere.has(Side::kInput, Role::kUser, "two"));
  CHECK(cohere.ex.vectors == 2);
  CHECK(cohere.ex.pieces.size() == 2);  // the echoed texts are not response text
}

TEST_CASE("image models: text prompts only", "[content][extract]") {
  Rec nova(record("InvokeModel", "amazon.nova-canvas-v1:0",
                  R"({"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a red fox","negativeText":"blurry"},"imageGenerationConfig":{"numberOfImages":1}})",
                  R"({"images":["iVBORw0KGgo="]})"));
  CHECK(nova.has(Side::kInput, Role::kUser, "a red fox"));
  CHECK(nova.has(Side::kInput, Role::kUser, "blurry"));
  CHECK(nova.ex.images_out == 1);
  Rec sd(record("InvokeModel", "stability.sd3", R"({"text_prompts":[{"text":"a castle","weight":1}]})",
                R"({"artifacts":[{"base64":"AAAA","seed":1,"finishReason":"SUCCESS"}]})"));
  CHECK(sd.has(Side::kInput, Role::kUser, "a castle"));
  CHECK(sd.ex.pieces.size() == 1);
}

TEST_CASE("Llama, Mistral text and chat, Cohere, AI21, OpenAI-compatible, legacy Anthropic", "[content][extract]") {
  Rec llama(record("InvokeModel", "meta.llama3-8b", R"({"prompt":"<|begin_of_text|>hello","max_gen_len":50})",
                   R"({"generation":"Hi!","prompt_token_count":3,"generation_token_count":2,"stop_reason":"stop"})"));
  CHECK(llama.has(Side::kInput, Role::kUser, "<|begin_of_text|>hello"));
  CHECK(llama.has(Side::kOutput, Role::kAssistant, "Hi!"));

  Rec mistral(record("InvokeModel", "mistral.mistral-7b", R"({"prompt":"<s>[INST] q [/INST]","max_tokens":10})",
                     R"({"outputs":[{"text":"answer","stop_reason":"stop"}]})"));
  CHECK(mistral.has(Side::kOutput, Role::kAssistant, "answer"));

  Rec mchat(record("InvokeModel", "mistral.mistral-large", R"({"messages":[{"role":"system","content":"sys"},{"role":"user","content":"q"}]})",
                   R"({"choices":[{"index":0,"message":{"role":"assistant","content":"a","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{\"x\":1}"}}]},"stop_reason":"stop"}]})"));
  CHECK(mchat.has(Side::kInput, Role::kSystem, "sys"));
  CHECK(mchat.has(Side::kOutput, Role::kAssistant, "a"));
  CHECK(mchat.has(Side::kOutput, Role::kTool, "{\"x\":1}"));

  Rec cohere(record("InvokeModel", "cohere.command-r", R"({"message":"latest q","chat_history":[{"role":"USER","message":"old q"},{"role":"CHATBOT","message":"old a"}]})",
                    R"({"text":"new a","finish_reason":"COMPLETE"})"));
  CHECK(cohere.has(Side::kInput, Role::kUser, "latest q"));
  CHECK(cohere.has(Side::kInput, Role::kUser, "old q"));
  CHECK(cohere.has(Side::kInput, Role::kAssistant, "old a"));
  CHECK(cohere.has(Side::kOutput, Role::kAssistant, "new a"));

  Rec gen(record("InvokeModel", "cohere.command-text", R"({"prompt":"p"})", R"({"generations":[{"text":"g","finish_reason":"COMPLETE"}]})"));
  CHECK(gen.has(Side::kOutput, Role::kAssistant, "g"));

  Rec jurassic(record("InvokeModel", "ai21.j2-ultra", R"({"prompt":"jp","maxTokens":5})", R"({"completions":[{"data":{"text":"jt"}}]})"));
  CHECK(jurassic.has(Side::kOutput, Role::kAssistant, "jt"));

  Rec jamba(record("InvokeModel", "ai21.jamba", R"({"messages":[{"role":"user","content":"jq"}]})",
                   R"({"choices":[{"message":{"role":"assistant","content":"ja"}}],"usage":{}})"));
  CHECK(jamba.has(Side::kOutput, Role::kAssistant, "ja"));

  Rec deepseek(record("InvokeModel", "deepseek.r1", R"({"prompt":"dq"})",
                      R"({"choices":[{"text":"da","stop_reason":"stop"}]})"));
  CHECK(deepseek.has(Side::kOutput, Role::kAssistant, "da"));

  Rec legacy(record("InvokeModel", "anthropic.claude-v2", R"({"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":20})",
                    R"({"completion":" Hello","stop_reason":"stop_sequence"})"));
  CHECK(legacy.has(Side::kInput, Role::kUser, "\n\nHuman: hi\n\nAssistant:"));
  CHECK(legacy.has(Side::kOutput, Role::kAssistant, " Hello"));
}

TEST_CASE("unknown bodies go through the generic fallback", "[content][extract]") {
  Rec r(record("InvokeModel", "vendor.future", R"({"query":{"text":"deep text","other":5,"system":"sys text"}})",
               R"({"result":{"message":"out text","embedding":["not text"]}})"));
  CHECK(r.ex.used_fallback);
  CHECK(r.has(Side::kInput, Role::kUser, "deep text"));
  CHECK(r.has(Side::kInput, Role::kSystem, "sys text"));
  CHECK(r.has(Side::kOutput, Role::kAssistant, "out text"));
  CHECK(r.all().find("not text") == std::string::npos);
}

TEST_CASE("Converse guardrail trace is summarized", "[content][extract]") {
  Rec r(record("Converse", "anthropic.claude-3",
               R"({"messages":[{"role":"user","content":[{"text":"bad"}]}]})",
               R"({"output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}},"stopReason":"guardrail_intervened",
                  "trace":{"guardrail":{
                    "inputAssessment":{"gr-1":{
                      "topicPolicy":{"topics":[{"name":"Finance","type":"DENY","action":"BLOCKED"}]},
                      "contentPolicy":{"filters":[{"type":"PROMPT_ATTACK","confidence":"HIGH","filterStrength":"HIGH","action":"BLOCKED","detected":true}]},
                      "wordPolicy":{"customWords":[{"match":"badword","action":"BLOCKED"}],"managedWordLists":[{"match":"darn","type":"PROFANITY","action":"NONE"}]},
                      "sensitiveInformationPolicy":{"piiEntities":[{"type":"EMAIL","match":"user@example.com","action":"ANONYMIZED"}],
                                                    "regexes":[{"name":"acct","match":"123","regex":"\\d+","action":"BLOCKED"}]},
                      "invocationMetrics":{"guardrailProcessingLatency":340}}},
                    "outputAssessments":[{"gr-1":{"contextualGroundingPolicy":{"filters":[{"type":"GROUNDING","threshold":0.99,"score":0.36,"action":"BLOCKED"}]}}}],
                    "modelOutput":["{\"original\":\"unmasked output\"}"]}}})"));
  const auto& g = r.ex.guardrail;
  CHECK(g.present);
  CHECK(g.intervened);
  CHECK(g.stop_reason == "guardrail_intervened");
  REQUIRE(g.blocks.size() == 7);
  CHECK(g.blocks[0].policy == "topic");
  CHECK(g.blocks[0].type == "Finance");
  CHECK(g.blocks[0].action == "BLOCKED");
  CHECK(g.blocks[1].policy == "content");
  CHECK(g.blocks[1].type == "PROMPT_ATTACK");
  CHECK(g.blocks[1].confidence == "HIGH");
  CHECK(g.blocks[1].detected);
  CHECK(g.blocks[2].policy == "word");
  CHECK(g.blocks[3].policy == "managed_word");
  CHECK_FALSE(g.blocks[3].detected);
  CHECK(g.blocks[4].policy == "pii");
  CHECK(g.blocks[4].type == "EMAIL");
  CHECK(g.blocks[4].match == "user@example.com");
  CHECK(g.blocks[5].policy == "regex");
  CHECK(g.blocks[5].type == "acct");
  CHECK(g.blocks[6].policy == "grounding");
  CHECK(g.blocks[6].side == Side::kOutput);
  CHECK(g.blocks[6].score == Approx(0.36));
  REQUIRE(g.model_output.size() == 1);
  CHECK(r.has(Side::kOutput, Role::kAssistant, "{\"original\":\"unmasked output\"}"));
}

TEST_CASE("InvokeModel guardrail action and trace, also on stream chunks", "[content][extract]") {
  Rec r(record("InvokeModel", "anthropic.claude-3", R"({"messages":[]})",
               R"({"content":[],"amazon-bedrock-guardrailAction":"INTERVENED",
                  "amazon-bedrock-trace":{"guardrail":{"input":{"g":{"contentPolicy":{"filters":[{"type":"HATE","confidence":"LOW","action":"BLOCKED"}]}}}}}})"));
  CHECK(r.ex.guardrail.intervened);
  CHECK(r.ex.guardrail.action == "INTERVENED");
  REQUIRE(r.ex.guardrail.blocks.size() == 1);
  CHECK(r.ex.guardrail.blocks[0].detected);

  Rec none(record("InvokeModel", "anthropic.claude-3", R"({"messages":[]})", R"({"content":[],"amazon-bedrock-guardrailAction":"NONE"})"));
  CHECK(none.ex.guardrail.present);
  CHECK_FALSE(none.ex.guardrail.intervened);

  Rec s(record("InvokeModelWithResponseStream", "anthropic.claude-3", R"({"messages":[]})",
               R"([{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"},"amazon-bedrock-guardrailAction":"INTERVENED"}])"));
  CHECK(s.ex.guardrail.intervened);
}

TEST_CASE("offloaded bodies are reported as unresolved S3 references", "[content][extract]") {
  Rec r(R"({"operation":"InvokeModel","input":{"inputBodyS3Path":"s3://bkt/pre/AWSLogs/111111111111/BedrockModelInvocationLogs/us-east-1/2025/01/09/18/data/r-1_input.json.gz","inputTokenCount":9000},
           "output":{"outputBodyS3Path":"s3://bkt/pre/AWSLogs/111111111111/BedrockModelInvocationLogs/us-east-1/2025/01/09/18/data/r-1_output.json.gz"}})");
  REQUIRE(r.ex.s3_refs.size() == 2);
  CHECK(r.ex.s3_refs[0].side == Side::kInput);
  CHECK(r.ex.s3_refs[1].side == Side::kOutput);
  CHECK_FALSE(r.ex.s3_refs[0].resolved);
  CHECK(s3_key_suffix(r.ex.s3_refs[0].uri) ==
        "AWSLogs/111111111111/BedrockModelInvocationLogs/us-east-1/2025/01/09/18/data/r-1_input.json.gz");
}

TEST_CASE("S3 references resolve against an exported folder", "[content][extract]") {
  std::filesystem::path root = std::filesystem::path(AIIR_TEST_DATA) / "content" / "export";
  std::vector<std::filesystem::path> roots{root};
  std::string uri = "s3://other-bucket/prefix/AWSLogs/111111111111/BedrockModelInvocationLogs/us-east-1/2025/01/09/18/data/r-1_input.json";
  auto found = resolve_s3_reference(uri, roots);
  REQUIRE(found.has_value());
  auto body = read_s3_object(*found);
  REQUIRE(body.has_value());
  CHECK(body->find("offloaded prompt") != std::string::npos);
  S3ObjectIndex index(roots);
  CHECK(index.find(uri) == found);
  CHECK_FALSE(index.find("s3://b/AWSLogs/missing.json").has_value());
  CHECK_FALSE(resolve_s3_reference("s3://b/no-awslogs/key", roots).has_value());
}

TEST_CASE("extracted text is capped per record", "[content][extract]") {
  std::string big(3000, 'a');
  std::string json = record("InvokeModel", "m", "{\"prompt\":\"" + big + "\"}", "{\"completion\":\"" + big + "\"}");
  simdjson::dom::parser p;
  auto e = p.parse(json).value();
  Extraction ex;
  ExtractOptions o;
  o.max_text_bytes = 4000;
  extract_invocation(e, ex, o);
  CHECK(ex.truncated);
  CHECK(ex.text_bytes == 4000);
  REQUIRE(ex.pieces.size() == 2);
  CHECK(ex.pieces[1].text.size() == 1000);
}

TEST_CASE("malformed records yield nothing and do not crash", "[content][extract]") {
  for (std::string_view json : {R"([])", R"("str")", R"({"input":5,"output":"x"})",
                                R"({"input":{"inputBodyJson":{"messages":"notarray","system":7}},"output":{"outputBodyJson":[1,2,"x"]}})",
                                R"({"output":{"outputBodyJson":{"content":[{"type":"text","text":5}]}}})"}) {
    Rec r(json);
    CHECK(r.ex.pieces.empty());
  }
}
