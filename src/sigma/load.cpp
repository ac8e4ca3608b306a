// SPDX-License-Identifier: Apache-2.0
// Sigma rule loading: YAML documents to compiled rules and correlations, with
// every problem reported as an Issue (file:line), never thrown or dropped.
#include <re2/re2.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <span>
#include <sstream>

#include "sigma/detail.h"

namespace aiir::sigma::detail {
namespace {

/// Thrown inside the loader only; becomes an Issue for the rule.
struct RuleError {
  int line;
  std::string message;
  bool unsupported = false;
};

int line_of(const YAML::Node& node, int fallback) {
  if (!node || node.Mark().is_null()) return fallback;
  return node.Mark().line + 1;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = fold(c);
  return out;
}

std::string scalar(const YAML::Node& node) {
  if (!node || !node.IsScalar()) return {};
  return node.Scalar();
}

bool is_plain_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// ---- YAML -> JSON text (test records written as YAML maps)

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

/// The YAML node as JSON text. False when it nests deeper than kMaxJsonDepth:
/// an alias inside its own anchor ("&a {x: *a}") makes a cycle, which would
/// otherwise recurse until the stack overflows.
constexpr int kMaxJsonDepth = 64;
bool yaml_to_json(const YAML::Node& node, std::string& out, int depth = 0) {
  if (depth > kMaxJsonDepth) return false;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : node) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, kv.first.Scalar());
        out.push_back(':');
        if (!yaml_to_json(kv.second, out, depth + 1)) return false;
      }
      out.push_back('}');
      return true;
    }
    case YAML::NodeType::Sequence: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : node) {
        if (!first) out.push_back(',');
        first = false;
        if (!yaml_to_json(v, out, depth + 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "?") {  // plain scalar: YAML core types
        double d;
        if (s == "true" || s == "false") {
          out += s;
          return true;
        }
        if (s == "null" || s == "~") {
          out += "null";
          return true;
        }
        if (is_plain_number(s, d) && s.find_first_not_of("0123456789-.eE+") == std::string::npos) {
          out += s;
          return true;
        }
      }
      append_json_string(out, s);
      return true;
    }
    default:
      out += "null";
      return true;
  }
}

// ---- values and modifiers

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                      (static_cast<unsigned char>(in[i + 1]) << 8) |
                      static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

/// The three shifted encodings of `base64offset` (as pySigma computes them).
std::vector<std::string> base64_offsets(std::string_view value) {
  static constexpr std::size_t kStart[] = {0, 2, 3};
  static constexpr int kEndTrim[] = {0, 3, 2};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < 3; ++i) {
    std::string shifted(i, ' ');
    shifted += value;
    std::string enc = base64(shifted);
    std::size_t trim = static_cast<std::size_t>(kEndTrim[(value.size() + i) % 3]);
    if (enc.size() < kStart[i] + trim) continue;
    out.push_back(enc.substr(kStart[i], enc.size() - kStart[i] - trim));
  }
  return out;
}

/// Sigma escapes: `\*` `\?` `\\` are literal; a lone `\` is literal; `*` `?` wildcards.
std::string to_glob(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size() && (raw[i + 1] == '*' || raw[i + 1] == '?' || raw[i + 1] == '\\')) {
      out.push_back(raw[++i]);
    } else if (c == '*') {
      out.push_back(kStar);
    } else if (c == '?') {
      out.push_back(kQuestion);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// Literal text of a value (escapes removed, wildcards kept as characters).
std::string unescape(std::string_view raw) {
  std::string g = to_glob(raw);
  for (char& c : g) {
    if (c == kStar) c = '*';
    if (c == kQuestion) c = '?';
  }
  return g;
}

Pattern classify(std::string glob, bool cased) {
  Pattern p;
  p.cased = cased;
  auto wild = [](char c) { return c == kStar || c == kQuestion; };
  std::size_t n = glob.size();
  bool lead = n > 0 && glob[0] == kStar;
  bool trail = n > 1 && glob[n - 1] == kStar;
  std::string_view middle(glob);
  if (lead) middle.remove_prefix(1);
  if (trail || (lead && n == 1)) {
    if (!middle.empty() && middle.back() == kStar) middle.remove_suffix(1);
  }
  bool inner_wild = std::any_of(middle.begin(), middle.end(), wild);
  if (!inner_wild) {
    p.text = std::string(middle);
    p.op = lead && (trail || n == 1) ? Op::kContains : lead ? Op::kSuffix : trail ? Op::kPrefix : Op::kEquals;
    if (lead && n == 1) p.op = Op::kContains;  // "*" alone: any value
  } else {
    p.op = Op::kGlob;
    p.text = std::move(glob);
  }
  if (!cased) {
    for (char& c : p.text) c = fold(c);
  }
  return p;
}

FieldPath make_path(std::string_view name) {
  FieldPath p;
  p.name = std::string(name);
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    p.segments.emplace_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (p.segments[0] == "requestParameters") p.start = FieldPath::Start::kRequestParameters;
  if (p.segments[0] == "additionalEventData") p.start = FieldPath::Start::kAdditionalEventData;
  using N = FieldPath::Normalized;
  if (name == "eventName") p.normalized = N::kEventName;
  if (name == "eventSource") p.normalized = N::kEventSource;
  if (name == "userIdentity.type") p.normalized = N::kIdentityType;
  if (name == "operation") p.normalized = N::kOperation;
  return p;
}

const std::set<std::string, std::less<>> kUnsupportedModifiers = {
    "windash", "wide", "utf16", "utf16le", "utf16be", "minute", "hour", "day", "week", "month", "year"};
const std::set<std::string, std::less<>> kKnownModifiers = {
    "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "cased", "cidr", "exists",
    "fieldref", "base64", "base64offset", "expand", "lt", "lte", "gt", "gte", "neq"};

struct Mods {
  bool contains = false, startswith = false, endswith = false, all = false, re = false, re_i = false,
       re_m = false, re_s = false, cased = false, cidr = false, exists = false, fieldref = false,
       b64 = false, b64offset = false, expand = false, neq = false;
  Op numeric = Op::kEquals;
  bool has_numeric = false;
};

class Loader {
 public:
  Loader(RuleSetData& data, std::string file, const LoadOptions& options)
      : d_(data), file_(std::move(file)), options_(options) {}

  void load(std::string_view text);

 private:
  void document(const YAML::Node& doc, std::size_t index, std::size_t count);
  void fill_meta(const YAML::Node& doc, RuleInfo& info, Meta& meta, std::size_t index, std::size_t count, Source source);
  Source logsource(const YAML::Node& doc, int line);
  void detection(const YAML::Node& doc, Rule& rule, std::size_t info_index, RuleInfo& info);
  Selection selection(const std::string& name, const YAML::Node& node);
  std::vector<FieldItem> map_items(const YAML::Node& node);
  FieldItem field_item(const std::string& key, const YAML::Node& value, int line);
  std::vector<std::string> expand(const std::string& value, int line);
  void correlation(const YAML::Node& doc, std::size_t info_index, RuleInfo& info, Meta meta);
  void tests(const YAML::Node& doc, std::size_t info_index, RuleInfo& info, Source source);
  void issue(int line, const std::string& rule_id, std::string message, bool error) {
    d_.issues.push_back({file_, line, rule_id, std::move(message), error});
  }

  RuleSetData& d_;
  std::string file_;
  const LoadOptions& options_;
  int doc_line_ = 1;
  std::string rule_id_;
};

// ---- condition parsing

struct Token {
  std::string text;
  int kind;  // 0 word, 1 '(', 2 ')'
};

std::vector<Token> tokenize(std::string_view s, int line) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')') {
      out.push_back({std::string(1, c), c == '(' ? 1 : 2});
      ++i;
    } else {
      std::size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '(' && s[j] != ')') ++j;
      std::string word(s.substr(i, j - i));
      for (char w : word) {
        if (!(std::isalnum(static_cast<unsigned char>(w)) || w == '_' || w == '*' || w == '-' || w == '.')) {
          throw RuleError{line, "condition: unexpected character '" + std::string(1, w) + "' in '" + word + "'"};
        }
      }
      out.push_back({std::move(word), 0});
      i = j;
    }
  }
  return out;
}

class ConditionParser {
 public:
  ConditionParser(Rule& rule, std::vector<Token> tokens, int line)
      : rule_(rule), tokens_(std::move(tokens)), line_(line) {}

  int parse() {
    int root = expr();
    if (pos_ != tokens_.size()) fail("unexpected '" + tokens_[pos_].text + "'");
    return root;
  }

 private:
  bool is(std::string_view word) const {
    if (pos_ >= tokens_.size() || tokens_[pos_].kind != 0) return false;
    return lower(tokens_[pos_].text) == word;
  }
  [[noreturn]] void fail(const std::string& message) const {
    throw RuleError{line_, "condition: " + message};
  }
  int add(Node n) {
    rule_.nodes.push_back(std::move(n));
    return static_cast<int>(rule_.nodes.size() - 1);
  }
  int expr() {
    std::vector<int> parts{and_expr()};
    while (is("or")) {
      ++pos_;
      parts.push_back(and_expr());
    }
    if (parts.size() == 1) return parts[0];
    Node n;
    n.type = Node::kOr;
    n.children = std::move(parts);
    return add(std::move(n));
  }
  int and_expr() {
    std::vector<int> parts{not_expr()};
    while (is("and")) {
      ++pos_;
      parts.push_back(not_expr());
    }
    if (parts.size() == 1) return parts[0];
    Node n;
    n.type = Node::kAnd;
    n.children = std::move(parts);
    return add(std::move(n));
  }
  int not_expr() {
    if (is("not")) {
      ++pos_;
      Node n;
      n.type = Node::kNot;
      n.children = {not_expr()};
      return add(std::move(n));
    }
    return primary();
  }
  int primary() {
    if (pos_ >= tokens_.size()) fail("unexpected end");
    const Token& t = tokens_[pos_];
    if (t.kind == 1) {
      ++pos_;
      int inner = expr();
      if (pos_ >= tokens_.size() || tokens_[pos_].kind != 2) fail("missing ')'");
      ++pos_;
      return inner;
    }
    if (t.kind == 2) fail("unexpected ')'");
    std::string word = lower(t.text);
    if ((word == "1" || word == "all" || word == "any") && pos_ + 1 < tokens_.size() &&
        lower(tokens_[pos_ + 1].text) == "of") {
      pos_ += 2;
      if (pos_ >= tokens_.size() || tokens_[pos_].kind != 0) fail("'of' needs a pattern or 'them'");
      std::string pattern = tokens_[pos_++].text;
      bool them = lower(pattern) == "them";
      Node n;
      n.type = word == "all" ? Node::kAnd : Node::kOr;
      std::string glob = to_glob(pattern);
      for (std::size_t i = 0; i < rule_.sels.size(); ++i) {
        const std::string& name = rule_.sels[i].name;
        bool hit = them ? (name.empty() || name[0] != '_') : glob_match(glob, name, true);
        if (hit) {
          Node s;
          s.type = Node::kSel;
          s.sel = static_cast<int>(i);
          n.children.push_back(add(std::move(s)));
        }
      }
      if (n.children.empty()) fail("'" + t.text + " of " + pattern + "' matches no search identifier");
      return add(std::move(n));
    }
    if (word == "and" || word == "or" || word == "of" || word == "them") fail("unexpected '" + t.text + "'");
    if (std::isdigit(static_cast<unsigned char>(word[0])) && pos_ + 1 < tokens_.size() &&
        lower(tokens_[pos_ + 1].text) == "of") {
      throw RuleError{line_, "condition: '" + t.text + " of' is not supported (only '1 of' and 'all of')", true};
    }
    for (std::size_t i = 0; i < rule_.sels.size(); ++i) {
      if (rule_.sels[i].name == t.text) {
        ++pos_;
        Node s;
        s.type = Node::kSel;
        s.sel = static_cast<int>(i);
        return add(std::move(s));
      }
    }
    fail("unknown search identifier '" + t.text + "'");
  }

  Rule& rule_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int line_;
};

// ---- dispatch analysis: which values of a field (eventName, ...) a rule requires

using Constraint = std::optional<std::vector<std::string>>;  // nullopt: unconstrained

Constraint intersect(const Constraint& a, const Constraint& b) {
  if (!a) return b;
  if (!b) return a;
  std::vector<std::string> out;
  std::set_intersection(a->begin(), a->end(), b->begin(), b->end(), std::back_inserter(out));
  return out;
}

Constraint unite(const Constraint& a, const Constraint& b) {
  if (!a || !b) return std::nullopt;
  std::vector<std::string> out;
  std::set_union(a->begin(), a->end(), b->begin(), b->end(), std::back_inserter(out));
  return out;
}

Constraint item_constraint(const FieldItem& item, std::string_view field) {
  if (item.keyword || item.path.name != field || item.exists >= 0 || item.neq) return std::nullopt;
  if (item.all && item.patterns.size() > 1) return std::nullopt;
  std::vector<std::string> values;
  for (const Pattern& p : item.patterns) {
    if (p.op != Op::kEquals) return std::nullopt;
    values.push_back(lower(p.text));
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

Constraint node_constraint(const Rule& rule, int index, std::string_view field) {
  const Node& n = rule.nodes[static_cast<std::size_t>(index)];
  switch (n.type) {
    case Node::kSel: {
      const Selection& sel = rule.sels[static_cast<std::size_t>(n.sel)];
      Constraint result = std::vector<std::string>{};
      for (const auto& alt : sel.alternatives) {
        Constraint c;
        for (const FieldItem& item : alt) c = intersect(c, item_constraint(item, field));
        result = unite(result, c);
        if (!result) return std::nullopt;
      }
      return result;
    }
    case Node::kAnd: {
      Constraint c;
      for (int child : n.children) c = intersect(c, node_constraint(rule, child, field));
      return c;
    }
    case Node::kOr: {
      Constraint c = std::vector<std::string>{};
      for (int child : n.children) {
        c = unite(c, node_constraint(rule, child, field));
        if (!c) return std::nullopt;
      }
      return c;
    }
    case Node::kConst:
      return n.value ? Constraint{} : Constraint{std::vector<std::string>{}};
    case Node::kNot:
      return std::nullopt;
  }
  return std::nullopt;
}

// ---- tags, element, level

/// ATT&CK tactic -> methodology element (docs/sigma.md).
bool tactic_element(std::string tactic, Element& out) {
  std::replace(tactic.begin(), tactic.end(), '-', '_');
  static const std::vector<std::pair<std::string_view, Element>> kTable = {
      {"initial_access", Element::kAccess},         {"credential_access", Element::kAccess},
      {"persistence", Element::kAccess},            {"privilege_escalation", Element::kAccess},
      {"discovery", Element::kAccess},              {"lateral_movement", Element::kAccess},
      {"reconnaissance", Element::kAccess},         {"resource_development", Element::kAccess},
      {"defense_evasion", Element::kInfrastructure}, {"stealth", Element::kInfrastructure},
      {"impact", Element::kInfrastructure},         {"command_and_control", Element::kInfrastructure},
      {"exfiltration", Element::kPrivateData},      {"collection", Element::kPrivateData},
      {"execution", Element::kAgency},
  };
  for (const auto& [name, element] : kTable) {
    if (tactic == name) {
      out = element;
      return true;
    }
  }
  return false;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// "t1078.004" -> "T1078.004"; empty when not a technique id.
std::string technique(std::string_view t) {
  if (t.size() < 5 || fold(t[0]) != 't') return {};
  std::string_view rest = t.substr(1);
  std::size_t dot = rest.find('.');
  if (!digits(rest.substr(0, dot))) return {};
  if (dot != std::string_view::npos && !digits(rest.substr(dot + 1))) return {};
  std::string out = "T";
  out += rest;
  return out;
}

Severity level_severity(std::string_view level, bool& ok) {
  ok = true;
  std::string l = lower(level);
  if (l == "informational" || l == "info") return Severity::kInfo;
  if (l == "low") return Severity::kLow;
  if (l == "medium") return Severity::kMedium;
  if (l == "high") return Severity::kHigh;
  if (l == "critical") return Severity::kCritical;
  ok = false;
  return Severity::kMedium;
}

std::int64_t parse_timespan(const std::string& text, int line) {
  if (text.size() < 2) throw RuleError{line, "timespan '" + text + "' is not <number><s|m|h|d>"};
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc() || ptr != text.data() + text.size() - 1 || n <= 0) {
    throw RuleError{line, "timespan '" + text + "' is not <number><s|m|h|d>"};
  }
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1000; break;
    case 'm': unit = 60'000; break;
    case 'h': unit = 3'600'000; break;
    case 'd': unit = 86'400'000; break;
    default: throw RuleError{line, "timespan '" + text + "' is not <number><s|m|h|d>"};
  }
  // Bounded so that n * unit and event time + timespan cannot overflow.
  constexpr std::int64_t kMaxSpanMs = std::int64_t{100} * 366 * 86'400'000;
  std::int64_t ms = 0;
  if (n > kMaxSpanMs / unit || __builtin_mul_overflow(n, unit, &ms) || ms > kMaxSpanMs)
    throw RuleError{line, "timespan '" + text + "' is longer than 100 years"};
  return ms;
}

std::vector<std::string> string_list(const YAML::Node& node) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    for (const auto& v : node) out.push_back(scalar(v));
  }
  return out;
}

std::string file_stem(const std::string& file) {
  std::size_t slash = file.find_last_of('/');
  std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
  std::size_t dot = base.find_last_of('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

/// yaml-cpp 0.7's LoadAll loops forever on some malformed text (e.g. "[]--\n,"):
/// the parser reports empty documents at the same position without end, and
/// memory grows until the process dies. Walks the events first and throws a
/// ParserException when a document starts where the previous one did.
class ProgressCheck final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    stuck_ = started_ && mark.pos == last_.pos;
    started_ = true;
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  static void check(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    ProgressCheck handler;
    while (parser.HandleNextDocument(handler)) {
      if (handler.stuck_) throw YAML::ParserException(handler.last_, "malformed document (the parser makes no progress)");
    }
  }

 private:
  YAML::Mark last_;
  bool started_ = false;
  bool stuck_ = false;
};

// ---- Loader implementation

/// Blanks every top-level block of one of `keys` (its lines become empty, so
/// that line numbers of what follows stay right). A block ends at the next
/// line with something in column 0; when that is a sequence item ("- ", which
/// YAML allows at the key's indentation) the text is left as it is from there.
/// With keep_anchors, a block that defines an anchor (`&`) is kept: another
/// block may refer to it.
void blank_blocks(std::string& yaml, std::span<const std::string_view> keys, bool keep_anchors) {
  std::size_t pos = 0;
  while (pos < yaml.size()) {
    std::size_t eol = yaml.find('\n', pos);
    if (eol == std::string::npos) eol = yaml.size();
    std::string_view line(yaml.data() + pos, eol - pos);
    auto is_key = [&](std::string_view k) {
      return line.size() > k.size() && line.starts_with(k) && line[k.size()] == ':' &&
             (line.size() == k.size() + 1 || line[k.size() + 1] == ' ' || line[k.size() + 1] == '\r' ||
              line[k.size() + 1] == '#');
    };
    // Most lines are indented (or blank): no key starts there.
    const bool key = !line.empty() && line[0] >= 'a' && line[0] <= 'z' && std::any_of(keys.begin(), keys.end(), is_key);
    if (!key) {
      pos = eol + 1;
      continue;
    }
    std::size_t end = eol + 1;  // first byte after the block
    while (end < yaml.size()) {
      const char c = yaml[end];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '#') break;
      std::size_t next = yaml.find('\n', end);
      end = next == std::string::npos ? yaml.size() : next + 1;
    }
    if (end < yaml.size() && yaml[end] == '-' && yaml.compare(end, 3, "---") != 0) return;
    end = std::min(end, yaml.size());
    if (keep_anchors && std::string_view(yaml.data() + pos, end - pos).find('&') != std::string_view::npos) {
      pos = end;
      continue;
    }
    const auto lines = static_cast<std::size_t>(std::count(yaml.begin() + static_cast<std::ptrdiff_t>(pos),
                                                           yaml.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    yaml.replace(pos, end - pos, lines, '\n');
    pos += lines;
  }
}

/// The `tests:` cases: most of the shipped pack's text; a scan does not run them.
constexpr std::string_view kTestsKey[] = {"tests"};
/// Metadata that no part of a scan reads: as long again as the rules' detections.
constexpr std::string_view kMetadataKeys[] = {"description", "references", "falsepositives", "author", "date",
                                              "modified",    "status",     "license",        "fields", "related"};

void Loader::load(std::string_view text) {
  std::vector<YAML::Node> docs;
  auto parse = [&docs](const std::string& yaml) {
    ProgressCheck::check(yaml);
    docs = YAML::LoadAll(yaml);
  };
  try {
    std::string yaml(text);
    if (options_.tests) {
      parse(yaml);
    } else {
      blank_blocks(yaml, kTestsKey, false);
      std::string lean = yaml;
      blank_blocks(lean, kMetadataKeys, true);
      try {
        parse(lean);
      } catch (const YAML::Exception&) {
        // Blanking metadata can break only odd text (a quoted scalar continued
        // in column 0): the text with its metadata decides, and reports its error.
        parse(yaml);
      }
    }
  } catch (const YAML::Exception& e) {
    issue(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML error: " + e.msg, true);
    RuleInfo info;
    info.file = file_;
    info.line = e.mark.is_null() ? 0 : e.mark.line + 1;
    info.status = RuleStatus::kError;
    info.reason = "YAML error: " + e.msg;
    info.title = file_stem(file_);
    d_.infos.push_back(std::move(info));
    d_.tests.emplace_back();
    d_.info_rule.push_back(-1);
    d_.info_corr.push_back(-1);
    return;
  }
  std::size_t count = 0;
  for (const auto& doc : docs) {
    if (doc && !doc.IsNull()) ++count;
  }
  std::size_t index = 0;
  for (const auto& doc : docs) {
    if (!doc || doc.IsNull()) continue;
    document(doc, index++, count);
  }
}

Source Loader::logsource(const YAML::Node& doc, int line) {
  YAML::Node ls = doc["logsource"];
  if (!ls || !ls.IsMap()) throw RuleError{line, "missing logsource"};
  std::string product = lower(scalar(ls["product"]));
  std::string service = lower(scalar(ls["service"]));
  std::string category = lower(scalar(ls["category"]));
  int l = line_of(ls, line);
  if (!product.empty() && product != "aws") {
    throw RuleError{l, "logsource product '" + product + "' is not read by aiir (product: aws)", true};
  }
  if (service == "cloudtrail") return Source::kCloudTrail;
  if (service == "bedrock") return Source::kInvocation;
  if (!service.empty()) {
    throw RuleError{l, "logsource service '" + service + "' is not read by aiir (cloudtrail, bedrock)", true};
  }
  if (category == "model_invocation") return Source::kInvocation;
  if (!category.empty()) {
    throw RuleError{l, "logsource category '" + category + "' is not read by aiir", true};
  }
  if (product.empty()) throw RuleError{l, "logsource names no product or service", true};
  return Source::kAny;
}

void Loader::fill_meta(const YAML::Node& doc, RuleInfo& info, Meta& meta, std::size_t index,
                       std::size_t count, Source source) {
  meta.id = info.id;
  meta.title = info.title;
  if (!info.name.empty()) {
    meta.finding_rule = info.name;
  } else if (!info.id.empty()) {
    meta.finding_rule = "sigma." + info.id;
  } else {
    meta.finding_rule = "sigma." + file_stem(file_) + (count > 1 ? "#" + std::to_string(index + 1) : "");
  }
  info.finding_rule = meta.finding_rule;
  bool ok = true;
  meta.severity = level_severity(info.level, ok);
  bool have_element = false;
  Element tactic = Element::kInfrastructure;
  bool have_tactic = false;
  for (const std::string& raw : string_list(doc["tags"])) {
    std::string tag = lower(raw);
    if (tag.rfind("aiir.", 0) == 0) {
      Element e;
      if (parse_element(tag.substr(5), e)) {
        if (!have_element) meta.element = e;
        have_element = true;
      } else {
        issue(line_of(doc["tags"], doc_line_), rule_id_, "unknown element tag '" + raw + "'", false);
      }
    } else if (tag.rfind("attack.", 0) == 0) {
      std::string rest = tag.substr(7);
      std::string t = technique(rest);
      if (!t.empty()) {
        meta.tags.attack.push_back(t);
      } else if (!have_tactic) {
        have_tactic = tactic_element(rest, tactic);
      }
    } else if (tag.rfind("atlas.", 0) == 0) {
      std::string rest = tag.substr(6);
      if (rest.rfind("aml.", 0) == 0) rest = rest.substr(4);
      std::string t = technique(rest);
      if (!t.empty()) meta.tags.atlas.push_back("AML." + t);
    } else if (tag.rfind("owasp.llm", 0) == 0) {
      std::string num = tag.substr(9);
      std::size_t cut = num.find_first_of(":_");
      if (cut != std::string::npos) num = num.substr(0, cut);
      if (digits(num)) meta.tags.owasp_llm.push_back("LLM" + num + ":2025");
    }
  }
  if (!have_element) {
    if (have_tactic) {
      meta.element = tactic;
    } else {
      meta.element = source == Source::kInvocation ? Element::kInvocation : Element::kInfrastructure;
    }
  }
  info.element = std::string(to_string(meta.element));
}

void Loader::document(const YAML::Node& doc, std::size_t index, std::size_t count) {
  doc_line_ = line_of(doc, 1);
  RuleInfo info;
  info.file = file_;
  info.line = doc_line_;
  const std::size_t info_index = d_.infos.size();
  d_.tests.emplace_back();
  d_.info_rule.push_back(-1);
  d_.info_corr.push_back(-1);
  try {
    if (!doc.IsMap()) throw RuleError{doc_line_, "a rule document must be a YAML map"};
    info.id = scalar(doc["id"]);
    info.name = scalar(doc["name"]);
    info.title = scalar(doc["title"]);
    info.level = scalar(doc["level"]);
    rule_id_ = !info.id.empty() ? info.id : info.name;
    if (info.title.empty()) throw RuleError{doc_line_, "missing title"};
    if (doc["filter"] && !doc["detection"]) {
      throw RuleError{doc_line_, "Sigma filters (meta-filters) are not supported", true};
    }
    bool ok = true;
    if (!info.level.empty()) level_severity(info.level, ok);
    if (!ok) issue(line_of(doc["level"], doc_line_), rule_id_, "unknown level '" + info.level + "'", false);
    if (doc["correlation"]) {
      Meta meta;
      fill_meta(doc, info, meta, index, count, Source::kAny);
      info.correlation = true;
      correlation(doc, info_index, info, std::move(meta));
    } else {
      Source source = logsource(doc, doc_line_);
      Rule rule;
      fill_meta(doc, info, rule.meta, index, count, source);
      rule.source = source;
      rule.meta.info = info_index;
      detection(doc, rule, info_index, info);
      tests(doc, info_index, info, source);
    }
  } catch (const RuleError& e) {
    info.status = e.unsupported ? RuleStatus::kUnsupported : RuleStatus::kError;
    info.reason = e.message;
    issue(e.line, rule_id_, e.message, !e.unsupported);
    d_.info_rule[info_index] = -1;
    d_.info_corr[info_index] = -1;
  } catch (const YAML::Exception& e) {
    info.status = RuleStatus::kError;
    info.reason = "YAML error: " + e.msg;
    issue(e.mark.is_null() ? doc_line_ : e.mark.line + 1, rule_id_, info.reason, true);
  }
  d_.infos.push_back(std::move(info));
}

std::vector<std::string> Loader::expand(const std::string& value, int line) {
  // Split into literal pieces and placeholder names; `\%` is a literal percent.
  std::vector<std::string> results{""};
  std::size_t i = 0;
  while (i < value.size()) {
    if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == '%') {
      for (auto& r : results) r += '%';
      i += 2;
    } else if (value[i] == '%') {
      std::size_t end = value.find('%', i + 1);
      if (end == std::string::npos) {
        for (auto& r : results) r += value.substr(i);
        break;
      }
      std::string name = value.substr(i + 1, end - i - 1);
      const std::vector<std::string>* values = nullptr;
      if (options_.profile != nullptr) {
        for (const auto& [key, vals] : options_.profile->placeholders) {
          if (key == name) values = &vals;
        }
      }
      if (values == nullptr || values->empty()) {
        throw RuleError{line, "placeholder %" + name + "% has no value (define it under placeholders in the profile)", true};
      }
      std::vector<std::string> next;
      for (const auto& r : results) {
        for (const auto& v : *values) next.push_back(r + v);
      }
      results = std::move(next);
      i = end + 1;
    } else {
      for (auto& r : results) r += value[i];
      ++i;
    }
  }
  return results;
}

FieldItem Loader::field_item(const std::string& key, const YAML::Node& value, int line) {
  FieldItem item;
  std::vector<std::string> parts;
  {
    std::size_t start = 0;
    while (true) {
      std::size_t bar = key.find('|', start);
      parts.push_back(key.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
  }
  Mods m;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string mod = lower(parts[i]);
    if (kUnsupportedModifiers.count(mod) != 0) {
      throw RuleError{line, "modifier '" + mod + "' is not supported for cloud logs", true};
    }
    if (kKnownModifiers.count(mod) == 0) throw RuleError{line, "unknown modifier '" + parts[i] + "'"};
    if (mod == "contains") m.contains = true;
    else if (mod == "startswith") m.startswith = true;
    else if (mod == "endswith") m.endswith = true;
    else if (mod == "all") m.all = true;
    else if (mod == "re") m.re = true;
    else if (mod == "i") m.re_i = true;
    else if (mod == "m") m.re_m = true;
    else if (mod == "s") m.re_s = true;
    else if (mod == "cased") m.cased = true;
    else if (mod == "cidr") m.cidr = true;
    else if (mod == "exists") m.exists = true;
    else if (mod == "fieldref") m.fieldref = true;
    else if (mod == "base64") m.b64 = true;
    else if (mod == "base64offset") m.b64offset = true;
    else if (mod == "expand") m.expand = true;
    else if (mod == "neq") m.neq = true;
    else {
      m.has_numeric = true;
      m.numeric = mod == "lt" ? Op::kLt : mod == "lte" ? Op::kLte : mod == "gt" ? Op::kGt : Op::kGte;
    }
  }
  if ((m.re_i || m.re_m || m.re_s) && !m.re) throw RuleError{line, "modifiers i, m, s need re"};
  const std::string& field = parts[0];
  item.keyword = field.empty();
  if (!item.keyword) item.path = make_path(field);
  item.all = m.all;
  item.neq = m.neq;

  // Values: a scalar, null, or a list of scalars.
  std::vector<std::optional<std::string>> values;
  auto take = [&](const YAML::Node& v) {
    if (v.IsNull()) {
      values.emplace_back(std::nullopt);
    } else if (v.IsScalar()) {
      values.emplace_back(v.Scalar());
    } else {
      throw RuleError{line_of(v, line), "field '" + key + "': a value must be a scalar or a list of scalars"};
    }
  };
  if (value.IsSequence()) {
    for (const auto& v : value) take(v);
    if (values.empty()) throw RuleError{line, "field '" + key + "': empty value list"};
  } else {
    take(value);
  }

  if (m.exists) {
    if (values.size() != 1 || !values[0] || (lower(*values[0]) != "true" && lower(*values[0]) != "false")) {
      throw RuleError{line, "exists needs true or false"};
    }
    if (item.keyword) throw RuleError{line, "exists needs a field"};
    item.exists = lower(*values[0]) == "true" ? 1 : 0;
    return item;
  }
  for (const auto& v : values) {
    if (!v) {
      if (m.re || m.cidr || m.has_numeric || m.fieldref || m.contains || m.startswith || m.endswith) {
        throw RuleError{line, "field '" + key + "': null cannot be combined with modifiers"};
      }
      Pattern p;
      p.op = Op::kNull;
      item.patterns.push_back(std::move(p));
      continue;
    }
    const std::string& raw = *v;
    if (m.re) {
      RE2::Options o;
      o.set_log_errors(false);
      o.set_case_sensitive(!m.re_i);
      o.set_dot_nl(m.re_s);
      o.set_never_capture(true);
      std::string pattern = m.re_m ? "(?m)" + raw : raw;
      auto re = std::make_shared<RE2>(pattern, o);
      if (!re->ok()) {
        throw RuleError{line, "regular expression '" + raw + "' is not supported by RE2: " + re->error(), true};
      }
      Pattern p;
      p.op = Op::kRegex;
      p.re = std::move(re);
      item.patterns.push_back(std::move(p));
      continue;
    }
    if (m.cidr) {
      Pattern p;
      p.op = Op::kCidr;
      std::size_t slash = raw.find('/');
      if (!parse_ip(raw.substr(0, slash), p.net)) throw RuleError{line, "bad CIDR '" + raw + "'"};
      if (slash != std::string::npos) {
        int bits = -1;
        std::string_view b(raw);
        b.remove_prefix(slash + 1);
        auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
        if (ec != std::errc() || ptr != b.data() + b.size() || bits < 0 || bits > p.net.bits) {
          throw RuleError{line, "bad CIDR '" + raw + "'"};
        }
        p.net.bits = bits;
      }
      item.patterns.push_back(std::move(p));
      continue;
    }
    if (m.has_numeric) {
      Pattern p;
      p.op = m.numeric;
      if (!is_plain_number(raw, p.number)) throw RuleError{line, "'" + raw + "' is not a number"};
      item.patterns.push_back(std::move(p));
      continue;
    }
    if (m.fieldref) {
      if (item.keyword) throw RuleError{line, "fieldref needs a field"};
      Pattern p;
      p.op = Op::kFieldRef;
      p.cased = m.cased;
      p.ref = make_path(raw);
      p.ref_op = m.contains ? Op::kContains : m.startswith ? Op::kPrefix : m.endswith ? Op::kSuffix : Op::kEquals;
      item.patterns.push_back(std::move(p));
      continue;
    }
    std::vector<std::string> texts = m.expand ? expand(raw, line) : std::vector<std::string>{raw};
    for (const std::string& text : texts) {
      std::vector<std::string> globs;
      bool cased = m.cased;
      if (m.b64 || m.b64offset) {
        std::string plain = unescape(text);
        if (m.b64) {
          globs.push_back(base64(plain));
        } else {
          globs = base64_offsets(plain);
        }
        cased = true;  // base64 text is case-sensitive by nature
      } else {
        globs.push_back(to_glob(text));
      }
      for (std::string& glob : globs) {
        if (m.contains || item.keyword) {
          if (glob.empty() || glob.front() != kStar) glob.insert(glob.begin(), kStar);
          if (glob.size() == 1 || glob.back() != kStar) glob.push_back(kStar);
        } else if (m.startswith) {
          if (glob.empty() || glob.back() != kStar) glob.push_back(kStar);
        } else if (m.endswith) {
          if (glob.empty() || glob.front() != kStar) glob.insert(glob.begin(), kStar);
        }
        Pattern p = classify(glob, cased);
        double number = 0;
        if (p.op == Op::kEquals && !m.b64 && !m.b64offset && is_plain_number(raw, number)) {
          p.numeric = true;
          p.number = number;
        }
        item.patterns.push_back(std::move(p));
      }
    }
  }
  return item;
}

std::vector<FieldItem> Loader::map_items(const YAML::Node& node) {
  std::vector<FieldItem> items;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) throw RuleError{line_of(kv.first, doc_line_), "a field name must be a string"};
    items.push_back(field_item(kv.first.Scalar(), kv.second, line_of(kv.first, doc_line_)));
  }
  return items;
}

Selection Loader::selection(const std::string& name, const YAML::Node& node) {
  Selection sel;
  sel.name = name;
  int line = line_of(node, doc_line_);
  if (node.IsMap()) {
    sel.alternatives.push_back(map_items(node));
  } else if (node.IsSequence()) {
    FieldItem keywords;
    keywords.keyword = true;
    for (const auto& v : node) {
      if (v.IsMap()) {
        sel.alternatives.push_back(map_items(v));
      } else if (v.IsScalar()) {
        FieldItem one = field_item("", v, line_of(v, line));
        for (auto& p : one.patterns) keywords.patterns.push_back(std::move(p));
      } else {
        throw RuleError{line_of(v, line), "search identifier '" + name + "': unexpected nested list"};
      }
    }
    if (!keywords.patterns.empty()) sel.alternatives.push_back({std::move(keywords)});
  } else if (node.IsScalar()) {
    sel.alternatives.push_back({field_item("", node, line)});
  } else {
    throw RuleError{line, "search identifier '" + name + "' is empty"};
  }
  if (sel.alternatives.empty()) throw RuleError{line, "search identifier '" + name + "' is empty"};
  return sel;
}

struct Legacy {
  bool near = false;
  std::string count_field;
  std::string group_by;
  std::string op;
  std::int64_t threshold = 0;
  std::string near_expr;
};

Legacy parse_legacy(const std::string& agg, int line) {
  Legacy l;
  std::string s = agg;
  auto trim = [](std::string t) {
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(t.begin());
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    return t;
  };
  s = trim(s);
  if (s.rfind("near ", 0) == 0) {
    l.near = true;
    l.near_expr = trim(s.substr(5));
    return l;
  }
  if (s.rfind("count(", 0) != 0) {
    throw RuleError{line, "legacy aggregation '" + agg + "' is not supported", true};
  }
  std::size_t close = s.find(')');
  if (close == std::string::npos) throw RuleError{line, "legacy aggregation: missing ')'"};
  l.count_field = trim(s.substr(6, close - 6));
  std::string rest = trim(s.substr(close + 1));
  if (rest.rfind("by ", 0) == 0) {
    rest = trim(rest.substr(3));
    std::size_t sp = rest.find_first_of(" <>=!");
    l.group_by = rest.substr(0, sp);
    rest = sp == std::string::npos ? "" : trim(rest.substr(sp));
  }
  std::size_t num = rest.find_first_of("0123456789");
  if (num == std::string::npos) throw RuleError{line, "legacy aggregation '" + agg + "' has no threshold"};
  l.op = trim(rest.substr(0, num));
  std::string n = trim(rest.substr(num));
  auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), l.threshold);
  if (ec != std::errc() || ptr != n.data() + n.size()) {
    throw RuleError{line, "legacy aggregation '" + agg + "': bad threshold"};
  }
  if (l.op != ">" && l.op != ">=" && l.op != "<" && l.op != "<=" && l.op != "=" && l.op != "==" && l.op != "!=") {
    throw RuleError{line, "legacy aggregation '" + agg + "': bad operator"};
  }
  return l;
}

void Loader::detection(const YAML::Node& doc, Rule& rule, std::size_t info_index, RuleInfo& info) {
  YAML::Node det = doc["detection"];
  if (!det || !det.IsMap()) throw RuleError{doc_line_, "missing detection"};
  YAML::Node cond = det["condition"];
  if (!cond) throw RuleError{line_of(det, doc_line_), "detection has no condition"};
  int cond_line = line_of(cond, doc_line_);
  std::string timeframe;
  int timeframe_line = 0;
  for (const auto& kv : det) {
    std::string key = scalar(kv.first);
    if (key == "condition") continue;
    if (key == "timeframe") {
      timeframe = scalar(kv.second);
      timeframe_line = line_of(kv.first, doc_line_);
      continue;
    }
    rule.sels.push_back(selection(key, kv.second));
  }
  std::vector<std::string> conditions = string_list(cond);
  if (conditions.empty()) throw RuleError{cond_line, "empty condition"};

  // Legacy aggregations (`sel | count() by f > n`, `a | near b`) become correlations.
  if (conditions.size() == 1 && conditions[0].find('|') != std::string::npos) {
    const std::string& c = conditions[0];
    std::size_t bar = c.find('|');
    Legacy legacy = parse_legacy(c.substr(bar + 1), cond_line);
    if (timeframe.empty()) {
      throw RuleError{cond_line, "legacy aggregation '" + c + "' without timeframe cannot be correlated", true};
    }
    Correlation corr;
    corr.meta = rule.meta;
    corr.timespan_ms = parse_timespan(timeframe, timeframe_line);
    std::vector<std::string> exprs{c.substr(0, bar)};
    if (legacy.near) {
      if (legacy.near_expr.find(" not ") != std::string::npos || legacy.near_expr.rfind("not ", 0) == 0) {
        throw RuleError{cond_line, "legacy 'near ... and not' is not supported", true};
      }
      exprs.push_back(legacy.near_expr);
      corr.type = CorrType::kTemporal;
    } else {
      corr.type = legacy.count_field.empty() ? CorrType::kEventCount : CorrType::kValueCount;
      if (!legacy.count_field.empty()) corr.value_field = make_path(legacy.count_field);
      if (!legacy.group_by.empty()) corr.group_by.push_back(legacy.group_by);
      Range& r = corr.condition;
      const std::string& op = legacy.op;
      if (op == ">") r.has_gt = true, r.gt = legacy.threshold;
      else if (op == ">=") r.has_gte = true, r.gte = legacy.threshold;
      else if (op == "<") r.has_lt = true, r.lt = legacy.threshold;
      else if (op == "<=") r.has_lte = true, r.lte = legacy.threshold;
      else if (op == "!=") r.has_neq = true, r.neq = legacy.threshold;
      else r.has_eq = true, r.eq = legacy.threshold;
    }
    std::size_t first_rule = d_.rules.size();
    for (std::size_t k = 0; k < exprs.size(); ++k) {
      Rule base = rule;
      base.nodes.clear();
      base.generate = false;
      base.root = ConditionParser(base, tokenize(exprs[k], cond_line), cond_line).parse();
      base.meta.finding_rule.append(1, '/').append(std::to_string(k));  // not `+=`: GCC 12 -Wrestrict false positive
      d_.rules.push_back(std::move(base));
    }
    for (std::size_t k = 0; k < exprs.size(); ++k) {
      corr.refs.push_back({false, static_cast<std::uint32_t>(first_rule + k)});
      std::vector<FieldPath> paths;
      for (const auto& g : corr.group_by) paths.push_back(make_path(g));
      corr.group_paths.push_back(std::move(paths));
    }
    info.correlation = true;
    corr.legacy = true;
    corr.line = cond_line;
    corr.file = file_;
    corr.rule_id = rule_id_;
    d_.info_corr[info_index] = static_cast<int>(d_.corrs.size());
    d_.corrs.push_back(std::move(corr));
    issue(cond_line, rule_id_,
          "legacy aggregation '" + c + "' converted to " +
              (legacy.near ? std::string("a temporal") : legacy.count_field.empty() ? "an event_count" : "a value_count") +
              " correlation over " + timeframe,
          false);
    return;
  }
  if (!timeframe.empty()) {
    issue(timeframe_line, rule_id_, "timeframe without an aggregation is ignored (single-event rule)", false);
  }
  std::vector<int> roots;
  for (const std::string& c : conditions) {
    if (c.find('|') != std::string::npos) {
      throw RuleError{cond_line, "legacy aggregation in a condition list is not supported", true};
    }
    roots.push_back(ConditionParser(rule, tokenize(c, cond_line), cond_line).parse());
  }
  if (roots.size() == 1) {
    rule.root = roots[0];
  } else {
    Node n;
    n.type = Node::kOr;
    n.children = roots;
    rule.nodes.push_back(std::move(n));
    rule.root = static_cast<int>(rule.nodes.size() - 1);
  }
  // A rule whose condition needs two different eventNames at once never fires.
  std::string_view key = rule.source == Source::kInvocation ? "operation" : "eventName";
  Constraint c = node_constraint(rule, rule.root, key);
  if (c && c->empty()) {
    issue(cond_line, rule_id_, "condition can never match: no single " + std::string(key) + " satisfies it", false);
  }
  d_.info_rule[info_index] = static_cast<int>(d_.rules.size());
  d_.rules.push_back(std::move(rule));
}

void Loader::correlation(const YAML::Node& doc, std::size_t info_index, RuleInfo& info, Meta meta) {
  YAML::Node c = doc["correlation"];
  int line = line_of(c, doc_line_);
  if (!c.IsMap()) throw RuleError{line, "correlation must be a map"};
  Correlation corr;
  corr.meta = std::move(meta);
  corr.meta.info = info_index;
  std::string type = scalar(c["type"]);
  if (type == "event_count") corr.type = CorrType::kEventCount;
  else if (type == "value_count") corr.type = CorrType::kValueCount;
  else if (type == "temporal") corr.type = CorrType::kTemporal;
  else if (type == "temporal_ordered") corr.type = CorrType::kTemporalOrdered;
  else if (type == "value_sum" || type == "value_avg" || type == "value_percentile") {
    throw RuleError{line_of(c["type"], line), "correlation type '" + type + "' is not supported", true};
  } else {
    throw RuleError{line_of(c["type"], line), "unknown correlation type '" + type + "'"};
  }
  std::vector<std::string> refs = string_list(c["rules"]);
  if (refs.empty()) throw RuleError{line, "correlation names no rules"};
  corr.group_by = string_list(c["group-by"]);
  if (!c["timespan"]) throw RuleError{line, "correlation has no timespan"};
  corr.timespan_ms = parse_timespan(scalar(c["timespan"]), line_of(c["timespan"], line));
  YAML::Node cond = c["condition"];
  if (cond) {
    if (!cond.IsMap()) throw RuleError{line_of(cond, line), "correlation condition must be a map"};
    for (const auto& kv : cond) {
      std::string k = scalar(kv.first);
      if (k == "field") {
        corr.value_field = make_path(scalar(kv.second));
        continue;
      }
      std::int64_t v = 0;
      std::string s = scalar(kv.second);
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || ptr != s.data() + s.size()) {
        throw RuleError{line_of(kv.second, line), "correlation condition '" + k + "' needs an integer"};
      }
      Range& r = corr.condition;
      if (k == "gt") r.has_gt = true, r.gt = v;
      else if (k == "gte") r.has_gte = true, r.gte = v;
      else if (k == "lt") r.has_lt = true, r.lt = v;
      else if (k == "lte") r.has_lte = true, r.lte = v;
      else if (k == "eq") r.has_eq = true, r.eq = v;
      else if (k == "neq") r.has_neq = true, r.neq = v;
      else throw RuleError{line_of(kv.first, line), "unknown correlation condition '" + k + "'"};
    }
  }
  if ((corr.type == CorrType::kEventCount || corr.type == CorrType::kValueCount) && !corr.condition.any()) {
    throw RuleError{line, "correlation " + type + " needs a condition"};
  }
  if (corr.type == CorrType::kValueCount && corr.value_field.name.empty()) {
    throw RuleError{line, "value_count needs condition.field"};
  }
  YAML::Node gen = doc["generate"] ? doc["generate"] : c["generate"];
  corr.generate_refs = gen && lower(scalar(gen)) == "true";
  YAML::Node aliases = c["aliases"];
  if (aliases) {
    if (!aliases.IsMap()) throw RuleError{line_of(aliases, line), "aliases must be a map"};
    for (const auto& kv : aliases) {
      std::vector<std::pair<std::string, std::string>> per_rule;
      if (!kv.second.IsMap()) throw RuleError{line_of(kv.second, line), "alias '" + scalar(kv.first) + "' must map rule names to fields"};
      for (const auto& r : kv.second) per_rule.emplace_back(scalar(r.first), scalar(r.second));
      corr.aliases.emplace_back(scalar(kv.first), std::move(per_rule));
    }
  }
  // Refs and aliases are resolved in link(), when every file is loaded.
  corr.ref_names = std::move(refs);
  corr.line = line;
  corr.file = file_;
  corr.rule_id = rule_id_;
  d_.info_corr[info_index] = static_cast<int>(d_.corrs.size());
  d_.corrs.push_back(std::move(corr));
  tests(doc, info_index, info, Source::kCloudTrail);
}

void Loader::tests(const YAML::Node& doc, std::size_t info_index, RuleInfo& info, Source source) {
  YAML::Node t = doc["tests"];
  if (!t) return;
  int line = line_of(t, doc_line_);
  if (!t.IsMap()) {
    issue(line, rule_id_, "tests: must be a map with match: and nomatch: lists", false);
    return;
  }
  EventKind kind = source == Source::kInvocation ? EventKind::kInvocation : EventKind::kCloudTrail;
  std::string k = lower(scalar(t["kind"]));
  if (k == "invocation" || k == "bedrock") kind = EventKind::kInvocation;
  else if (k == "cloudtrail") kind = EventKind::kCloudTrail;
  else if (k == "insight") kind = EventKind::kInsight;
  else if (!k.empty()) issue(line_of(t["kind"], line), rule_id_, "tests: unknown kind '" + k + "'", false);
  simdjson::dom::parser parser;
  auto record_json = [&](const YAML::Node& r, std::string& out) -> bool {
    if (r.IsMap()) {
      if (yaml_to_json(r, out)) return true;
      issue(line_of(r, line), rule_id_, "tests: case nests too deep (or an alias refers to itself)", false);
      return false;
    }
    if (r.IsScalar()) {
      out = r.Scalar();
      simdjson::dom::element el;
      if (parser.parse(out).get(el) != simdjson::SUCCESS || !el.is_object()) {
        issue(line_of(r, line), rule_id_, "tests: case is not a JSON object", false);
        return false;
      }
      return true;
    }
    issue(line_of(r, line), rule_id_, "tests: a case is a record (map or JSON text) or a list of records", false);
    return false;
  };
  for (const char* key : {"match", "nomatch"}) {
    YAML::Node list = t[key];
    if (!list) continue;
    if (!list.IsSequence()) {
      issue(line_of(list, line), rule_id_, std::string("tests: ") + key + " must be a list", false);
      continue;
    }
    for (const auto& entry : list) {
      TestCase tc;
      tc.match = std::string_view(key) == "match";
      tc.kind = kind;
      tc.line = line_of(entry, line);
      bool ok = true;
      if (entry.IsSequence()) {
        for (const auto& r : entry) {
          std::string json;
          ok = ok && record_json(r, json);
          tc.records.push_back(std::move(json));
        }
        if (tc.records.empty()) ok = false;
      } else {
        std::string json;
        ok = record_json(entry, json);
        tc.records.push_back(std::move(json));
      }
      if (!ok) continue;
      (tc.match ? info.positive_cases : info.negative_cases)++;
      d_.tests[info_index].push_back(std::move(tc));
    }
  }
}

}  // namespace

void load_text(RuleSetData& data, std::string_view text, const std::string& file,
               const LoadOptions& options) {
  Loader(data, file, options).load(text);
}

namespace {

void add_index(Index& index, const std::vector<std::string>& keys, std::uint32_t rule) {
  for (const auto& key : keys) {
    auto& list = index[key];
    if (list.empty() || list.back() != rule) list.push_back(rule);
  }
}

}  // namespace

void link(RuleSetData& d) {
  // Names and ids of every document, for correlation references.
  std::unordered_map<std::string, std::size_t> by_key;
  for (std::size_t i = 0; i < d.infos.size(); ++i) {
    const RuleInfo& info = d.infos[i];
    if (!info.name.empty()) by_key.emplace(info.name, i);
    if (!info.id.empty()) by_key.emplace(info.id, i);
  }
  auto fail = [&](Correlation& c, const std::string& message, bool unsupported) {
    RuleInfo& info = d.infos[c.meta.info];
    info.status = unsupported ? RuleStatus::kUnsupported : RuleStatus::kError;
    info.reason = message;
    d.issues.push_back({c.file, c.line, c.rule_id, message, !unsupported});
  };
  for (std::size_t ci = 0; ci < d.corrs.size(); ++ci) {
    Correlation& c = d.corrs[ci];
    if (d.infos[c.meta.info].status != RuleStatus::kLoaded || c.legacy) continue;
    bool ok = true;
    for (const std::string& name : c.ref_names) {
      auto it = by_key.find(name);
      if (it == by_key.end()) {
        fail(c, "correlation refers to unknown rule '" + name + "'", false);
        ok = false;
        break;
      }
      const RuleInfo& target = d.infos[it->second];
      if (target.status != RuleStatus::kLoaded) {
        fail(c, "correlation refers to rule '" + name + "' which did not load: " + target.reason,
             target.status == RuleStatus::kUnsupported);
        ok = false;
        break;
      }
      if (d.info_rule[it->second] >= 0) {
        c.refs.push_back({false, static_cast<std::uint32_t>(d.info_rule[it->second])});
      } else if (d.info_corr[it->second] >= 0) {
        if (static_cast<std::size_t>(d.info_corr[it->second]) == ci) {
          fail(c, "correlation refers to itself", false);
          ok = false;
          break;
        }
        c.refs.push_back({true, static_cast<std::uint32_t>(d.info_corr[it->second])});
      }
      // Group-by fields per referenced rule, through aliases.
      std::vector<FieldPath> paths;
      for (const std::string& g : c.group_by) {
        std::string field = g;
        for (const auto& [alias, per_rule] : c.aliases) {
          if (alias != g) continue;
          field.clear();
          for (const auto& [rule_name, f] : per_rule) {
            if (rule_name == target.name || rule_name == target.id || rule_name == name) field = f;
          }
          if (field.empty()) {
            fail(c, "alias '" + g + "' has no field for rule '" + name + "'", false);
            ok = false;
          }
        }
        paths.push_back(make_path(field));
      }
      c.group_paths.push_back(std::move(paths));
      if (!ok) break;
    }
    if (!ok) {
      c.refs.clear();
      continue;
    }
    if (c.type == CorrType::kValueCount &&
        std::any_of(c.refs.begin(), c.refs.end(), [](const Ref& r) { return r.correlation; })) {
      fail(c, "value_count over another correlation is not supported", true);
      c.refs.clear();
    }
  }
  // Chains: inner correlations are evaluated first; cycles are errors.
  for (int round = 0; round <= static_cast<int>(d.corrs.size()); ++round) {
    bool changed = false;
    for (Correlation& c : d.corrs) {
      for (const Ref& r : c.refs) {
        if (r.correlation && d.corrs[r.index].depth + 1 > c.depth) {
          c.depth = d.corrs[r.index].depth + 1;
          changed = true;
        }
      }
    }
    if (!changed) break;
    if (round == static_cast<int>(d.corrs.size())) {
      for (Correlation& c : d.corrs) {
        if (c.depth > static_cast<int>(d.corrs.size())) fail(c, "correlation chain has a cycle", false);
      }
    }
  }
  // Chained group-by: the outer fields must be group-by fields of the inner correlation.
  for (Correlation& c : d.corrs) {
    if (d.infos[c.meta.info].status != RuleStatus::kLoaded) continue;
    for (std::size_t k = 0; k < c.refs.size(); ++k) {
      if (!c.refs[k].correlation) continue;
      const Correlation& inner = d.corrs[c.refs[k].index];
      for (const FieldPath& p : c.group_paths[k]) {
        if (std::find(inner.group_by.begin(), inner.group_by.end(), p.name) == inner.group_by.end()) {
          fail(c, "group-by field '" + p.name + "' is not a group-by field of the chained correlation", true);
        }
      }
    }
  }
  // Feeds and generate flags.
  for (std::size_t ci = 0; ci < d.corrs.size(); ++ci) {
    Correlation& c = d.corrs[ci];
    if (d.infos[c.meta.info].status != RuleStatus::kLoaded) continue;
    for (std::size_t k = 0; k < c.refs.size(); ++k) {
      const Ref& r = c.refs[k];
      if (r.correlation) {
        Correlation& inner = d.corrs[r.index];
        inner.feeds.emplace_back(static_cast<std::uint32_t>(ci), static_cast<std::uint16_t>(k));
        if (!c.generate_refs) inner.generate = false;
      } else {
        Rule& rule = d.rules[r.index];
        rule.feeds.push_back({static_cast<std::uint32_t>(ci), static_cast<std::uint16_t>(k)});
        if (!c.generate_refs) rule.generate = false;
      }
    }
  }
  for (std::size_t i = 0; i < d.infos.size(); ++i) {
    if (d.info_rule[i] >= 0) d.infos[i].generates = d.rules[static_cast<std::size_t>(d.info_rule[i])].generate;
    if (d.info_corr[i] >= 0) d.infos[i].generates = d.corrs[static_cast<std::size_t>(d.info_corr[i])].generate;
  }
  // Dispatch: index each runnable rule by the eventName (operation) or eventSource it requires.
  for (std::size_t ri = 0; ri < d.rules.size(); ++ri) {
    Rule& rule = d.rules[ri];
    if (d.infos[rule.meta.info].status != RuleStatus::kLoaded || rule.root < 0) continue;
    if (!rule.generate && rule.feeds.empty()) continue;
    auto idx = static_cast<std::uint32_t>(ri);
    auto place = [&](Dispatch& dispatch, std::string_view name_field, std::string_view source_field,
                     std::string_view type_field) {
      Constraint names = node_constraint(rule, rule.root, name_field);
      if (names) {
        add_index(dispatch.by_name, *names, idx);
        return;
      }
      for (auto [field, index] : {std::pair{source_field, &dispatch.by_source}, {type_field, &dispatch.by_identity_type}}) {
        if (field.empty()) continue;
        Constraint values = node_constraint(rule, rule.root, field);
        if (values) {
          add_index(*index, *values, idx);
          return;
        }
      }
      dispatch.always.push_back(idx);
    };
    if (rule.source == Source::kCloudTrail || rule.source == Source::kAny)
      place(d.cloudtrail, "eventName", "eventSource", "userIdentity.type");
    if (rule.source == Source::kInvocation || rule.source == Source::kAny) place(d.invocation, "operation", "", "");
  }
  // A rule runs on the events its eventName (eventSource, ...) selects, where
  // that item holds: its other items reject sooner. (AND is pure: order is free.)
  for (Rule& rule : d.rules) {
    for (Selection& sel : rule.sels) {
      for (auto& alt : sel.alternatives) {
        std::stable_partition(alt.begin(), alt.end(), [](const FieldItem& item) {
          return item.path.normalized == FieldPath::Normalized::kNone;
        });
      }
    }
  }
  // The record members the rules read, numbered for MatchContext's per-event
  // lookups; the cores of contains patterns (Pattern::core).
  std::unordered_map<std::string, int> keys;
  auto number = [&](FieldPath& p) {
    if (p.start != FieldPath::Start::kRecord || p.segments.empty()) return;
    p.member = keys.emplace(p.segments[0], static_cast<int>(keys.size())).first->second;
  };
  for (Rule& rule : d.rules) {
    for (Selection& sel : rule.sels) {
      for (auto& alt : sel.alternatives) {
        for (FieldItem& item : alt) {
          number(item.path);
          for (Pattern& p : item.patterns) {
            number(p.ref);
            const bool local = p.text.find_first_of("\"\\,[]{}") == std::string::npos && !p.text.starts_with(':') &&
                               std::none_of(p.text.begin(), p.text.end(),
                                            [](char c) { return static_cast<unsigned char>(c) < 0x20; });
            if (p.op == Op::kContains && !p.cased && local && p.text.size() > 5) p.core = p.text.substr(5);
          }
        }
      }
    }
  }
  for (Correlation& c : d.corrs) {
    for (auto& paths : c.group_paths)
      for (FieldPath& p : paths) number(p);
    number(c.value_field);
  }
  d.record_keys = keys.size();
}

}  // namespace aiir::sigma::detail
