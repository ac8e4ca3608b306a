// SPDX-License-Identifier: Apache-2.0
// Text extraction from invocation-record bodies (formats.md §4.5, §4.6).
#include "content/extract.h"

#include <aiir/error.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <system_error>

#include "source/zip.h"

namespace aiir::content {

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::kSystem: return "system";
    case Role::kUser: return "user";
    case Role::kAssistant: return "assistant";
    case Role::kTool: return "tool";
    case Role::kDocument: return "document";
  }
  return "user";
}

std::string_view to_string(Side side) noexcept {
  return side == Side::kInput ? "input" : "output";
}

void Extraction::clear() noexcept {
  operation = {};
  model_id = {};
  pieces.clear();
  attachments.clear();
  s3_refs.clear();
  guardrail.present = false;
  guardrail.intervened = false;
  guardrail.action = {};
  guardrail.stop_reason = {};
  guardrail.blocks.clear();
  guardrail.model_output.clear();
  text_bytes = 0;
  truncated = false;
  vectors = 0;
  images_out = 0;
  used_fallback = false;
  for (std::size_t i = 0; i < owned_used_ && i < owned_.size(); ++i) owned_[i].clear();
  owned_used_ = 0;
}

std::string& Extraction::own() {
  // A deque keeps references stable as it grows; strings keep their capacity
  // across records.
  if (owned_used_ == owned_.size()) owned_.emplace_back();
  return owned_[owned_used_++];
}

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;
using simdjson::SUCCESS;

constexpr int kMaxDepth = 24;

bool as_string(const element& e, std::string_view& out) {
  return e.get_string().get(out) == SUCCESS;
}

Role parse_role(std::string_view r, Role fallback) {
  auto eq = [&](std::string_view want) {
    if (r.size() != want.size()) return false;
    for (std::size_t i = 0; i < r.size(); ++i) {
      char c = r[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != want[i]) return false;
    }
    return true;
  };
  if (eq("user") || eq("human")) return Role::kUser;
  if (eq("assistant") || eq("chatbot") || eq("model") || eq("ai")) return Role::kAssistant;
  if (eq("system") || eq("developer")) return Role::kSystem;
  if (eq("tool") || eq("function") || eq("ipython")) return Role::kTool;
  return fallback;
}

// Cuts at a UTF-8 boundary at or below n.
std::string_view utf8_prefix(std::string_view s, std::size_t n) {
  if (n >= s.size()) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

class Extractor {
 public:
  Extractor(Extraction& out, const ExtractOptions& opt) : out_(out), opt_(opt) {}

  /// A body alone, on `side` (offloaded bodies).
  void offloaded(const element& b, Side side) {
    side_ = side;
    body(b);
  }

  void record(const element& rec) {
    object obj;
    if (rec.get_object().get(obj) != SUCCESS) return;
    element input, output;
    bool has_in = false, has_out = false;
    for (auto field : obj) {
      std::string_view k = field.key;
      if (k == "operation") as_string(field.value, out_.operation);
      else if (k == "modelId") as_string(field.value, out_.model_id);
      else if (k == "input") { input = field.value; has_in = true; }
      else if (k == "output") { output = field.value; has_out = true; }
    }
    // Input first so pieces come in request-then-response order.
    if (has_in) side_object(input, Side::kInput);
    if (has_out) side_object(output, Side::kOutput);
  }

 private:
  Extraction& out_;
  const ExtractOptions& opt_;
  Side side_ = Side::kInput;

  void add(Role role, std::string_view text, std::string_view path, bool from_attachment = false) {
    if (text.empty()) return;
    std::size_t room = opt_.max_text_bytes > out_.text_bytes ? opt_.max_text_bytes - out_.text_bytes : 0;
    if (text.size() > room) {
      out_.truncated = true;
      text = utf8_prefix(text, room);
      if (text.empty()) return;
    }
    out_.pieces.push_back(TextPiece{role, side_, from_attachment, text, path});
    out_.text_bytes += text.size();
  }

  // The role of text that comes with a document or image of a message: the
  // message's role (a user turn's documents are user text).
  static Role text_role(Role context) {
    return context == Role::kDocument ? Role::kUser : context;
  }

  void s3_ref(std::string_view uri, std::string_view path) {
    if (uri.empty()) return;
    out_.s3_refs.push_back(S3Reference{uri, side_, path, false});
  }

  // `input` / `output` wrapper: the body plus offload paths.
  void side_object(const element& e, Side side) {
    side_ = side;
    object obj;
    if (e.get_object().get(obj) != SUCCESS) return;
    for (auto field : obj) {
      std::string_view k = field.key;
      if (k == "inputBodyJson" || k == "outputBodyJson") {
        body(field.value);
      } else if (k == "inputBodyS3Path" || k == "outputBodyS3Path") {
        std::string_view uri;
        if (as_string(field.value, uri)) s3_ref(uri, side == Side::kInput ? "input.inputBodyS3Path" : "output.outputBodyS3Path");
      }
    }
  }

  void body(const element& e) {
    switch (e.type()) {
      case simdjson::dom::element_type::OBJECT: {
        object obj;
        if (e.get_object().get(obj) != SUCCESS) return;
        bool known = side_ == Side::kInput ? input_body(obj) : output_body(obj);
        if (!known) {
          out_.used_fallback = true;
          generic(e, side_ == Side::kInput ? Role::kUser : Role::kAssistant, 0);
        }
        break;
      }
      case simdjson::dom::element_type::ARRAY:
        if (side_ == Side::kOutput) stream(e);
        else generic(e, Role::kUser, 0);
        break;
      case simdjson::dom::element_type::STRING: {
        std::string_view s;
        as_string(e, s);
        add(side_ == Side::kInput ? Role::kUser : Role::kAssistant, s, "body");
        break;
      }
      default:
        break;
    }
  }

  // ---- input bodies ------------------------------------------------------

  bool input_body(const object& obj) {
    bool known = false;
    for (auto field : obj) {
      std::string_view k = field.key;
      const element& v = field.value;
      std::string_view s;
      if (k == "system") {
        known = true;
        if (as_string(v, s)) add(Role::kSystem, s, "system");
        else blocks(v, Role::kSystem, "system[]", 0);
      } else if (k == "messages") {
        known = true;
        messages(v, "messages[]");
      } else if (k == "prompt") {
        known = true;
        if (as_string(v, s)) add(Role::kUser, s, "prompt");
        else generic(v, Role::kUser, 1);
      } else if (k == "inputText") {
        known = true;
        if (as_string(v, s)) add(Role::kUser, s, "inputText");
      } else if (k == "texts") {
        known = true;
        strings(v, Role::kUser, "texts[]", 0);
      } else if (k == "message") {
        known = true;
        if (as_string(v, s)) add(Role::kUser, s, "message");
      } else if (k == "chat_history") {
        known = true;
        messages(v, "chat_history[]");
      } else if (k == "textToImageParams" || k == "imageVariationParams" || k == "inPaintingParams" ||
                 k == "outPaintingParams" || k == "colorGuidedGenerationParams") {
        known = true;
        image_params(v);
      } else if (k == "text_prompts") {
        known = true;
        array arr;
        if (v.get_array().get(arr) == SUCCESS) {
          for (auto item : arr) {
            element t;
            if (item["text"].get(t) == SUCCESS && as_string(t, s)) add(Role::kUser, s, "text_prompts[].text");
          }
        }
      } else if (k == "documents") {
        known = true;
        strings(v, Role::kDocument, "documents[]", 0);
      } else if (k == "tools") {
        tool_descriptions(v, "tools[].description");
      } else if (k == "toolConfig") {
        element tools;
        if (v["tools"].get(tools) == SUCCESS) tool_descriptions(tools, "toolConfig.tools[].toolSpec.description");
      } else if (k == "anthropic_version" || k == "max_tokens" || k == "inferenceConfig" ||
                 k == "schemaVersion" || k == "taskType") {
        known = true;  // structural keys of a known family without text
      }
    }
    return known;
  }

  void tool_descriptions(const element& v, std::string_view path) {
    array arr;
    if (v.get_array().get(arr) != SUCCESS) return;
    for (auto tool : arr) {
      element spec = tool;
      element inner;
      if (tool["toolSpec"].get(inner) == SUCCESS) spec = inner;
      else if (tool["function"].get(inner) == SUCCESS) spec = inner;
      element d;
      std::string_view s;
      if (spec["description"].get(d) == SUCCESS && as_string(d, s)) add(Role::kTool, s, path);
    }
  }

  void image_params(const element& v) {
    object obj;
    if (v.get_object().get(obj) != SUCCESS) return;
    for (auto field : obj) {
      std::string_view s;
      if ((field.key == "text" || field.key == "negativeText" || field.key == "maskPrompt") &&
          as_string(field.value, s)) {
        add(Role::kUser, s, "imageParams.text");
      }
    }
  }

  void messages(const element& v, std::string_view path) {
    array arr;
    if (v.get_array().get(arr) != SUCCESS) return;
    for (auto m : arr) message(m, Role::kUser, path);
  }

  void message(const element& m, Role fallback, std::string_view path) {
    object obj;
    std::string_view s;
    if (as_string(m, s)) {  // bare strings in hand-made fixtures
      add(fallback, s, path);
      return;
    }
    if (m.get_object().get(obj) != SUCCESS) return;
    Role role = fallback;
    element content, tool_calls, msg, reasoning;
    bool has_content = false, has_calls = false, has_msg = false, has_reasoning = false;
    for (auto field : obj) {
      std::string_view k = field.key;
      if (k == "role") {
        std::string_view r;
        if (as_string(field.value, r)) role = parse_role(r, fallback);
      } else if (k == "content") { content = field.value; has_content = true; }
      else if (k == "tool_calls") { tool_calls = field.value; has_calls = true; }
      else if (k == "message") { msg = field.value; has_msg = true; }
      else if (k == "reasoning_content") { reasoning = field.value; has_reasoning = true; }
    }
    if (has_content) {
      if (as_string(content, s)) add(role, s, "messages[].content");
      else blocks(content, role, "messages[].content[]", 0);
    }
    if (has_msg && as_string(msg, s)) add(role, s, "chat_history[].message");
    if (has_reasoning && as_string(reasoning, s)) add(Role::kAssistant, s, "choices[].message.reasoning_content");
    if (has_calls) strings(tool_calls, Role::kTool, "tool_calls[]", 0);
  }

  // A list of content blocks (Anthropic, Converse, Nova, OpenAI) or one block.
  void blocks(const element& v, Role role, std::string_view path, int depth) {
    if (depth > kMaxDepth) return;
    array arr;
    if (v.get_array().get(arr) == SUCCESS) {
      for (auto b : arr) block(b, role, path, depth + 1);
      return;
    }
    block(v, role, path, depth + 1);
  }

  void block(const element& b, Role role, std::string_view path, int depth) {
    std::string_view s;
    if (as_string(b, s)) {
      add(role, s, path);
      return;
    }
    object obj;
    if (b.get_object().get(obj) != SUCCESS) return;
    std::string_view type;
    element text, thinking, input, content, source, tool_use, tool_result, image, document, video,
        guard, reasoning, json;
    unsigned has = 0;
    enum : unsigned {
      kText = 1, kThinking = 2, kInput = 4, kContent = 8, kSource = 16, kToolUse = 32,
      kToolResult = 64, kImage = 128, kDocument = 256, kVideo = 512, kGuard = 1024,
      kReasoning = 2048, kJson = 4096
    };
    std::string_view name, format;
    for (auto field : obj) {
      std::string_view k = field.key;
      const element& fv = field.value;
      if (k == "type") as_string(fv, type);
      else if (k == "text") { text = fv; has |= kText; }
      else if (k == "thinking") { thinking = fv; has |= kThinking; }
      else if (k == "input") { input = fv; has |= kInput; }
      else if (k == "content") { content = fv; has |= kContent; }
      else if (k == "source") { source = fv; has |= kSource; }
      else if (k == "toolUse") { tool_use = fv; has |= kToolUse; }
      else if (k == "toolResult") { tool_result = fv; has |= kToolResult; }
      else if (k == "image") { image = fv; has |= kImage; }
      else if (k == "document") { document = fv; has |= kDocument; }
      else if (k == "video") { video = fv; has |= kVideo; }
      else if (k == "guardContent") { guard = fv; has |= kGuard; }
      else if (k == "reasoningContent") { reasoning = fv; has |= kReasoning; }
      else if (k == "json") { json = fv; has |= kJson; }
      else if (k == "name") as_string(fv, name);
      else if (k == "format") as_string(fv, format);
    }
    if (has & kText) {
      if (as_string(text, s)) add(role, s, path);
      else if (depth < kMaxDepth) block(text, role, path, depth + 1);  // {"text":{"text":...}}
    }
    if ((has & kThinking) && as_string(thinking, s)) add(Role::kAssistant, s, "content[].thinking");
    if (has & kInput) strings(input, Role::kTool, "content[].tool_use.input", depth);
    if (has & kContent) {
      // Anthropic tool_result / nested content.
      Role r = type == "tool_result" ? Role::kTool : role;
      if (as_string(content, s)) add(r, s, "content[].tool_result.content");
      else blocks(content, r, "content[].tool_result.content[]", depth);
    }
    if (has & kSource) {
      // Anthropic image/document block: {type, source:{type, media_type, data}}
      attachment(source, type == "image" ? "image" : "document", {}, name, role, depth);
    }
    if (has & kToolUse) {
      element in;
      if (tool_use["input"].get(in) == SUCCESS) strings(in, Role::kTool, "content[].toolUse.input", depth);
    }
    if (has & kToolResult) {
      element c;
      if (tool_result["content"].get(c) == SUCCESS) blocks(c, Role::kTool, "content[].toolResult.content[]", depth);
    }
    if (has & kImage) converse_media(image, "image", role, depth);
    if (has & kDocument) converse_media(document, "document", role, depth);
    if (has & kVideo) converse_media(video, "video", role, depth);
    if (has & kGuard) guard_content(guard);
    if (has & kReasoning) {
      element rt, t;
      if (reasoning["reasoningText"].get(rt) == SUCCESS && rt["text"].get(t) == SUCCESS && as_string(t, s))
        add(Role::kAssistant, s, "content[].reasoningContent.reasoningText.text");
    }
    if (has & kJson) strings(json, Role::kTool, "content[].json", depth);
  }

  void guard_content(const element& g) {
    element t;
    if (g["text"].get(t) != SUCCESS) return;
    std::string_view s;
    element inner;
    if (t["text"].get(inner) != SUCCESS || !as_string(inner, s)) return;
    Role role = Role::kUser;
    element q;
    array quals;
    if (t["qualifiers"].get(q) == SUCCESS && q.get_array().get(quals) == SUCCESS) {
      for (auto qe : quals) {
        std::string_view qs;
        if (as_string(qe, qs) && qs == "grounding_source") role = Role::kDocument;
      }
    }
    add(role, s, "content[].guardContent.text.text");
  }

  // Converse {format, name, source:{bytes | s3Location:{uri} | s3Uri | text}}.
  void converse_media(const element& m, std::string_view kind, Role role, int depth) {
    object obj;
    if (m.get_object().get(obj) != SUCCESS) return;
    std::string_view format, name;
    element source;
    bool has_source = false;
    for (auto field : obj) {
      if (field.key == "format") as_string(field.value, format);
      else if (field.key == "name") as_string(field.value, name);
      else if (field.key == "source") { source = field.value; has_source = true; }
    }
    // The name reaches the model with the document (the Converse API warns
    // that the model may read it as instructions): attacker-controlled text
    // of the message, scanned like its text.
    if (kind == "document") add(text_role(role), name, kDocumentNamePath, true);
    if (has_source) attachment(source, kind, format, name, role, depth);
  }

  void attachment(const element& source, std::string_view kind, std::string_view format,
                  std::string_view name, Role role, int depth) {
    object obj;
    if (source.get_object().get(obj) != SUCCESS) return;
    AttachmentRef ref;
    ref.side = side_;
    ref.role = role == Role::kSystem ? Role::kSystem : Role::kDocument;
    ref.kind = kind;
    ref.declared_format = format;
    ref.name = name;
    ref.text_role = text_role(role);
    std::string_view src_type;
    for (auto field : obj) {
      std::string_view k = field.key;
      std::string_view s;
      if (k == "bytes" || k == "data") {
        if (as_string(field.value, s)) {
          // Anthropic `source.type: "text"` documents carry plain text in data.
          ref.base64 = s;
        }
      } else if (k == "s3Uri") {
        as_string(field.value, ref.s3_uri);
      } else if (k == "s3Location") {
        element u;
        if (field.value["uri"].get(u) == SUCCESS) as_string(u, ref.s3_uri);
      } else if (k == "media_type") {
        as_string(field.value, ref.declared_format);
      } else if (k == "type") {
        as_string(field.value, src_type);
      } else if (k == "text") {
        if (as_string(field.value, s)) add(Role::kDocument, s, "content[].document.source.text");
      } else if (k == "content" && depth < kMaxDepth) {
        blocks(field.value, Role::kDocument, "content[].document.source.content[]", depth + 1);
      }
    }
    if (src_type == "text" && !ref.base64.empty()) {
      add(Role::kDocument, ref.base64, "content[].source.data");
      ref.base64 = {};
      return;
    }
    if (ref.base64.empty() && ref.s3_uri.empty()) return;
    ref.source_path = ref.s3_uri.empty() ? std::string_view("content[].source.bytes") : std::string_view("content[].source.s3Uri");
    if (!ref.s3_uri.empty()) s3_ref(ref.s3_uri, "content[].source.s3Uri");
    ref.piece_index = static_cast<std::uint32_t>(out_.pieces.size());
    out_.attachments.push_back(ref);
  }

  // Every string leaf under v (tool inputs, tool results in JSON form).
  void strings(const element& v, Role role, std::string_view path, int depth) {
    if (depth > kMaxDepth) return;
    switch (v.type()) {
      case simdjson::dom::element_type::STRING: {
        std::string_view s;
        as_string(v, s);
        add(role, s, path);
        break;
      }
      case simdjson::dom::element_type::ARRAY: {
        array arr;
        if (v.get_array().get(arr) == SUCCESS)
          for (auto item : arr) strings(item, role, path, depth + 1);
        break;
      }
      case simdjson::dom::element_type::OBJECT: {
        object obj;
        if (v.get_object().get(obj) == SUCCESS)
          for (auto field : obj) strings(field.value, role, path, depth + 1);
        break;
      }
      default:
        break;
    }
  }

  // ---- output bodies -----------------------------------------------------

  bool output_body(const object& obj) {
    bool known = false;
    for (auto field : obj) {
      std::string_view k = field.key;
      const element& v = field.value;
      std::string_view s;
      if (k == "content") {
        known = true;
        if (as_string(v, s)) add(Role::kAssistant, s, "content");
        else blocks(v, Role::kAssistant, "content[]", 0);
      } else if (k == "output") {
        known = true;
        element msg;
        if (v["message"].get(msg) == SUCCESS) message(msg, Role::kAssistant, "output.message");
      } else if (k == "completion") {
        known = true;
        if (as_string(v, s)) add(Role::kAssistant, s, "completion");
      } else if (k == "generation") {
        known = true;
        if (as_string(v, s)) add(Role::kAssistant, s, "generation");
      } else if (k == "outputText") {
        known = true;
        if (as_string(v, s)) add(Role::kAssistant, s, "outputText");
      } else if (k == "text") {
        known = true;
        if (as_string(v, s)) add(Role::kAssistant, s, "text");
      } else if (k == "outputs" || k == "generations" || k == "results" || k == "completions" || k == "choices") {
        known = true;
        list_output(v);
      } else if (k == "embedding" || k == "embeddings" || k == "embeddingsByType") {
        known = true;
        count_vectors(v);
      } else if (k == "images" || k == "artifacts") {
        known = true;
        array arr;
        if (v.get_array().get(arr) == SUCCESS) out_.images_out += arr.size();
      } else if (k == "stopReason" || k == "stop_reason") {
        known = true;
        if (as_string(v, s)) stop_reason(s);
      } else if (k == "amazon-bedrock-guardrailAction") {
        known = true;
        if (as_string(v, s)) guardrail_action(s);
      } else if (k == "amazon-bedrock-trace" || k == "trace") {
        known = true;
        element g;
        if (v["guardrail"].get(g) == SUCCESS) guardrail_trace(g);
      } else if (k == "texts" || k == "id" || k == "usage" || k == "inputTextTokenCount") {
        known = true;  // Cohere embed echoes the input texts: not response text
      }
    }
    return known;
  }

  void stop_reason(std::string_view s) {
    out_.guardrail.stop_reason = s;
    if (s == "guardrail_intervened") {
      out_.guardrail.present = true;
      out_.guardrail.intervened = true;
    }
  }

  void guardrail_action(std::string_view s) {
    out_.guardrail.present = true;
    out_.guardrail.action = s;
    if (s == "INTERVENED") out_.guardrail.intervened = true;
  }

  void count_vectors(const element& v) {
    array arr;
    if (v.get_array().get(arr) == SUCCESS) {
      if (arr.size() == 0) return;
      element first = *arr.begin();
      if (first.type() == simdjson::dom::element_type::ARRAY) out_.vectors += arr.size();
      else out_.vectors += 1;
      return;
    }
    object obj;  // embeddingsByType: {"float":[...], "int8":[...]}
    if (v.get_object().get(obj) == SUCCESS)
      for (auto field : obj) count_vectors(field.value);
  }

  // [{text}|{outputText}|{message:{content}}|{data:{text}}|{delta:{content}}]
  void list_output(const element& v) {
    array arr;
    if (v.get_array().get(arr) != SUCCESS) return;
    for (auto item : arr) {
      object obj;
      if (item.get_object().get(obj) != SUCCESS) continue;
      for (auto field : obj) {
        std::string_view k = field.key;
        std::string_view s;
        if (k == "text" || k == "outputText") {
          if (as_string(field.value, s)) add(Role::kAssistant, s, "outputs[].text");
        } else if (k == "message" || k == "delta") {
          message(field.value, Role::kAssistant, "choices[].message");
        } else if (k == "data") {
          element t;
          if (field.value["text"].get(t) == SUCCESS && as_string(t, s)) add(Role::kAssistant, s, "completions[].data.text");
        } else if (k == "stop_reason" || k == "finish_reason" || k == "completionReason") {
          if (as_string(field.value, s)) stop_reason(s);
        }
      }
    }
  }

  // ---- streams -------------------------------------------------------------

  struct StreamBuf {
    std::int64_t index;
    Role role;
    std::string* text;
    std::string_view path;
  };

  std::string& stream_buf(std::vector<StreamBuf>& bufs, std::int64_t index, Role role, std::string_view path) {
    for (auto& b : bufs)
      if (b.index == index && b.role == role) return *b.text;
    bufs.push_back(StreamBuf{index, role, &out_.own(), path});
    return *bufs.back().text;
  }

  void append_capped(std::string& buf, std::string_view s) {
    if (buf.size() + s.size() > opt_.max_text_bytes) {
      out_.truncated = true;
      s = s.substr(0, opt_.max_text_bytes > buf.size() ? opt_.max_text_bytes - buf.size() : 0);
    }
    buf.append(s);
  }

  void stream(const element& v) {
    array arr;
    if (v.get_array().get(arr) != SUCCESS) return;
    std::vector<StreamBuf> bufs;
    for (auto chunk : arr) {
      object obj;
      if (chunk.get_object().get(obj) != SUCCESS) continue;  // "[DONE]" and other non-objects
      std::string_view type;
      std::int64_t index = 0;
      element delta, block;
      bool has_delta = false, has_block = false;
      for (auto field : obj) {
        std::string_view k = field.key;
        const element& fv = field.value;
        std::string_view s;
        if (k == "type") as_string(fv, type);
        else if (k == "index") { if (fv.get_int64().get(index) != SUCCESS) index = 0; }
        else if (k == "delta") { delta = fv; has_delta = true; }
        else if (k == "content_block") { block = fv; has_block = true; }
        else if (k == "amazon-bedrock-guardrailAction") { if (as_string(fv, s)) guardrail_action(s); }
        else if (k == "amazon-bedrock-trace") {
          element g;
          if (fv["guardrail"].get(g) == SUCCESS) guardrail_trace(g);
        }
        // Non-Anthropic stream chunks: one running buffer.
        else if (k == "outputText" || k == "generation" || k == "completion" || k == "text") {
          if (as_string(fv, s)) append_capped(stream_buf(bufs, -1, Role::kAssistant, "stream[].text"), s);
        } else if (k == "outputs" || k == "choices" || k == "generations") {
          array items;
          if (fv.get_array().get(items) != SUCCESS) continue;
          for (auto it : items) {
            element t, d;
            if (it["text"].get(t) == SUCCESS && as_string(t, s))
              append_capped(stream_buf(bufs, -1, Role::kAssistant, "stream[].text"), s);
            else if (it["delta"].get(d) == SUCCESS && d["content"].get(t) == SUCCESS && as_string(t, s))
              append_capped(stream_buf(bufs, -1, Role::kAssistant, "stream[].text"), s);
          }
        } else if (k == "contentBlockDelta") {
          element d, t;
          if (fv["delta"].get(d) == SUCCESS && d["text"].get(t) == SUCCESS && as_string(t, s))
            append_capped(stream_buf(bufs, -1, Role::kAssistant, "stream[].contentBlockDelta.delta.text"), s);
        }
      }
      if (has_block) {
        std::string_view s;
        element t;
        if (block["text"].get(t) == SUCCESS && as_string(t, s))
          append_capped(stream_buf(bufs, index, Role::kAssistant, "stream[].delta.text"), s);
      }
      if (has_delta) {
        object d;
        if (delta.get_object().get(d) != SUCCESS) continue;
        for (auto field : d) {
          std::string_view s;
          if (!as_string(field.value, s)) continue;
          if (field.key == "text") append_capped(stream_buf(bufs, index, Role::kAssistant, "stream[].delta.text"), s);
          else if (field.key == "partial_json") append_capped(stream_buf(bufs, index, Role::kTool, "stream[].delta.partial_json"), s);
          else if (field.key == "thinking") append_capped(stream_buf(bufs, index, Role::kAssistant, "stream[].delta.thinking"), s);
          else if (field.key == "stop_reason" && type == "message_delta") stop_reason(s);
        }
      }
    }
    std::stable_sort(bufs.begin(), bufs.end(), [](const StreamBuf& a, const StreamBuf& b) { return a.index < b.index; });
    for (const auto& b : bufs) add(b.role, *b.text, b.path);
  }

  // ---- guardrail traces ----------------------------------------------------

  void guardrail_trace(const element& g) {
    object obj;
    if (g.get_object().get(obj) != SUCCESS) return;
    out_.guardrail.present = true;
    for (auto field : obj) {
      std::string_view k = field.key;
      if (k == "inputAssessment" || k == "input") {
        assessment_map(field.value, Side::kInput);
      } else if (k == "outputAssessments" || k == "outputs") {
        array arr;
        if (field.value.get_array().get(arr) == SUCCESS)
          for (auto m : arr) assessment_map(m, Side::kOutput);
        else
          assessment_map(field.value, Side::kOutput);
      } else if (k == "modelOutput") {
        array arr;
        if (field.value.get_array().get(arr) != SUCCESS) continue;
        Side saved = side_;
        side_ = Side::kOutput;
        for (auto item : arr) {
          std::string_view s;
          if (as_string(item, s)) {
            out_.guardrail.model_output.push_back(s);
            add(Role::kAssistant, s, "trace.guardrail.modelOutput[]");
          }
        }
        side_ = saved;
      }
    }
  }

  void assessment_map(const element& m, Side side) {
    object obj;
    if (m.get_object().get(obj) != SUCCESS) return;
    for (auto field : obj) {
      object policies;
      if (field.value.get_object().get(policies) != SUCCESS) continue;
      for (auto p : policies) policy(p.key, p.value, side, field.key);
    }
  }

  void policy_list(const element& v, Side side, std::string_view id, std::string_view policy_name) {
    array arr;
    if (v.get_array().get(arr) != SUCCESS) return;
    for (auto item : arr) {
      object obj;
      if (item.get_object().get(obj) != SUCCESS) continue;
      GuardrailBlock b;
      b.side = side;
      b.guardrail_id = id;
      b.policy = policy_name;
      std::string_view name;
      bool has_detected = false;
      for (auto field : obj) {
        std::string_view k = field.key;
        if (k == "type") as_string(field.value, b.type);
        else if (k == "name") as_string(field.value, name);
        else if (k == "action") as_string(field.value, b.action);
        else if (k == "confidence") as_string(field.value, b.confidence);
        else if (k == "match") as_string(field.value, b.match);
        else if (k == "score") { if (field.value.get_double().get(b.score) != SUCCESS) b.score = -1; }
        else if (k == "detected") { bool d = false; if (field.value.get_bool().get(d) == SUCCESS) { b.detected = d; has_detected = true; } }
      }
      // Topics and regexes are named; their `type` is DENY or absent.
      if (!name.empty() && (policy_name == "topic" || policy_name == "regex")) b.type = name;
      if (!has_detected) b.detected = !b.action.empty() && b.action != "NONE";
      out_.guardrail.blocks.push_back(b);
    }
  }

  void policy(std::string_view key, const element& v, Side side, std::string_view id) {
    element list;
    if (key == "topicPolicy") {
      if (v["topics"].get(list) == SUCCESS) policy_list(list, side, id, "topic");
    } else if (key == "contentPolicy") {
      if (v["filters"].get(list) == SUCCESS) policy_list(list, side, id, "content");
    } else if (key == "wordPolicy") {
      if (v["customWords"].get(list) == SUCCESS) policy_list(list, side, id, "word");
      if (v["managedWordLists"].get(list) == SUCCESS) policy_list(list, side, id, "managed_word");
    } else if (key == "sensitiveInformationPolicy") {
      if (v["piiEntities"].get(list) == SUCCESS) policy_list(list, side, id, "pii");
      if (v["regexes"].get(list) == SUCCESS) policy_list(list, side, id, "regex");
    } else if (key == "contextualGroundingPolicy") {
      if (v["filters"].get(list) == SUCCESS) policy_list(list, side, id, "grounding");
    }
  }

  // ---- generic fallback (formats.md §4.5 last paragraph) -------------------

  void generic(const element& v, Role role, int depth) {
    if (depth > kMaxDepth) return;
    if (v.type() == simdjson::dom::element_type::ARRAY) {
      array arr;
      if (v.get_array().get(arr) == SUCCESS)
        for (auto item : arr) generic(item, role, depth + 1);
      return;
    }
    object obj;
    if (v.get_object().get(obj) != SUCCESS) return;
    for (auto field : obj) {
      std::string_view k = field.key;
      std::string_view s;
      if (as_string(field.value, s)) {
        if (k == "system") add(Role::kSystem, s, "generic.system");
        else if (k == "text" || k == "prompt" || k == "inputText" || k == "content" || k == "message" ||
                 k == "generation" || k == "completion" || k == "outputText" || k == "partial_json" ||
                 k == "thinking")
          add(role, s, "generic.text");
      } else if (field.value.type() == simdjson::dom::element_type::OBJECT ||
                 field.value.type() == simdjson::dom::element_type::ARRAY) {
        if (k == "embedding" || k == "embeddings") continue;  // never walk vectors
        generic(field.value, role, depth + 1);
      }
    }
  }
};

}  // namespace

void extract_invocation(const simdjson::dom::element& record, Extraction& out, const ExtractOptions& options) {
  out.clear();
  Extractor ex(out, options);
  ex.record(record);
}

void extract_offloaded_body(const simdjson::dom::element& body, Side side, Extraction& out,
                            const ExtractOptions& options) {
  Extractor ex(out, options);
  ex.offloaded(body, side);
}

// ---- S3 references ---------------------------------------------------------

std::string_view s3_key_suffix(std::string_view uri) noexcept {
  std::size_t pos = uri.find("AWSLogs/");
  if (pos == std::string_view::npos) return {};
  return uri.substr(pos);
}

namespace {
/// Calls `on_file` for every regular file under `root` (or `root` itself) with
/// its key suffix from `AWSLogs/` (files without one are skipped in folders),
/// and `on_zip`, when given, for every file named `.zip`.
void index_root(const std::filesystem::path& root,
                const std::function<void(const std::filesystem::path&, std::string_view)>& on_file,
                const std::function<void(const std::filesystem::path&)>* on_zip = nullptr) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(root, ec)) {
    std::string p = root.generic_string();
    if (on_zip != nullptr && zip_file_name(p)) (*on_zip)(root);
    on_file(root, s3_key_suffix(p));
    return;
  }
  std::filesystem::recursive_directory_iterator it(root, std::filesystem::directory_options::skip_permission_denied, ec);
  if (ec) throw aiir::Error("cannot read " + root.string() + ": " + ec.message());
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    std::string p = it->path().generic_string();
    if (on_zip != nullptr && zip_file_name(p)) (*on_zip)(it->path());
    std::string_view suffix = s3_key_suffix(p);
    if (!suffix.empty()) on_file(it->path(), suffix);
  }
}
}  // namespace

S3ObjectIndex::S3ObjectIndex(std::span<const std::filesystem::path> roots) {
  // Zip archives are read in place by the pipeline: their members can hold
  // the exported objects too. An archive that cannot be listed is the
  // pipeline's warning; here it indexes nothing.
  const std::function<void(const std::filesystem::path&)> on_zip = [&](const std::filesystem::path& archive) {
    std::vector<ZipMember> members;
    std::string error;
    if (!list_zip(archive.string(), members, error)) return;
    for (ZipMember& m : members) {
      std::string key(s3_key_suffix(m.name));
      if (key.empty()) continue;
      InputFile f(archive.string() + std::string(kZipMemberSeparator) + m.name, m.size, false);
      f.archive = archive.string();
      f.member = std::move(m);
      in_zip_.emplace(std::move(key), std::move(f));
    }
  };
  for (const auto& root : roots) {
    index_root(
        root,
        [&](const std::filesystem::path& p, std::string_view suffix) {
          if (!suffix.empty()) by_suffix_.emplace(std::string(suffix), p);
        },
        &on_zip);
  }
}

const InputFile* S3ObjectIndex::find_in_zip(std::string_view uri) const {
  std::string_view suffix = s3_key_suffix(uri);
  if (suffix.empty() || in_zip_.empty()) return nullptr;
  auto it = in_zip_.find(std::string(suffix));
  return it == in_zip_.end() ? nullptr : &it->second;
}

std::optional<std::filesystem::path> S3ObjectIndex::find(std::string_view uri) const {
  std::string_view suffix = s3_key_suffix(uri);
  if (suffix.empty()) return std::nullopt;
  auto it = by_suffix_.find(std::string(suffix));
  if (it == by_suffix_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::filesystem::path> resolve_s3_reference(std::string_view uri,
                                                          std::span<const std::filesystem::path> search_roots) {
  std::string_view suffix = s3_key_suffix(uri);
  if (suffix.empty()) return std::nullopt;
  std::optional<std::filesystem::path> found;
  for (const auto& root : search_roots) {
    try {
      index_root(root, [&](const std::filesystem::path& p, std::string_view s) {
        if (!found && s == suffix) found = p;
      });
    } catch (const aiir::Error&) {
      continue;  // an unreadable root resolves nothing
    }
    if (found) break;
  }
  return found;
}

bool read_s3_object_prefix(const std::filesystem::path& path, std::size_t max_bytes, std::string& out,
                           std::uint64_t& size) {
  out.clear();
  size = 0;
  std::error_code ec;
  const std::uintmax_t n = std::filesystem::file_size(path, ec);
  if (ec) return false;
  size = n;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.resize(static_cast<std::size_t>(std::min<std::uintmax_t>(n, max_bytes)));
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  if (out.size() < std::min<std::uintmax_t>(n, max_bytes)) size = out.size();  // shrank while read: what was read
  return true;
}

std::optional<std::string> read_s3_object(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data;
  data.resize(max_bytes);
  in.read(data.data(), static_cast<std::streamsize>(max_bytes));
  data.resize(static_cast<std::size_t>(in.gcount()));
  return data;
}

}  // namespace aiir::content
