// SPDX-License-Identifier: Apache-2.0
// `aiir events`: normalized events to stdout.
#include <unistd.h>

#include <algorithm>
#include <span>
#include <tuple>

#include "app/commands.h"
#include "app/output.h"
#include "report/redact.h"

namespace aiir {
namespace {

struct Lines final : BatchExtra {
  explicit Lines(RedactionFlags flags) : redactor(flags) {}
  std::string text;
  std::vector<std::size_t> ends;  // end offset of each event's line
  EventRedactor redactor;         // one per slot: prepare() runs on worker threads
};

class EventsSink final : public EventSink {
 public:
  EventsSink(const EventsOptions& options, FdOutput& out) : options_(options), out_(out) {}

  std::unique_ptr<BatchExtra> make_extra() override {
    return std::make_unique<Lines>(RedactionFlags{options_.redact, options_.redact_prompts});
  }

  void prepare(DecodedBatch& batch, BatchExtra* extra, std::size_t begin, std::size_t end) override {
    auto* lines = static_cast<Lines*>(extra);
    if (begin == 0) {
      lines->text.clear();
      lines->ends.clear();
    }
    RawRedaction raw{options_.redact, options_.redact_prompts};
    const bool filtered = !options_.filter.empty();
    for (const EventView& ev : std::span(batch.events).subspan(begin, end - begin)) {
      if (filtered && !options_.filter.matches(ev)) {  // no line: consume() writes nothing for it
        lines->ends.push_back(lines->text.size());
        continue;
      }
      if (options_.redact) append_event_line(lines->text, lines->redactor.apply(ev), options_.format, options_.raw, raw);
      else append_event_line(lines->text, ev, options_.format, options_.raw, raw);
      lines->ends.push_back(lines->text.size());
    }
  }

  void consume(const EventView& ev, std::size_t index, BatchExtra* extra) override {
    auto* lines = static_cast<Lines*>(extra);
    std::size_t begin = index == 0 ? 0 : lines->ends[index - 1];
    std::size_t end = lines->ends[index];
    if (begin == end) return;  // filtered out
    if (options_.sort) {
      sorted_.push_back({ev.time_ms, ev.where.file, ev.where.record, lines->text.substr(begin, end - begin)});
      return;
    }
    // Consecutive kept lines are written as one span (no copy per line).
    if (begin != pending_end_) write_pending(*lines);
    if (pending_begin_ == pending_end_) pending_begin_ = begin;
    pending_end_ = end;
  }

  void file_done(const DecodedBatch&, BatchExtra* extra) override { write_pending(*static_cast<Lines*>(extra)); }

  bool cancelled() const override { return out_.closed(); }

  void write_sorted() {
    std::sort(sorted_.begin(), sorted_.end(), [](const Held& a, const Held& b) {
      return std::tie(a.time, a.file, a.record) < std::tie(b.time, b.file, b.record);
    });
    for (const Held& h : sorted_) out_.write(h.line);
  }

 private:
  struct Held {
    std::int64_t time;
    std::uint32_t file, record;
    std::string line;
  };
  void write_pending(const Lines& lines) {
    if (pending_end_ > pending_begin_) out_.write({lines.text.data() + pending_begin_, pending_end_ - pending_begin_});
    pending_begin_ = pending_end_ = 0;
  }

  const EventsOptions& options_;
  FdOutput& out_;
  std::size_t pending_begin_ = 0, pending_end_ = 0;
  std::vector<Held> sorted_;
};

}  // namespace

int run_events(const EventsOptions& options) {
  options.filter.validate();
  PreparedRead prepared = prepare_read(options.read);
  FdOutput out(1);
  if (options.format == EventFormat::kCsv) out.write(event_csv_header(options.raw));
  EventsSink sink(options, out);
  ReadStats stats = run_pipeline(prepared.inputs.files, prepared.pipeline, sink);
  if (options.sort) sink.write_sorted();
  out.flush();
  int code = finish_read(options.read, prepared, stats);
  if (out.failed()) {
    std::fputs("aiir: writing to stdout failed\n", stderr);
    return kExitPartial;
  }
  return code;
}

}  // namespace aiir
