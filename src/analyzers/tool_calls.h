// SPDX-License-Identifier: Apache-2.0
// The tool calls a model made in its response, as an invocation record logs
// them, and where their addresses came from: the agency analyzer's view of
// what an AI application was steered to do (indirect prompt injection).
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "content/content.h"

namespace aiir::detail {

/// Names of the tools the model asked to call in a record's response, in
/// order, at most `cap`: Converse `output.message.content[].toolUse.name`,
/// Anthropic `content[]` blocks of type `tool_use` (and, streamed,
/// `content_block_start.content_block`), OpenAI-style
/// `choices[].message.tool_calls[].function.name`, and Bedrock Agents'
/// `<tool_name>` in the orchestration completion. Views into the record.
void response_tool_calls(const simdjson::dom::element& record, std::vector<std::string_view>& names,
                         std::size_t cap = 32);

/// True for a text piece that is part of a tool call the model made (its
/// input, or an OpenAI `tool_calls` entry), on the response side.
bool tool_call_piece(const content::TextPiece& p) noexcept;

/// E-mail addresses in `text` (local@domain.tld), lowercased, appended to
/// `out` unless present, until `out` holds `cap`.
void email_addresses(std::string_view text, std::vector<std::string>& out, std::size_t cap = 16);

/// What a response's tool calls carry that only retrieved text supplied.
struct SteeredCalls {
  /// Addresses in the response's tool calls that the request names in
  /// retrieved text (tool results, documents, attached files) and nowhere in
  /// what the user or the application wrote (user turns, system prompt, tool
  /// descriptions).
  std::vector<std::string> addresses;
  /// An injection signature of medium severity or higher fired on retrieved
  /// text of the same request.
  bool injection = false;
};
SteeredCalls steered_calls(const content::ContentResult& r);

}  // namespace aiir::detail
