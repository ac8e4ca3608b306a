// SPDX-License-Identifier: Apache-2.0
// Throughput floor: inflate every file with libdeflate and parse every record with simdjson DOM.
//
//   floor DIR_OR_FILE...
//
// Single-threaded. For each regular file (sorted by path): read it whole; if it starts
// with the gzip magic, inflate every gzip member into one reused, padded buffer; then
// parse with simdjson DOM: a `{"Records":[...]}` document is parsed once and each
// element of `Records` is touched (its eventName and eventTime are looked up); any
// other content is treated as JSON Lines and each non-empty line is parsed and touched.
// This is the ceiling for any reader of the same corpus. The last line of output is
// machine-readable for bench/run.sh:
//   floor files=N records=N inflated_bytes=N seconds=S mb_per_s=X records_per_s=Y
#include <libdeflate.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Totals {
  std::uint64_t files = 0;
  std::uint64_t records = 0;
  std::uint64_t inflated = 0;
  std::uint64_t errors = 0;
  std::uint64_t touched = 0;  // sum of field lengths, so the work cannot be optimised away
};

class Floor {
 public:
  Floor() : d_(libdeflate_alloc_decompressor()) {}
  ~Floor() { libdeflate_free_decompressor(d_); }
  Floor(const Floor&) = delete;
  Floor& operator=(const Floor&) = delete;

  void file(const fs::path& path, Totals& t) {
    path_ = &path;
    if (!read(path)) {
      error(t, "cannot read");
      return;
    }
    ++t.files;
    const char* data = raw_.data();
    std::size_t size = raw_.size();
    if (size >= 2 && static_cast<unsigned char>(raw_[0]) == 0x1f &&
        static_cast<unsigned char>(raw_[1]) == 0x8b) {
      if (!inflate(t)) {
        error(t, "corrupt gzip");
        return;
      }
      data = out_.data();
      size = out_len_;
    } else {
      // Plain file: copy into the padded buffer.
      reserve_out(size);
      std::memcpy(out_.data(), raw_.data(), size);
      out_len_ = size;
      data = out_.data();
    }
    t.inflated += size;
    parse(data, size, t);
  }

 private:
  bool read(const fs::path& path) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) return false;
    auto n = static_cast<std::size_t>(f.tellg());
    raw_.resize(n);
    f.seekg(0);
    return static_cast<bool>(f.read(raw_.data(), static_cast<std::streamsize>(n)));
  }

  void reserve_out(std::size_t n) {
    if (out_.size() < n + simdjson::SIMDJSON_PADDING) out_.resize(n + simdjson::SIMDJSON_PADDING);
  }

  /// Inflates all gzip members of raw_ into out_ (whole-buffer, growing on demand).
  bool inflate(Totals&) {
    std::size_t in_pos = 0;
    out_len_ = 0;
    // Start from the last member's ISIZE (exact for single-member files).
    std::size_t guess = raw_.size() * 4;
    if (raw_.size() >= 4) {
      std::uint32_t isize;
      std::memcpy(&isize, raw_.data() + raw_.size() - 4, 4);
      guess = std::max<std::size_t>(guess, isize);
    }
    reserve_out(guess);
    while (in_pos < raw_.size()) {
      std::size_t in_used = 0, produced = 0;
      const std::size_t avail = out_.size() - simdjson::SIMDJSON_PADDING - out_len_;
      libdeflate_result r = libdeflate_gzip_decompress_ex(
          d_, raw_.data() + in_pos, raw_.size() - in_pos, out_.data() + out_len_, avail, &in_used,
          &produced);
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        reserve_out((out_.size() - simdjson::SIMDJSON_PADDING) * 2);
        continue;
      }
      if (r != LIBDEFLATE_SUCCESS) return false;
      in_pos += in_used;
      out_len_ += produced;
      // Trailing zero padding after the last member is tolerated.
      while (in_pos < raw_.size() && raw_[in_pos] == 0) ++in_pos;
    }
    std::memset(out_.data() + out_len_, 0, simdjson::SIMDJSON_PADDING);
    return true;
  }

  void touch(simdjson::dom::element rec, Totals& t) {
    ++t.records;
    simdjson::dom::object obj;
    if (rec.get_object().get(obj) != simdjson::SUCCESS) return;
    std::string_view v;
    if (obj["eventName"].get_string().get(v) == simdjson::SUCCESS) t.touched += v.size();
    if (obj["eventTime"].get_string().get(v) == simdjson::SUCCESS) t.touched += v.size();
    if (obj["operation"].get_string().get(v) == simdjson::SUCCESS) t.touched += v.size();
  }

  void parse(const char* data, std::size_t size, Totals& t) {
    // A Records document?
    std::size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) ++i;
    if (i < size && data[i] == '{' && std::string_view(data + i, std::min<std::size_t>(size - i, 64))
                                              .find("\"Records\"") != std::string_view::npos) {
      simdjson::dom::element doc;
      if (parser_.parse(data, size, false).get(doc) == simdjson::SUCCESS) {
        simdjson::dom::array records;
        if (doc["Records"].get_array().get(records) == simdjson::SUCCESS) {
          for (simdjson::dom::element rec : records) touch(rec, t);
          return;
        }
      }
      error(t, "invalid Records document");
      return;
    }
    // JSON Lines: parse each line in place (the buffer is padded at its end, and
    // simdjson may read past a line into the following bytes, which are ours).
    std::size_t start = 0;
    while (start < size) {
      const char* nl = static_cast<const char*>(std::memchr(data + start, '\n', size - start));
      std::size_t end = nl ? static_cast<std::size_t>(nl - data) : size;
      if (end > start) {
        simdjson::dom::element doc;
        if (parser_.parse(data + start, end - start, false).get(doc) == simdjson::SUCCESS) {
          touch(doc, t);
        } else {
          error(t, "invalid JSON line");
        }
      }
      start = end + 1;
    }
  }

  void error(Totals& t, const char* what) {
    if (++t.errors <= 5) std::fprintf(stderr, "floor: %s: %s\n", path_->string().c_str(), what);
  }

  const fs::path* path_ = nullptr;
  libdeflate_decompressor* d_;
  simdjson::dom::parser parser_;
  std::vector<char> raw_;
  std::vector<char> out_;
  std::size_t out_len_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: floor DIR_OR_FILE...\n");
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    fs::path root(argv[i]);
    if (fs::is_regular_file(root, ec)) {
      files.push_back(root);
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (ec) std::fprintf(stderr, "floor: %s: %s\n", argv[i], ec.message().c_str());
  }
  std::sort(files.begin(), files.end());
  Totals t;
  Floor floor;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& f : files) floor.file(f, t);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double mb = static_cast<double>(t.inflated) / 1048576.0;
  std::printf("files          %" PRIu64 "\n", t.files);
  std::printf("records        %" PRIu64 "\n", t.records);
  std::printf("inflated MB    %.1f\n", mb);
  std::printf("seconds        %.3f\n", secs);
  std::printf("MB/s           %.1f\n", mb / secs);
  std::printf("records/s      %.0f\n", static_cast<double>(t.records) / secs);
  std::printf("simdjson       %s\n", simdjson::get_active_implementation()->name().c_str());
  if (t.errors) std::printf("errors         %" PRIu64 "\n", t.errors);
  std::printf("floor files=%" PRIu64 " records=%" PRIu64 " inflated_bytes=%" PRIu64
              " seconds=%.3f mb_per_s=%.1f records_per_s=%.0f touched=%" PRIu64 "\n",
              t.files, t.records, t.inflated, secs, mb / secs, static_cast<double>(t.records) / secs,
              t.touched);
  return t.errors ? 3 : 0;
}
