// SPDX-License-Identifier: Apache-2.0
// Text extraction from Bedrock model-invocation records: prompt, system, response,
// tool and document text with roles, attachments, S3 offload references and
// guardrail traces (formats.md §4.5, §4.6). First stage of src/content.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "source/discover.h"

namespace aiir::content {

/// Who wrote a piece of text, as far as the body tells.
enum class Role : std::uint8_t { kSystem, kUser, kAssistant, kTool, kDocument };
/// Request (prompt) or response (completion) side of the record.
enum class Side : std::uint8_t { kInput, kOutput };

std::string_view to_string(Role role) noexcept;
std::string_view to_string(Side side) noexcept;

/// One piece of text found in a body. `text` points into the record's DOM or
/// into Extraction-owned storage (stream reassembly, text read from an
/// attachment); `source_path` is a static string naming where it was found
/// (array indices are written as `[]`).
struct TextPiece {
  Role role = Role::kUser;
  Side side = Side::kInput;
  /// A document's `name` (`content[].document.name`) or the text read from an
  /// attachment's bytes (`content[].source.bytes` / `content[].source.s3Uri`):
  /// text that reaches the model with the message but was not typed in it.
  bool from_attachment = false;
  std::string_view text;
  std::string_view source_path;
};

/// `source_path` of a Converse document's name.
inline constexpr std::string_view kDocumentNamePath = "content[].document.name";

/// A reference to an object offloaded to S3 (`*BodyS3Path`, `source.s3Uri`,
/// `source.s3Location.uri`). Unresolved until the lead resolves it against the
/// exported folder (see S3ObjectIndex).
struct S3Reference {
  std::string_view uri;
  Side side = Side::kInput;
  std::string_view source_path;
  bool resolved = false;
};

/// A document or image block in a request or response: either inline base64
/// bytes or an S3 reference. Analysed by attachments.h.
struct AttachmentRef {
  Side side = Side::kInput;
  Role role = Role::kDocument;
  std::string_view kind;            ///< "document", "image", "video"
  std::string_view declared_format; ///< Converse `format` or Anthropic `media_type`
  std::string_view name;            ///< Converse document name (attacker text)
  std::string_view base64;          ///< inline bytes, base64 (empty if none)
  std::string_view s3_uri;          ///< offloaded bytes (empty if none)
  std::string_view source_path;
  /// Role of the text read from the bytes and of the name: the message's
  /// (user; tool inside a tool result; system in system blocks).
  Role text_role = Role::kUser;
  /// Extraction::pieces.size() when the block was met: text read from the
  /// bytes is inserted there, after the document's name, before later blocks.
  std::uint32_t piece_index = 0;
};

/// One policy verdict inside a guardrail assessment.
struct GuardrailBlock {
  Side side = Side::kInput;
  std::string_view guardrail_id;
  std::string_view policy;      ///< "topic", "content", "word", "managed_word", "pii", "regex", "grounding"
  std::string_view type;        ///< topic name/type, filter type (PROMPT_ATTACK, ...), PII type, regex name
  std::string_view action;      ///< BLOCKED, ANONYMIZED, NONE
  std::string_view confidence;  ///< content filters: NONE|LOW|MEDIUM|HIGH
  /// Words, PII and regex `match`: the sensitive text itself. Writers must redact it.
  std::string_view match;
  double score = -1;            ///< grounding score, -1 if none
  bool detected = false;        ///< `detected` flag (content filters) or action != NONE
};

/// What the guardrail trace of a record says (formats.md §4.6).
struct GuardrailSummary {
  bool present = false;        ///< any guardrail action, trace or guardrail stop reason seen
  bool intervened = false;     ///< action INTERVENED or stop reason guardrail_intervened
  std::string_view action;     ///< `amazon-bedrock-guardrailAction` ("INTERVENED"/"NONE")
  std::string_view stop_reason;///< stopReason / stop_reason of the output
  std::vector<GuardrailBlock> blocks;
  /// `modelOutput[]`: the unmasked model output. Also extracted as output pieces.
  std::vector<std::string_view> model_output;
};

/// Options for extraction.
struct ExtractOptions {
  /// Cap on extracted text bytes per record; pieces past it are cut and
  /// `Extraction::truncated` is set.
  std::size_t max_text_bytes = 1u << 20;
};

/// Everything extracted from one record. Reuse one per thread: clear() keeps
/// capacity. Views point into the record DOM (valid while the DOM is) or into
/// `owned_` (valid until the next clear()).
struct Extraction {
  std::string_view operation;
  std::string_view model_id;
  std::vector<TextPiece> pieces;
  std::vector<AttachmentRef> attachments;
  std::vector<S3Reference> s3_refs;
  GuardrailSummary guardrail;
  std::size_t text_bytes = 0;     ///< bytes of text kept in pieces
  bool truncated = false;         ///< text cap reached
  std::size_t vectors = 0;        ///< embedding vectors seen (counted, never extracted)
  std::size_t images_out = 0;     ///< generated images seen in the output (not extracted)
  bool used_fallback = false;     ///< an unknown body shape went through the generic walk

  void clear() noexcept;
  /// Stores text the record does not hold contiguously (stream reassembly).
  std::string& own();

 private:
  std::deque<std::string> owned_;
  std::size_t owned_used_ = 0;
};

/// Extracts pieces, attachments, S3 references and the guardrail summary from
/// one invocation record (the whole record, as in EventView::raw). Never
/// throws; unknown or malformed shapes yield fewer pieces, not errors.
void extract_invocation(const simdjson::dom::element& record, Extraction& out,
                        const ExtractOptions& options = {});

/// Appends what a body offloaded to S3 holds (the `data/..._input.json.gz` or
/// `_output` object, parsed) as if the record had carried it inline as
/// `inputBodyJson` / `outputBodyJson` of `side`. `out` keeps the record's
/// operation and model; pieces point into `body`.
void extract_offloaded_body(const simdjson::dom::element& body, Side side, Extraction& out,
                            const ExtractOptions& options = {});

/// Index of objects in exported folders, keyed by their key suffix from
/// `AWSLogs/` onward, to resolve `s3://bucket/.../AWSLogs/...` references.
/// Build once per run (setup; may throw aiir::Error on unreadable roots).
class S3ObjectIndex {
 public:
  explicit S3ObjectIndex(std::span<const std::filesystem::path> roots);
  /// Local path of the object named by `uri`, if it was exported.
  std::optional<std::filesystem::path> find(std::string_view uri) const;
  /// The zip member holding the object named by `uri` (an export zipped whole,
  /// `data/` included), when no file on disk does; null if none.
  const InputFile* find_in_zip(std::string_view uri) const;
  std::size_t size() const noexcept { return by_suffix_.size() + in_zip_.size(); }

 private:
  std::unordered_map<std::string, std::filesystem::path> by_suffix_;
  std::unordered_map<std::string, InputFile> in_zip_;  ///< key suffix -> member (InputFile::archive set)
};

/// The part of an S3 URI from `AWSLogs/` onward (empty if none).
std::string_view s3_key_suffix(std::string_view uri) noexcept;

/// One-shot resolution: walks `search_roots` for a file whose path ends with
/// the URI's key suffix from `AWSLogs/` onward. Prefer S3ObjectIndex for many.
std::optional<std::filesystem::path> resolve_s3_reference(
    std::string_view uri, std::span<const std::filesystem::path> search_roots);

/// Reads a resolved object, up to `max_bytes`, as stored (no gunzip; the
/// content stage reads offloaded bodies through FileReader instead).
std::optional<std::string> read_s3_object(const std::filesystem::path& path,
                                          std::size_t max_bytes = 64u << 20);

/// Reads the first `max_bytes` of a resolved object (a media object of
/// `data/`) into `out`, as stored; `size` is the object's size, larger than
/// `out.size()` when the object was cut. False when it cannot be opened or
/// read. The file is opened read-only.
bool read_s3_object_prefix(const std::filesystem::path& path, std::size_t max_bytes, std::string& out,
                           std::uint64_t& size);

}  // namespace aiir::content
