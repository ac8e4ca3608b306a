// SPDX-License-Identifier: Apache-2.0
// The pipeline: parallel per-file decoding, ordered consumption.
#include "pipeline/pipeline.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include <libdeflate.h>

#include "source/zip.h"
#include "util/hash.h"
#include "util/sha256.h"

namespace aiir {
namespace {

/// Open-addressing set of 64-bit keys (dedup of eventIDs): 8 bytes per event.
class KeySet {
 public:
  /// A hint: loads the slot `key` starts at (the table is larger than the
  /// caches; a miss per event was a visible share of the consumer thread).
  void prefetch(std::uint64_t key) const noexcept {
    if (key == 0) key = 1;
    if (!slots_.empty()) __builtin_prefetch(slots_.data() + (key & (slots_.size() - 1)));
  }

  /// Returns true when `key` was not present.
  bool insert(std::uint64_t key) {
    if (key == 0) key = 1;  // 0 marks an empty slot
    if ((size_ + 1) * 10 > slots_.size() * 7) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = key & mask;; i = (i + 1) & mask) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        slots_[i] = key;
        ++size_;
        return true;
      }
    }
  }

 private:
  void grow() {
    std::vector<std::uint64_t> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    size_ = 0;
    for (std::uint64_t k : old)
      if (k != 0) insert(k);
  }
  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return fmt::format("{:.1f} {}", b, units[u]);
}

struct Slot {
  DecodedBatch batch;
  std::unique_ptr<BatchExtra> extra;
  bool ready = false;
};

class Runner {
 public:
  Runner(const std::vector<InputFile>& files, const PipelineOptions& options, EventSink& sink)
      : files_(files), options_(options), sink_(sink) {
    for (const InputFile& f : files) total_bytes_ += f.size;
  }

  ReadStats run() {
    auto start = std::chrono::steady_clock::now();
    start_ = start;
    unsigned threads = options_.threads ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    if (threads > files_.size()) threads = std::max<unsigned>(1, static_cast<unsigned>(files_.size()));
    if (threads == 1) {
      Slot slot;
      slot.extra = sink_.make_extra();
      FileReader reader(options_.max_file_bytes);
      Decoder decoder;
      for (std::size_t i = 0; i < files_.size() && !sink_.cancelled(); ++i) {
        process(i, slot, reader, decoder, /*prepare=*/false);
        consume(slot, /*prepare=*/true);
      }
    } else {
      window_ = 2 * threads;
      slots_.resize(window_);
      for (auto& s : slots_) {
        s = std::make_unique<Slot>();
        s->extra = sink_.make_extra();
      }
      std::vector<std::thread> workers;
      for (unsigned t = 0; t < threads; ++t) workers.emplace_back([this] { work(); });
      for (std::size_t i = 0; i < files_.size(); ++i) {
        if (sink_.cancelled()) {
          {
            std::lock_guard lock(mu_);
            stop_ = true;
          }
          next_.store(files_.size());  // workers stop taking files
          free_cv_.notify_all();
          break;
        }
        Slot& slot = *slots_[i % window_];
        {
          std::unique_lock lock(mu_);
          ready_cv_.wait(lock, [&] { return slot.ready; });
        }
        consume(slot, /*prepare=*/false);
        {
          std::lock_guard lock(mu_);
          slot.ready = false;
          ++consumed_;
        }
        free_cv_.notify_all();
      }
      for (auto& w : workers) w.join();
    }
    if (options_.progress) std::fputs("\r\033[K", stderr);
    stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::move(stats_);
  }

 private:
  void work() {
    FileReader reader(options_.max_file_bytes);
    Decoder decoder;
    for (;;) {
      std::size_t i = next_.fetch_add(1);
      if (i >= files_.size()) return;
      {
        std::unique_lock lock(mu_);
        free_cv_.wait(lock, [&] { return stop_ || i < consumed_ + window_; });
        if (stop_) return;
      }
      Slot& slot = *slots_[i % window_];
      process(i, slot, reader, decoder, /*prepare=*/true);
      {
        std::lock_guard lock(mu_);
        slot.ready = true;
      }
      ready_cv_.notify_all();
    }
  }

  /// Worker side: read, decode, filter by window, and prepare the whole batch
  /// unless the consumer will (one thread).
  void process(std::size_t i, Slot& slot, FileReader& reader, Decoder& decoder, bool prepare) {
    const InputFile& in = files_[i];
    DecodedBatch& b = slot.batch;
    b.clear();
    b.file_index = static_cast<std::uint32_t>(i);
    b.path = in.is_stdin ? std::string("-") : in.path;
    b.file.path = b.path;
    b.file.size = in.size;
    if (!in.is_stdin && is_marker_file(in.path)) {
      b.file.shape = FileShape::kMarker;
      hash_unread(in, b);
      return;
    }
    if (!in.is_stdin && (options_.from_ms != std::numeric_limits<std::int64_t>::min() ||
                         options_.to_ms != std::numeric_limits<std::int64_t>::max())) {
      std::int64_t day = 0;
      // A file is delivered after its events: one delivered before the window's
      // day holds nothing in it. Delivery can lag, so keep one day of slack after.
      constexpr std::int64_t kDay = 86400000LL;
      const bool dated = s3_key_date_ms(in.path, day);
      const bool before = options_.from_ms != std::numeric_limits<std::int64_t>::min() && day + kDay <= options_.from_ms;
      const bool after = options_.to_ms != std::numeric_limits<std::int64_t>::max() && day - kDay > options_.to_ms;
      if (dated && (before || after)) {
        b.file.skipped_by_window = true;
        hash_unread(in, b);
        return;
      }
    }
    ReadResult r = reader.read(in, b.stats);
    // Truncated, grown or replaced between discovery and reading (a size of
    // 0 may mean "not listed with a size"; at the cap the reader warned already).
    if (r.ok && !in.is_stdin && in.size != 0 && r.stored_size != in.size && r.stored_size < options_.max_file_bytes) {
      b.stats.warn(WarningKind::kReadFailed, in.path,
                   fmt::format("file changed since it was listed ({} bytes then, {} read)", in.size, r.stored_size));
    }
    b.file.size = r.stored_size;
    b.file.compressed = r.compressed;
    b.file.inflated = r.text.size();
    if (options_.want_sha256) {
      if (r.stored_complete) b.file.sha256 = sha256_hex(r.stored);
      else if (!in.is_stdin && r.stored_size > 0) hash_unread(in, b);  // over the cap: stream it
    }
    if (!b.stats.warnings.empty()) b.file.failed = true;
    if (!r.ok) {
      b.file.shape = FileShape::kUnreadable;
      b.file.failed = true;
      return;
    }
    decoder.decode(*r.text_buffer, b);
    if (!b.stats.warnings.empty()) {
      for (const Warning& w : b.stats.warnings)
        if (w.kind != WarningKind::kUnrecognised && w.kind != WarningKind::kUnsupported) b.file.failed = true;
    }
    if (options_.from_ms != std::numeric_limits<std::int64_t>::min() ||
        options_.to_ms != std::numeric_limits<std::int64_t>::max()) {
      std::size_t kept = 0;
      for (std::size_t k = 0; k < b.events.size(); ++k) {
        const EventView& ev = b.events[k];
        if (ev.time_ms < options_.from_ms || ev.time_ms > options_.to_ms) {
          ++b.stats.skipped_by_reason[static_cast<std::size_t>(SkipReason::kOutsideWindow)];
          continue;
        }
        b.events[kept++] = ev;
      }
      b.events.resize(kept);
    }
    if (prepare) sink_.prepare(b, slot.extra.get(), 0, b.events.size());
  }

  /// Hashes a file the worker did not read in full (streaming, read-only).
  void hash_unread(const InputFile& in, DecodedBatch& b) {
    if (!options_.want_sha256 || in.is_stdin) return;
    if (!in.archive.empty()) {
      // A zip member: the SHA-256 of its bytes (what unzip would write).
      PaddedBuffer bytes;
      std::string error;
      libdeflate_decompressor* inflater = libdeflate_alloc_decompressor();
      if (inflater != nullptr && read_zip_member(in.archive, in.member, options_.max_file_bytes, inflater, bytes, error))
        b.file.sha256 = sha256_hex(bytes.view());
      if (inflater != nullptr) libdeflate_free_decompressor(inflater);
      return;
    }
    std::error_code ec;
    b.file.sha256 = sha256_file_hex(in.path, ec);
  }

  /// Consumer side, in file order: stats, dedup, sink; with `prepare` (one
  /// thread), the batch is prepared chunk by chunk just before it is consumed.
  void consume(Slot& slot, bool prepare) {
    DecodedBatch& b = slot.batch;
    if (sink_.cancelled()) return;
    ++stats_.files_total;
    stats_.bytes_read += b.file.size;
    stats_.bytes_inflated += b.file.inflated;
    if (b.file.skipped_by_window) ++stats_.files_skipped_window;
    else ++stats_.files_by_shape[static_cast<std::size_t>(b.file.shape)];
    if (b.file.failed) ++stats_.files_failed;
    merge(b.stats);
    std::uint64_t produced = 0;
    // Duplicates, for the whole batch before any event goes on: the key
    // lookups, prefetched a few ahead, then miss the caches once (interleaved
    // with the analyzers' work, the prefetched slots were evicted again).
    // Same order of insertion, same outcome. dedup_keys_[k] != 0: a duplicate.
    dedup_keys_.assign(b.events.size(), 0);
    if (options_.dedup) {
      for (std::size_t k = 0; k < b.events.size(); ++k) dedup_keys_[k] = b.events[k].dedup_key;
      constexpr std::size_t kAhead = 8;
      for (std::size_t k = 0; k < b.events.size(); ++k) {
        if (k + kAhead < b.events.size() && dedup_keys_[k + kAhead] != 0) seen_.prefetch(dedup_keys_[k + kAhead]);
        if (dedup_keys_[k] != 0) dedup_keys_[k] = seen_.insert(dedup_keys_[k]) ? 0 : 1;
      }
    }
    constexpr std::size_t kChunk = 64;
    for (std::size_t k = 0; k < b.events.size(); ++k) {
      if (prepare && k % kChunk == 0) sink_.prepare(b, slot.extra.get(), k, std::min(k + kChunk, b.events.size()));
      const EventView& ev = b.events[k];
      if (dedup_keys_[k] != 0) {
        stats_.skip(SkipReason::kDuplicate, b.path, ev.where.record, ev.event_id);
        continue;
      }
      ++produced;
      ++stats_.events_by_kind[static_cast<std::size_t>(ev.kind)];
      // Most consecutive events share account and region: look the range up only on change.
      if (range_ == nullptr || ev.account != range_account_ || ev.region != range_region_) {
        range_account_.assign(ev.account);
        range_region_.assign(ev.region);
        auto& by_region = stats_.time_ranges[range_account_];
        auto it = by_region.find(range_region_);
        if (it == by_region.end()) it = by_region.emplace(range_region_, std::make_pair(ev.time_ms, ev.time_ms)).first;
        range_ = &it->second;
      }
      auto& range = *range_;
      range.first = std::min(range.first, ev.time_ms);
      range.second = std::max(range.second, ev.time_ms);
      sink_.consume(ev, k, slot.extra.get());
    }
    sink_.file_done(b, slot.extra.get());
    stats_.files.push_back(b.file);
    stats_.files.back().records = produced;
    done_bytes_ += files_[b.file_index].size;
    if (options_.progress) show_progress(b.file_index + 1);
  }

  void merge(ReadStats& from) {
    for (int r = 0; r < kSkipReasonCount; ++r) {
      stats_.skipped_by_reason[static_cast<std::size_t>(r)] += from.skipped_by_reason[static_cast<std::size_t>(r)];
      auto& dst = stats_.skip_examples[static_cast<std::size_t>(r)];
      for (auto& e : from.skip_examples[static_cast<std::size_t>(r)]) {
        if (dst.size() < ReadStats::kMaxExamples) dst.push_back(std::move(e));
      }
    }
    for (int w = 0; w < kWarningKindCount; ++w)
      stats_.warnings_by_kind[static_cast<std::size_t>(w)] += from.warnings_by_kind[static_cast<std::size_t>(w)];
    for (auto& w : from.warnings) stats_.warnings.push_back(std::move(w));
  }

  void show_progress(std::size_t files_done) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(200) && files_done != files_.size()) return;
    last_progress_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(done_bytes_) / secs : 0;
    double left = rate > 0 ? static_cast<double>(total_bytes_ - std::min(total_bytes_, done_bytes_)) / rate : 0;
    std::string line = fmt::format("\r\033[K[aiir] files {}/{}  {} of {}  {}/s  ~{:.0f}s left", files_done,
                                   files_.size(), human_bytes(static_cast<double>(done_bytes_)),
                                   human_bytes(static_cast<double>(total_bytes_)), human_bytes(rate), left);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }

  const std::vector<InputFile>& files_;
  const PipelineOptions& options_;
  EventSink& sink_;
  ReadStats stats_;
  KeySet seen_;
  std::vector<std::uint64_t> dedup_keys_;  ///< per event of the batch being consumed: its key, then 1 for a duplicate, else 0
  std::vector<std::unique_ptr<Slot>> slots_;
  std::size_t window_ = 1;
  std::atomic<std::size_t> next_{0};
  std::size_t consumed_ = 0;
  std::pair<std::int64_t, std::int64_t>* range_ = nullptr;  // cached time range of the last (account, region)
  std::string range_account_, range_region_;
  bool stop_ = false;
  std::mutex mu_;
  std::condition_variable ready_cv_, free_cv_;
  std::uint64_t total_bytes_ = 0, done_bytes_ = 0;
  std::chrono::steady_clock::time_point start_, last_progress_;
};

}  // namespace

bool is_marker_file(std::string_view path) noexcept {
  std::size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name == "aws-logs-write-test" || name == "amazon-bedrock-logs-permission-check" || name == ".DS_Store" ||
      name == "_SUCCESS" || name == "Thumbs.db")
    return true;
  // macOS metadata: AppleDouble "._name" files and a zip's __MACOSX/ folder.
  if (name.substr(0, 2) == "._" || path.find("__MACOSX/") != std::string_view::npos) return true;
  // Bodies and media that Bedrock offloaded next to its logs (a data/ folder inside
  // the BedrockModelInvocationLogs tree): read on demand, not log records. A data/
  // folder above the tree (/data/cases/...) is where the evidence is kept.
  constexpr std::string_view kTree = "/BedrockModelInvocationLogs/";
  const std::size_t tree = path.find(kTree);
  return tree != std::string_view::npos && path.find("/data/", tree + kTree.size() - 1) != std::string_view::npos;
}

ReadStats run_pipeline(const std::vector<InputFile>& files, const PipelineOptions& options, EventSink& sink) {
  Runner runner(files, options, sink);
  return runner.run();
}

}  // namespace aiir
