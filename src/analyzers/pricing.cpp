// SPDX-License-Identifier: Apache-2.0
// The Bedrock price table: YAML loading (yaml-cpp), model-id normalization and
// cost estimates. Setup code: may throw aiir::Error; lookups never throw.
#include "analyzers/pricing.h"
#include "core/paths.h"

#include <aiir/error.h>
#include <aiir/profile.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

namespace aiir {

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }


std::size_t literal_length(std::string_view p) noexcept {
  std::size_t n = 0;
  for (char c : p) n += (c != '*' && c != '?') ? 1 : 0;
  return n;
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

double price_field(const YAML::Node& entry, const char* key, bool required, const std::string& name) {
  YAML::Node v = entry[key];
  if (!v) {
    if (required) {
      throw Error(fmt::format("{}:{}: price entry lacks '{}'", name, entry.Mark().line + 1, key));
    }
    return -1;
  }
  double d = 0;
  try {
    d = v.as<double>();
  } catch (const YAML::Exception&) {
    throw Error(fmt::format("{}:{}: '{}' must be a number", name, v.Mark().line + 1, key));
  }
  if (d < 0) throw Error(fmt::format("{}:{}: '{}' must not be negative", name, v.Mark().line + 1, key));
  return d;
}

std::mutex g_prices_mutex;
std::shared_ptr<const PriceTable> g_prices;  // guarded by g_prices_mutex
bool g_prices_loaded = false;

/// Lower case, ARN and geo prefix removed, ":<n>" suffixes removed; with
/// `strip_version` also a trailing "-v<digits>".
std::string reduce_model_id(std::string_view id, bool strip_version) {
  // ARN: keep the resource part after the last '/' (foundation-model/X, inference-profile/X, ...).
  if (id.substr(0, 4) == "arn:") {
    std::size_t slash = id.rfind('/');
    if (slash != std::string_view::npos) id = id.substr(slash + 1);
  }
  std::string s;
  s.reserve(id.size());
  for (char c : id) s.push_back(lower(c));
  // Geo prefix of cross-region inference profiles.
  static constexpr std::array<std::string_view, 9> kGeo = {"us-gov.", "us.", "eu.", "apac.", "au.",
                                                           "jp.", "ca.", "global.", "sa."};
  for (std::string_view g : kGeo) {
    if (s.size() > g.size() && std::string_view(s).substr(0, g.size()) == g) {
      s.erase(0, g.size());
      break;
    }
  }
  // Version suffixes: ":0", ":28k", ":mm", then "-v1", "-v2".
  for (int round = 0; round < 3; ++round) {
    std::size_t colon = s.rfind(':');
    if (colon == std::string::npos) break;
    std::string_view tail = std::string_view(s).substr(colon + 1);
    if (tail.size() > 6 || tail.empty()) break;
    s.erase(colon);
  }
  if (strip_version) {
    std::size_t dash = s.rfind("-v");
    if (dash != std::string::npos && all_digits(std::string_view(s).substr(dash + 2))) s.erase(dash);
  }
  return s;
}

}  // namespace

std::string normalize_model_id(std::string_view id) { return reduce_model_id(id, true); }

std::string model_family(std::string_view model_id) {
  std::string n = normalize_model_id(model_id);
  std::size_t dot = n.find('.');
  if (dot == std::string::npos || dot == 0) return {};
  return n.substr(0, dot);
}

PriceTable PriceTable::parse(std::string_view yaml_text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw Error(fmt::format("{}:{}: {}", name, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) throw Error(fmt::format("{}:1: a price file is a mapping with 'as_of' and 'models'", name));
  PriceTable t;
  t.path_ = name;
  try {
    if (root["as_of"]) t.as_of_ = root["as_of"].as<std::string>();
    if (root["source"]) t.source_note_ = root["source"].as<std::string>();
    if (root["currency"] && root["currency"].as<std::string>() != "USD") {
      throw Error(fmt::format("{}:{}: only USD prices are supported", name, root["currency"].Mark().line + 1));
    }
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: {}", name, e.mark.line + 1, e.msg));
  }
  YAML::Node models = root["models"];
  if (!models || !models.IsSequence()) {
    throw Error(fmt::format("{}:{}: 'models' must be a list of {{match, input, output}}", name,
                            models ? models.Mark().line + 1 : 1));
  }
  for (const YAML::Node& entry : models) {
    if (!entry.IsMap()) throw Error(fmt::format("{}:{}: a price entry must be a mapping", name, entry.Mark().line + 1));
    ModelPrice p;
    YAML::Node m = entry["match"];
    if (!m || !m.IsScalar() || m.as<std::string>().empty()) {
      throw Error(fmt::format("{}:{}: price entry lacks 'match'", name, entry.Mark().line + 1));
    }
    for (char c : m.as<std::string>()) p.match.push_back(lower(c));
    p.input_per_1k = price_field(entry, "input", true, name);
    p.output_per_1k = price_field(entry, "output", false, name);
    if (p.output_per_1k < 0) p.output_per_1k = 0;
    p.cache_read_per_1k = price_field(entry, "cache_read", false, name);
    p.cache_write_per_1k = price_field(entry, "cache_write", false, name);
    p.source = name;
    p.line = entry.Mark().line + 1;
    t.entries_.push_back(std::move(p));
  }
  return t;
}

PriceTable PriceTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot read price file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::string PriceTable::default_path() { return find_rules_path("bedrock-prices.yaml"); }

void PriceTable::merge_over(const PriceTable& user) {
  std::vector<ModelPrice> merged = user.entries_;
  merged.insert(merged.end(), entries_.begin(), entries_.end());
  entries_ = std::move(merged);
  if (!user.as_of_.empty()) as_of_ = user.as_of_;
  if (!user.source_note_.empty()) source_note_ = user.source_note_;
  if (!user.path_.empty()) path_ = user.path_ + (path_.empty() ? "" : " over " + path_);
}

const ModelPrice* PriceTable::find(std::string_view model_id) const noexcept {
  if (model_id.empty()) return nullptr;
  // Two forms: with the "-vN" version ("amazon.titan-embed-text-v2", which
  // tells embedding generations apart) and without it.
  std::string versioned, n;
  try {
    versioned = reduce_model_id(model_id, false);
    n = reduce_model_id(model_id, true);
  } catch (...) {
    return nullptr;
  }
  for (const ModelPrice& p : entries_) {
    if (p.match == versioned) return &p;
  }
  for (const ModelPrice& p : entries_) {
    if (p.match == n) return &p;
  }
  const ModelPrice* best = nullptr;
  std::size_t best_len = 0;
  for (const ModelPrice& p : entries_) {
    // Strictly longer wins, so earlier (higher-precedence) entries win ties.
    if ((wildcard_match(p.match, versioned) || wildcard_match(p.match, n)) && (best == nullptr || literal_length(p.match) > best_len)) {
      best = &p;
      best_len = literal_length(p.match);
    }
  }
  return best;
}

std::optional<double> PriceTable::estimate(std::string_view model_id, std::int64_t tokens_in,
                                           std::int64_t tokens_out, std::int64_t cache_read,
                                           std::int64_t cache_write) const noexcept {
  const ModelPrice* p = find(model_id);
  if (p == nullptr) return std::nullopt;
  auto pos = [](std::int64_t v) { return v > 0 ? static_cast<double>(v) : 0.0; };
  double cr = p->cache_read_per_1k >= 0 ? p->cache_read_per_1k : p->input_per_1k;
  double cw = p->cache_write_per_1k >= 0 ? p->cache_write_per_1k : p->input_per_1k;
  return (pos(tokens_in) * p->input_per_1k + pos(tokens_out) * p->output_per_1k + pos(cache_read) * cr +
          pos(cache_write) * cw) /
         1000.0;
}

std::shared_ptr<const PriceTable> active_prices() {
  std::lock_guard<std::mutex> lock(g_prices_mutex);
  if (!g_prices_loaded) {
    g_prices_loaded = true;
    std::string path = PriceTable::default_path();
    g_prices = std::make_shared<const PriceTable>(path.empty() ? PriceTable() : PriceTable::load(path));
  }
  return g_prices;
}

void set_active_prices(std::shared_ptr<const PriceTable> table) {
  std::lock_guard<std::mutex> lock(g_prices_mutex);
  g_prices = table ? std::move(table) : std::make_shared<const PriceTable>();
  g_prices_loaded = true;
}

}  // namespace aiir
