// SPDX-License-Identifier: Apache-2.0
#include "analyzers/tool_calls.h"

#include <algorithm>

#include "analyzers/common.h"

namespace aiir::detail {
namespace {

namespace dom = simdjson::dom;
using content::Role;
using content::Side;
using content::TextPiece;

bool get_str(const dom::element& e, std::string_view key, std::string_view& out) {
  return e[key].get_string().get(out) == simdjson::SUCCESS;
}

void push(std::vector<std::string_view>& names, std::string_view name, std::size_t cap) {
  if (names.size() < cap && !name.empty()) names.push_back(name.substr(0, 128));
}

/// `<tool_name>X</tool_name>` in a Bedrock Agents orchestration completion.
void agent_xml(std::string_view text, std::vector<std::string_view>& names, std::size_t cap) {
  constexpr std::string_view kOpen = "<tool_name>", kClose = "</tool_name>";
  for (std::size_t at = text.find(kOpen); at != std::string_view::npos && names.size() < cap;
       at = text.find(kOpen, at + 1)) {
    const std::size_t from = at + kOpen.size();
    const std::size_t to = text.find(kClose, from);
    if (to == std::string_view::npos || to - from > 128) continue;
    push(names, text.substr(from, to - from), cap);
  }
}

bool is_call_path(std::string_view path) noexcept {
  return path.find("toolUse") != std::string_view::npos || path.find("tool_use") != std::string_view::npos ||
         path.find("tool_calls") != std::string_view::npos;
}

bool email_local(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-';
}
bool email_domain(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/// Anthropic content blocks: {type:"tool_use", name, ...}, and the text
/// blocks of a Bedrock Agents orchestration answer.
void anthropic_blocks(const dom::element& content, std::vector<std::string_view>& names, std::size_t cap) {
  dom::array blocks;
  if (content.get_array().get(blocks) != simdjson::SUCCESS) return;
  for (dom::element b : blocks) {
    std::string_view type, name, text;
    if (get_str(b, "type", type) && type == "tool_use" && get_str(b, "name", name)) push(names, name, cap);
    else if (get_str(b, "text", text)) agent_xml(text, names, cap);
  }
}

/// Text an outside source put in the request: tool results and retrieved
/// documents (not tool descriptions, not the model's own earlier calls).
bool retrieved(const TextPiece& p) noexcept {
  return p.side == Side::kInput && !p.from_attachment && (p.role == Role::kTool || p.role == Role::kDocument) &&
         p.source_path.find("description") == std::string_view::npos && !is_call_path(p.source_path);
}

/// Text the user typed or the application wrote: user turns, the system
/// prompt, the tool descriptions the application declared.
bool trusted(const TextPiece& p) noexcept {
  if (p.side != Side::kInput || p.from_attachment) return false;
  if (p.role == Role::kUser || p.role == Role::kSystem) return true;
  return p.role == Role::kTool && p.source_path.find("description") != std::string_view::npos;
}

}  // namespace

void response_tool_calls(const dom::element& record, std::vector<std::string_view>& names, std::size_t cap) {
  dom::element body;
  if (record["output"]["outputBodyJson"].get(body) != simdjson::SUCCESS) return;
  dom::array chunks;
  if (body.get_array().get(chunks) == simdjson::SUCCESS) {
    // Streamed (InvokeModelWithResponseStream): content_block_start chunks.
    for (dom::element c : chunks) {
      dom::element block;
      std::string_view type, name;
      if (c["content_block"].get(block) == simdjson::SUCCESS && get_str(block, "type", type) && type == "tool_use" &&
          get_str(block, "name", name))
        push(names, name, cap);
    }
    return;
  }
  dom::element e;
  // Converse (and Nova): output.message.content[].toolUse.name
  if (body["output"]["message"]["content"].get(e) == simdjson::SUCCESS) {
    dom::array blocks;
    if (e.get_array().get(blocks) == simdjson::SUCCESS) {
      for (dom::element b : blocks) {
        std::string_view name;
        dom::element use;
        if (b["toolUse"].get(use) == simdjson::SUCCESS && get_str(use, "name", name)) push(names, name, cap);
      }
    }
  }
  // Anthropic Messages: content[] blocks of type tool_use (and agents' XML in text blocks).
  if (body["content"].get(e) == simdjson::SUCCESS) anthropic_blocks(e, names, cap);
  // OpenAI-style chat completions: choices[].message.tool_calls[].function.name
  dom::array choices;
  if (body["choices"].get_array().get(choices) == simdjson::SUCCESS) {
    for (dom::element c : choices) {
      dom::array calls;
      if (c["message"]["tool_calls"].get_array().get(calls) != simdjson::SUCCESS) continue;
      for (dom::element call : calls) {
        std::string_view name;
        if (call["function"]["name"].get_string().get(name) == simdjson::SUCCESS) push(names, name, cap);
      }
    }
  }
  // Bedrock Agents: the orchestration completion names its tool in XML.
  std::string_view completion;
  if (get_str(body, "completion", completion)) agent_xml(completion, names, cap);
}

bool tool_call_piece(const TextPiece& p) noexcept { return p.side == Side::kOutput && is_call_path(p.source_path); }

void email_addresses(std::string_view text, std::vector<std::string>& out, std::size_t cap) {
  for (std::size_t at = text.find('@'); at != std::string_view::npos && out.size() < cap;
       at = text.find('@', at + 1)) {
    std::size_t b = at;
    while (b > 0 && at - b < 64 && email_local(static_cast<unsigned char>(text[b - 1]))) --b;
    std::size_t e = at + 1;
    while (e < text.size() && e - at < 255 && email_domain(static_cast<unsigned char>(text[e]))) ++e;
    while (b < at && text[b] == '.') ++b;         // a sentence's dot before the address
    while (e > at + 1 && text[e - 1] == '.') --e;  // or after it
    if (b == at || e == at + 1) continue;
    const std::string_view domain = text.substr(at + 1, e - at - 1);
    const std::size_t dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) continue;
    bool tld_letters = true;
    for (char c : domain.substr(dot + 1)) tld_letters = tld_letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    if (!tld_letters) continue;
    std::string addr(text.substr(b, e - b));
    for (char& c : addr)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (std::find(out.begin(), out.end(), addr) == out.end()) out.push_back(std::move(addr));
  }
}

SteeredCalls steered_calls(const content::ContentResult& r) {
  SteeredCalls out;
  const auto& pieces = r.extraction.pieces;
  std::vector<std::string> called;
  for (const TextPiece& p : pieces)
    if (tool_call_piece(p) && p.text.find('@') != std::string_view::npos) email_addresses(p.text, called);
  if (called.empty()) return out;
  // Injection signatures on retrieved text, and on text read from attached
  // files (their hits carry the message's role: found by the matched excerpt,
  // which for plain text is the file's text lowercased).
  bool attachment_injection = false;
  for (const auto& h : r.hits) {
    if (h.side != Side::kInput || r.signature(h).severity < Severity::kMedium) continue;
    if (h.role == Role::kTool || h.role == Role::kDocument) out.injection = true;
    if (attachment_injection || h.role != Role::kUser) continue;
    const std::string_view excerpt = std::string_view(h.excerpt).substr(0, 40);
    if (excerpt.empty()) continue;
    for (const TextPiece& p : pieces)
      if (p.side == Side::kInput && p.from_attachment && icontains(p.text, excerpt)) attachment_injection = true;
  }
  out.injection = out.injection || attachment_injection;
  for (const std::string& a : called) {
    bool from_retrieved = false, from_attachment = false, from_trusted = false;
    for (const TextPiece& p : pieces) {
      if (p.text.size() < a.size()) continue;
      if (trusted(p) && icontains(p.text, a)) {
        from_trusted = true;
        break;
      }
      if (!from_retrieved && retrieved(p) && icontains(p.text, a)) from_retrieved = true;
      if (!from_attachment && p.side == Side::kInput && p.from_attachment && icontains(p.text, a))
        from_attachment = true;
    }
    if (from_trusted) continue;
    // A file the user attached is the user's: its addresses count only when
    // an injection signature says the file spoke to the model.
    if (from_retrieved || (from_attachment && attachment_injection)) out.addresses.push_back(a);
  }
  return out;
}

}  // namespace aiir::detail
