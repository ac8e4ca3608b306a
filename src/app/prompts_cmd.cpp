// SPDX-License-Identifier: Apache-2.0
// `aiir prompts`: one `aiir.prompt/1` JSON line per invocation record, built on
// the worker threads by the content stage (docs/prompts-schema.md).
#include <algorithm>
#include <span>
#include <array>
#include <utility>
#include <cstdio>

#include "app/commands.h"
#include "app/output.h"
#include "report/json_out.h"
#include "scan/content_stage.h"

namespace aiir {
namespace {

using content::ContentResult;
using content::Role;
using content::Side;

constexpr std::size_t kMaxDecoded = 512;     // bytes of decoded hidden text per entry
constexpr std::size_t kMaxTextBytes = 64 * 1024;  // --text cap per record
constexpr std::size_t kMaxName = 256;        // bytes of a document's name or declared format

/// Why an attachment is flagged or worth a look, in a fixed order.
std::array<std::pair<bool, std::string_view>, 7> attachment_reasons(const content::AttachmentInfo& a) {
  return {{{a.executable, "executable"},
           {a.executable_name, "executable_name"},
           {a.script, "script"},
           {a.archive, "archive"},
           {a.eicar, "eicar"},
           {a.active_pdf, "active_pdf"},
           {a.type_mismatch, "type_mismatch"}}};
}

/// The user-role request text with the secrets found in it masked (unless
/// --no-redact), pieces joined by newlines, capped.
std::string prompt_text(const ContentResult& r, bool redact) {
  std::string out;
  const auto& pieces = r.extraction.pieces;
  for (std::uint32_t i = 0; i < pieces.size() && out.size() < kMaxTextBytes; ++i) {
    const auto& p = pieces[i];
    if (p.side != Side::kInput || p.role != Role::kUser) continue;
    if (!out.empty()) out.push_back('\n');
    std::size_t pos = 0;
    if (redact) {
      for (const auto& h : r.secrets) {
        if (h.piece != i || h.offset < pos || h.offset + h.length > p.text.size()) continue;
        out.append(p.text.substr(pos, h.offset - pos));
        out += h.masked;
        pos = h.offset + h.length;
      }
    }
    out.append(p.text.substr(pos));
  }
  if (out.size() > kMaxTextBytes) {
    std::size_t n = kMaxTextBytes;
    while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) --n;
    out.resize(n);
    out += "\xE2\x80\xA6";
  }
  return out;
}

void append_prompt_line(std::string& s, const EventView& ev, const ContentResult& r, const PromptsOptions& o) {
  const bool flagged = prompt_flagged(r, r.threshold);
  JsonOut j(s);
  j.begin_object();
  j.key("schema").str("aiir.prompt/1");
  j.key("request_id").str(ev.request_id);
  j.time_field("time", ev.time_ms);
  j.key("principal").str(ev.actor_arn);
  j.field("account", ev.account);
  j.field("region", ev.region);
  j.key("model").str(ev.model_id);
  j.key("operation").str(ev.action);
  j.key("score");
  if (r.score >= 0) j.dbl(r.score);
  else j.null();
  j.key("flagged").boolean(flagged);
  j.key("signatures").begin_array();
  for (const auto& h : r.hits) j.str(r.signature(h).id);
  j.end_array();
  j.key("families").begin_array();
  {
    std::vector<std::string_view> fam;
    for (const auto& h : r.hits) fam.push_back(r.signature(h).family);
    std::sort(fam.begin(), fam.end());
    fam.erase(std::unique(fam.begin(), fam.end()), fam.end());
    for (auto f : fam) j.str(f);
  }
  j.end_array();
  j.key("hidden").begin_array();
  for (const auto& h : r.hidden) {
    j.begin_object();
    j.key("kind").str(h.text->kind);
    j.key("side").str(to_string(h.side));
    j.key("role").str(to_string(h.role));
    j.key("count").unum(h.text->count);
    if (!h.text->decoded.empty())
      j.key("decoded").str(o.no_redact ? h.text->decoded.substr(0, kMaxDecoded)
                                       : mask_secrets_in(h.text->decoded, kMaxDecoded));
    j.end_object();
  }
  j.end_array();
  j.key("secrets").begin_array();
  for (const auto& h : r.secrets) {
    j.begin_object();
    j.key("type").str(h.type);
    j.key("value").str(h.masked);  // masked unless --no-redact (the content stage decides)
    j.key("side").str(to_string(h.side));
    j.key("role").str(to_string(h.role));
    j.key("severity").str(to_string(h.severity));
    if (h.example) j.key("example").boolean(true);
    j.end_object();
  }
  j.end_array();
  const auto& g = r.extraction.guardrail;
  if (g.present) j.key("guardrail").str(g.intervened ? std::string_view("INTERVENED") : g.action.empty() ? std::string_view("NONE") : g.action);
  if (r.leakage.leaked) j.key("system_prompt_leaked").dbl(r.leakage.ratio);
  if (!r.leakage.secrets.empty()) {
    // Codes, passwords or keys defined in the system prompt and repeated in the response.
    j.key("system_secrets_leaked").begin_array();
    for (const auto& l : r.leakage.secrets) {
      j.begin_object();
      j.key("value").str(l.masked);
      j.key("how").str(l.how);
      if (l.in_url) j.key("in_url").boolean(true);
      j.end_object();
    }
    j.end_array();
  }
  if (!r.attachments.empty()) {
    j.key("attachments").begin_array();
    for (const auto& a : r.attachments) {
      j.begin_object();
      j.key("kind").str(a.ref.kind);
      j.key("side").str(to_string(a.ref.side));
      j.key("role").str(to_string(a.ref.text_role));  // the message it came in (user, tool, system)
      if (!a.ref.name.empty())
        j.key("name").str(o.no_redact ? std::string(a.ref.name.substr(0, kMaxName)) : mask_secrets_in(a.ref.name, kMaxName));
      j.field("declared_format", a.ref.declared_format.substr(0, kMaxName));
      j.key("type").str(to_string(a.type));
      // Where the bytes came from: inline in the record, the export's copy of the
      // S3 object, an S3 object not in the export, or nowhere (no bytes logged).
      j.key("bytes").str(a.from_s3 ? "s3" : a.have_bytes ? "inline" : a.s3_missing ? "s3_missing" : "none");
      j.key("size").unum(a.size);
      if (a.cut) j.key("cut").boolean(true);
      j.field("sha256", a.sha256);
      j.key("flagged").boolean(a.flagged());
      j.key("reasons").begin_array();
      for (const auto& [set, why] : attachment_reasons(a))
        if (set) j.str(why);
      j.end_array();
      if (a.text_bytes > 0) j.key("text_bytes").unum(a.text_bytes);
      if (a.text_partial) j.key("text_partial").boolean(true);
      j.end_object();
    }
    j.end_array();
  }
  if (!r.extraction.s3_refs.empty()) j.key("s3_references").unum(r.extraction.s3_refs.size());
  if (o.text) j.key("text").str(prompt_text(r, !o.no_redact));
  j.key("file").str(ev.file);
  j.key("record").unum(ev.where.record);
  j.end_object();
  s += '\n';
}

struct PromptLines final : BatchExtra {
  explicit PromptLines(const ContentShared& shared) : worker(shared) {}
  ContentWorker worker;
  ContentResult result;
  std::string text;
  std::vector<std::size_t> ends;  ///< end offset of each event's line (empty lines for skipped events)
};

class PromptsSink final : public EventSink {
 public:
  PromptsSink(const PromptsOptions& options, const ContentShared& shared, FdOutput& out)
      : options_(options), shared_(shared), out_(out) {}

  std::unique_ptr<BatchExtra> make_extra() override { return std::make_unique<PromptLines>(shared_); }

  void prepare(DecodedBatch& batch, BatchExtra* extra, std::size_t begin, std::size_t end) override {
    auto* lines = static_cast<PromptLines*>(extra);
    if (begin == 0) {
      lines->text.clear();
      lines->ends.clear();
    }
    for (EventView& ev : std::span(batch.events).subspan(begin, end - begin)) {
      if (ev.kind == EventKind::kInvocation && lines->worker.run(ev, lines->result) &&
          (!options_.flagged_only || prompt_flagged(lines->result, lines->result.threshold)))
        append_prompt_line(lines->text, ev, lines->result, options_);
      lines->ends.push_back(lines->text.size());
    }
  }

  void consume(const EventView&, std::size_t index, BatchExtra* extra) override {
    auto* lines = static_cast<PromptLines*>(extra);
    std::size_t begin = index == 0 ? 0 : lines->ends[index - 1];
    if (lines->ends[index] > begin) {
      out_.write(std::string_view(lines->text.data() + begin, lines->ends[index] - begin));
      ++written_;
    }
  }

  bool cancelled() const override { return out_.closed(); }
  std::uint64_t written() const noexcept { return written_; }

 private:
  const PromptsOptions& options_;
  const ContentShared& shared_;
  FdOutput& out_;
  std::uint64_t written_ = 0;
};

}  // namespace

int run_prompts(const PromptsOptions& options) {
  PreparedRead prepared = prepare_read(options.read);
  ContentStageOptions content_options;
  content_options.redact = !options.no_redact;
  content_options.cloudtrail_secrets = false;
  content_options.offload_roots = options.read.paths;
  ContentShared shared(content_options);
  FdOutput out(1);
  PromptsSink sink(options, shared, out);
  ReadStats stats = run_pipeline(prepared.inputs.files, prepared.pipeline, sink);
  out.flush();
  int code = finish_read(options.read, prepared, stats);
  if (out.failed()) {
    std::fputs("aiir: writing to stdout failed\n", stderr);
    return kExitPartial;
  }
  return code;
}

}  // namespace aiir
