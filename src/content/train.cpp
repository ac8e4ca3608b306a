// SPDX-License-Identifier: Apache-2.0
// Training and evaluation of the prompt-attack model (library code behind bench/train_* and bench/eval_*).
#include "content/train.h"
#include "util/utf8.h"

#include <aiir/error.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

namespace aiir::model {

namespace {

std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// splitmix64: a tiny deterministic generator (std distributions are not
// specified bit-for-bit across standard libraries, so they are avoided).
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
};

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw Error("sha256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string fmt(double v, int precision = 4) {
  std::ostringstream ss;
  ss.setf(std::ios::fixed);
  ss.precision(precision);
  ss << v;
  return ss.str();
}

std::string pct(double v) { return fmt(100.0 * v, 1) + "%"; }

}  // namespace

std::vector<LabeledPrompt> read_labeled_jsonl(const std::string& path, std::string* sha256) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  if (sha256 != nullptr) *sha256 = sha256_hex(data);

  std::vector<LabeledPrompt> rows;
  simdjson::dom::parser parser;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    const std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto where = [&] { return path + ":" + std::to_string(line_no); };
    const simdjson::padded_string padded(line);
    simdjson::dom::element doc;
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS) throw Error(where() + ": not JSON");
    LabeledPrompt row;
    std::string_view text, source, family;
    std::int64_t label = 0;
    if (doc["text"].get(text) != simdjson::SUCCESS) throw Error(where() + ": no string \"text\"");
    if (doc["label"].get(label) != simdjson::SUCCESS || (label != 0 && label != 1)) {
      throw Error(where() + ": \"label\" must be 0 or 1");
    }
    if (doc["source"].get(source) != simdjson::SUCCESS) source = "";
    if (doc["family"].get(family) != simdjson::SUCCESS) family = label == 1 ? "attack" : "benign";
    row.text = std::string(text);
    row.label = static_cast<int>(label);
    row.source = std::string(source);
    row.family = std::string(family);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string_view to_string(Part part) noexcept {
  switch (part) {
    case Part::kTrain: return "train";
    case Part::kValidation: return "validation";
    case Part::kTest: return "test";
  }
  return "train";
}

std::string SplitConfig::describe() const {
  std::ostringstream s;
  s << "groups = near-duplicate clusters (MinHash 32 x word 5-shingles, Jaccard >= 0.5, union-find); ";
  if (!leave_out_source.empty()) {
    s << "leave-one-source-out: test = all groups touching source " << leave_out_source << "; validation = "
      << validation_percent << "% of other groups by stable hash (seed " << seed << ")";
    return s.str();
  }
  s << "test = groups touching whole held-out sources [";
  for (std::size_t i = 0; i < test_sources.size(); ++i) s << (i ? ", " : "") << test_sources[i];
  s << "] + " << test_percent << "% of other groups; validation = groups touching [";
  for (std::size_t i = 0; i < validation_sources.size(); ++i) s << (i ? ", " : "") << validation_sources[i];
  s << "] + " << validation_percent << "% of other groups; assignment by stable hash of the group (seed " << seed
    << ")";
  return s.str();
}

namespace {

constexpr int kMinHashes = 32;

std::array<std::uint64_t, kMinHashes> minhash_of(std::string_view text) {
  // Words: lower-cased ASCII alphanumerics and non-ASCII bytes.
  std::vector<std::uint64_t> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty()) words.push_back(feature_hash(0, "m", w));
    w.clear();
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || u >= 0x80) {
      w.push_back(c);
    } else if (u >= 'A' && u <= 'Z') {
      w.push_back(static_cast<char>(u - 'A' + 'a'));
    } else {
      flush();
    }
  }
  flush();
  std::array<std::uint64_t, kMinHashes> sig;
  sig.fill(std::numeric_limits<std::uint64_t>::max());
  const std::size_t k = 5;
  const std::size_t n_shingles = words.size() >= k ? words.size() - k + 1 : 1;
  for (std::size_t i = 0; i < n_shingles; ++i) {
    std::uint64_t h = 0x9ae16a3b2f90404fULL;
    for (std::size_t j = i; j < std::min(words.size(), i + k); ++j) h = mix64(h ^ words[j]) + j - i;
    for (int m = 0; m < kMinHashes; ++m) {
      const std::uint64_t v = mix64(h ^ (0x632be59bd9b4e019ULL * static_cast<std::uint64_t>(m + 1)));
      sig[static_cast<std::size_t>(m)] = std::min(sig[static_cast<std::size_t>(m)], v);
    }
  }
  return sig;
}

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

}  // namespace

std::vector<Part> split_rows(const std::vector<LabeledPrompt>& rows, const SplitConfig& config) {
  const std::size_t n = rows.size();
  std::vector<std::array<std::uint64_t, kMinHashes>> sigs(n);
  for (std::size_t i = 0; i < n; ++i) sigs[i] = minhash_of(rows[i].text);
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      int same = 0;
      for (int m = 0; m < kMinHashes; ++m) same += sigs[i][static_cast<std::size_t>(m)] == sigs[j][static_cast<std::size_t>(m)];
      if (same * 2 >= kMinHashes) {
        const std::size_t a = find_root(parent, i), b = find_root(parent, j);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
      }
    }
  }
  // Per group: whether it touches a held-out source, and a stable key (the
  // smallest text hash among its members, independent of row order).
  struct Group {
    bool test = false, validation = false;
    std::uint64_t key = std::numeric_limits<std::uint64_t>::max();
  };
  std::map<std::size_t, Group> groups;
  auto in = [](const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
  };
  for (std::size_t i = 0; i < n; ++i) {
    Group& g = groups[find_root(parent, i)];
    if (!config.leave_out_source.empty()) {
      g.test = g.test || rows[i].source == config.leave_out_source;
    } else {
      g.test = g.test || in(config.test_sources, rows[i].source);
      g.validation = g.validation || in(config.validation_sources, rows[i].source);
    }
    g.key = std::min(g.key, feature_hash(config.seed, "s", rows[i].text));
  }
  std::vector<Part> parts(n, Part::kTrain);
  for (std::size_t i = 0; i < n; ++i) {
    const Group& g = groups[find_root(parent, i)];
    Part p = Part::kTrain;
    if (g.test) {
      p = Part::kTest;
    } else if (g.validation) {
      p = Part::kValidation;
    } else {
      const std::uint64_t bucket = mix64(g.key ^ config.seed) % 100;
      const std::uint32_t test_pct = config.leave_out_source.empty() ? config.test_percent : 0;
      if (bucket < test_pct) {
        p = Part::kTest;
      } else if (bucket < test_pct + config.validation_percent) {
        p = Part::kValidation;
      }
    }
    parts[i] = p;
  }
  return parts;
}

std::string TrainConfig::describe() const {
  std::ostringstream s;
  s << "logistic regression, AdaGrad lr=" << learning_rate << " l2=" << l2 << " epochs=" << epochs
    << " seed=" << seed << (balance_classes ? " balanced class weights" : "")
    << "; threshold = lowest score with validation FP <= " << target_fpr;
  return s.str();
}

double threshold_for_fpr(const std::vector<double>& scores, const std::vector<int>& labels, double target_fpr) {
  std::vector<double> neg;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] == 0) neg.push_back(scores[i]);
  }
  if (neg.empty()) return 0.5;
  std::sort(neg.begin(), neg.end(), std::greater<double>());
  const auto allowed = static_cast<std::size_t>(std::floor(target_fpr * static_cast<double>(neg.size()) + 1e-9));
  if (allowed >= neg.size()) return 0.0;
  // Strictly above the (allowed+1)-th highest negative score.
  return std::nextafter(neg[allowed], 2.0);
}

PromptModel train_prompt_model(const std::vector<LabeledPrompt>& rows, const std::vector<Part>& parts,
                               const TrainConfig& config, const SplitConfig& split) {
  const FeatureConfig& fc = config.features;
  std::vector<std::size_t> train_idx, val_idx;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (parts[i] == Part::kTrain) train_idx.push_back(i);
    if (parts[i] == Part::kValidation) val_idx.push_back(i);
  }
  if (train_idx.empty()) throw Error("training: no training rows");

  std::vector<std::vector<Feature>> feats(rows.size());
  for (std::size_t i : train_idx) features_for(rows[i].text, fc, feats[i]);
  for (std::size_t i : val_idx) features_for(rows[i].text, fc, feats[i]);

  std::size_t n_pos = 0, n_neg = 0;
  for (std::size_t i : train_idx) (rows[i].label == 1 ? n_pos : n_neg)++;
  const double pos_weight = (config.balance_classes && n_pos > 0) ? static_cast<double>(n_neg) / static_cast<double>(n_pos) : 1.0;

  std::vector<double> w(fc.buckets(), 0.0), g2(fc.buckets(), 0.0);
  double bias = 0.0, bias_g2 = 0.0;
  constexpr double kEps = 1e-8;
  SplitMix rng{config.seed};
  std::vector<std::size_t> order = train_idx;
  for (std::uint32_t epoch = 0; epoch < config.epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    for (std::size_t r : order) {
      double z = bias;
      for (const auto& f : feats[r]) z += w[f.index] * f.value;
      const double p = 1.0 / (1.0 + std::exp(-z));
      const int y = rows[r].label;
      const double g = (p - y) * (y == 1 ? pos_weight : 1.0);
      for (const auto& f : feats[r]) {
        const double grad = g * f.value + config.l2 * w[f.index];
        g2[f.index] += grad * grad;
        w[f.index] -= config.learning_rate * grad / (std::sqrt(g2[f.index]) + kEps);
      }
      bias_g2 += g * g;
      bias -= config.learning_rate * g / (std::sqrt(bias_g2) + kEps);
    }
  }

  std::vector<float> wf(w.begin(), w.end());
  ModelInfo info;
  info.target_fpr = config.target_fpr;
  info.split = split.describe();
  info.trainer = config.describe();
  info.train_rows = train_idx.size();
  PromptModel model(fc, std::move(wf), static_cast<float>(bias), info);

  std::vector<double> scores;
  std::vector<int> labels;
  for (std::size_t i : val_idx) {
    scores.push_back(model.score_features(feats[i]));
    labels.push_back(rows[i].label);
  }
  double threshold = 0.5;
  if (!val_idx.empty()) threshold = threshold_for_fpr(scores, labels, config.target_fpr);
  std::size_t tp = 0, pos = 0, fp = 0, neg = 0;
  for (std::size_t k = 0; k < scores.size(); ++k) {
    const bool flag = scores[k] >= threshold;
    if (labels[k] == 1) {
      ++pos;
      tp += flag;
    } else {
      ++neg;
      fp += flag;
    }
  }
  model.info().threshold = threshold;
  model.info().validation_tpr = pos ? static_cast<double>(tp) / static_cast<double>(pos) : 0.0;
  model.info().validation_fpr = neg ? static_cast<double>(fp) / static_cast<double>(neg) : 0.0;
  return model;
}

std::string_view to_string(Obfuscation kind) noexcept {
  switch (kind) {
    case Obfuscation::kPlain: return "plain";
    case Obfuscation::kZeroWidth: return "zero_width";
    case Obfuscation::kTagSmuggling: return "tag_smuggling";
    case Obfuscation::kBase64: return "base64";
    case Obfuscation::kFullwidth: return "fullwidth";
    case Obfuscation::kSpacedLetters: return "spaced_letters";
  }
  return "plain";
}

namespace {


bool ascii_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Length of the UTF-8 sequence starting with byte b (1 for invalid lead bytes).
std::size_t seq_len(unsigned char b) noexcept {
  if (b >= 0xF0 && b < 0xF8) return 4;
  if (b >= 0xE0) return b < 0xF0 ? 3 : 1;
  if (b >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::string obfuscate(std::string_view text, Obfuscation kind) {
  std::string out;
  switch (kind) {
    case Obfuscation::kPlain:
      return std::string(text);
    case Obfuscation::kZeroWidth:
      // U+200B between consecutive ASCII letters: "ig​no​re" style word splitting.
      for (std::size_t i = 0; i < text.size(); ++i) {
        out.push_back(text[i]);
        if (ascii_alpha(text[i]) && i + 1 < text.size() && ascii_alpha(text[i + 1])) aiir::detail::append_utf8(out, 0x200B);
      }
      return out;
    case Obfuscation::kTagSmuggling:
      // Printable ASCII moved to the invisible tag block; everything else kept.
      for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u <= 0x7E) {
          aiir::detail::append_utf8(out, 0xE0000 + u);
        } else {
          out.push_back(c);
        }
      }
      return out;
    case Obfuscation::kBase64: {
      static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::size_t i = 0;
      while (i + 3 <= text.size()) {
        const std::uint32_t v = (static_cast<unsigned char>(text[i]) << 16) |
                                (static_cast<unsigned char>(text[i + 1]) << 8) | static_cast<unsigned char>(text[i + 2]);
        out.push_back(kB64[(v >> 18) & 63]);
        out.push_back(kB64[(v >> 12) & 63]);
        out.push_back(kB64[(v >> 6) & 63]);
        out.push_back(kB64[v & 63]);
        i += 3;
      }
      if (text.size() - i == 1) {
        const std::uint32_t v = static_cast<unsigned char>(text[i]) << 16;
        out.push_back(kB64[(v >> 18) & 63]);
        out.push_back(kB64[(v >> 12) & 63]);
        out += "==";
      } else if (text.size() - i == 2) {
        const std::uint32_t v = (static_cast<unsigned char>(text[i]) << 16) | (static_cast<unsigned char>(text[i + 1]) << 8);
        out.push_back(kB64[(v >> 18) & 63]);
        out.push_back(kB64[(v >> 12) & 63]);
        out.push_back(kB64[(v >> 6) & 63]);
        out += "=";
      }
      return out;
    }
    case Obfuscation::kFullwidth:
      for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x21 && u <= 0x7E) {
          aiir::detail::append_utf8(out, 0xFF01 + (u - 0x21));
        } else if (u == ' ') {
          aiir::detail::append_utf8(out, 0x3000);
        } else {
          out.push_back(c);
        }
      }
      return out;
    case Obfuscation::kSpacedLetters: {
      // Every character of a word followed by one space; words end with two.
      std::size_t i = 0;
      while (i < text.size()) {
        const char c = text[i];
        if (c == ' ') {
          out += "  ";
          ++i;
          continue;
        }
        if (c == '\n' || c == '\t' || c == '\r') {
          out.push_back(c);
          ++i;
          continue;
        }
        const std::size_t len = std::min(seq_len(static_cast<unsigned char>(c)), text.size() - i);
        out.append(text.substr(i, len));
        i += len;
        if (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') out.push_back(' ');
      }
      return out;
    }
  }
  return std::string(text);
}

std::vector<EvalResult> evaluate(const PromptModel& model, const std::vector<LabeledPrompt>& rows,
                                 const std::vector<bool>& selected) {
  std::vector<Feature> feats;
  return evaluate(model, rows, selected, [&](std::string_view text) {
    features_for(text, model.config(), feats);
    return model.score_features(feats);
  });
}

std::vector<EvalResult> evaluate(const PromptModel& model, const std::vector<LabeledPrompt>& rows,
                                 const std::vector<bool>& selected,
                                 const std::function<double(std::string_view)>& score) {
  const double threshold = model.info().threshold;
  std::vector<EvalResult> results;
  for (int k = 0; k < kObfuscationCount; ++k) {
    EvalResult r;
    r.kind = static_cast<Obfuscation>(k);
    r.attacks.family = "all attacks";
    r.attacks.label = 1;
    r.benign.family = "all benign";
    std::map<std::pair<int, std::string>, FamilyResult> fam;
    std::vector<double> scores;
    std::vector<int> labels;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!selected.empty() && !selected[i]) continue;
      const std::string text = obfuscate(rows[i].text, r.kind);
      const double s = score(text);
      const bool flag = s >= threshold;
      FamilyResult& f = fam[{-rows[i].label, rows[i].family}];
      f.family = rows[i].family;
      f.label = rows[i].label;
      ++f.rows;
      f.flagged += flag;
      FamilyResult& all = rows[i].label == 1 ? r.attacks : r.benign;
      ++all.rows;
      all.flagged += flag;
      scores.push_back(s);
      labels.push_back(rows[i].label);
    }
    for (auto& [key, f] : fam) r.families.push_back(f);
    auto tpr_at = [&](double fpr) {
      const double t = threshold_for_fpr(scores, labels, fpr);
      std::size_t tp = 0, pos = 0;
      for (std::size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] == 1) {
          ++pos;
          tp += scores[i] >= t;
        }
      }
      return pos ? static_cast<double>(tp) / static_cast<double>(pos) : 0.0;
    };
    r.tpr_at_1pct = tpr_at(0.01);
    r.tpr_at_01pct = tpr_at(0.001);
    results.push_back(std::move(r));
  }
  return results;
}

std::string format_eval_markdown(const std::vector<EvalResult>& results, const PromptModel& model) {
  std::ostringstream md;
  md << "Threshold " << fmt(model.info().threshold, 6) << " (chosen for validation FP <= "
     << pct(model.info().target_fpr) << ")\n\n";
  md << "| variant | attacks detected | benign flagged (FP) | attack gap to plain (points) | detection at 1% FP | detection at 0.1% FP |\n";
  md << "|---|---|---|---|---|---|\n";
  const double plain = results.empty() ? 0.0 : results.front().attacks.rate();
  for (const auto& r : results) {
    md << "| " << to_string(r.kind) << " | " << r.attacks.flagged << "/" << r.attacks.rows << " = " << pct(r.attacks.rate())
       << " | " << r.benign.flagged << "/" << r.benign.rows << " = " << pct(r.benign.rate()) << " | "
       << fmt(100.0 * (r.attacks.rate() - plain), 1) << " | " << pct(r.tpr_at_1pct) << " | " << pct(r.tpr_at_01pct)
       << " |\n";
  }
  md << "\nPer family (attack families: detection rate; benign families: false-positive rate):\n\n";
  md << "| family | label |";
  for (const auto& r : results) md << ' ' << to_string(r.kind) << " |";
  md << "\n|---|---|";
  for (std::size_t i = 0; i < results.size(); ++i) md << "---|";
  md << '\n';
  if (!results.empty()) {
    for (std::size_t f = 0; f < results.front().families.size(); ++f) {
      const auto& fr = results.front().families[f];
      md << "| " << fr.family << " (" << fr.rows << ") | " << fr.label << " |";
      for (const auto& r : results) {
        const auto& x = r.families[f];
        md << ' ' << x.flagged << " = " << pct(x.rate()) << " |";
      }
      md << '\n';
    }
  }
  return md.str();
}

}  // namespace aiir::model
