// SPDX-License-Identifier: Apache-2.0
#include "decode/flat_record.h"

#include <array>
#include <utility>
#include <vector>

#include "util/escape.h"

namespace aiir {
namespace {

/// "Event name", "event_name", "eventName" -> "eventname".
std::string squash(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t' || c == '\r' || c == '\n' || c == '"') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

enum class Want : std::uint8_t { kString, kBool, kObject, kArray };

struct Column {
  std::string_view squashed;
  std::string_view path;  // CloudTrail's dotted field path
  Want want;
};

// Top-level fields, and the console's Event history headings for fields nested
// in userIdentity. A bare `arn`, `principalId`, ... is what Lake names a
// selected `userIdentity.arn`.
constexpr std::array kColumns = {
    Column{"eventversion", "eventVersion", Want::kString},
    Column{"eventtime", "eventTime", Want::kString},
    // CloudWatch Logs Insights: when the query selected fields rather than @message.
    Column{"@timestamp", "eventTime", Want::kString},
    Column{"eventsource", "eventSource", Want::kString},
    Column{"eventname", "eventName", Want::kString},
    Column{"awsregion", "awsRegion", Want::kString},
    Column{"sourceipaddress", "sourceIPAddress", Want::kString},
    Column{"useragent", "userAgent", Want::kString},
    Column{"errorcode", "errorCode", Want::kString},
    Column{"errormessage", "errorMessage", Want::kString},
    Column{"requestid", "requestID", Want::kString},
    Column{"eventid", "eventID", Want::kString},
    Column{"eventtype", "eventType", Want::kString},
    Column{"recipientaccountid", "recipientAccountId", Want::kString},
    Column{"eventcategory", "eventCategory", Want::kString},
    Column{"sharedeventid", "sharedEventID", Want::kString},
    Column{"vpcendpointid", "vpcEndpointId", Want::kString},
    Column{"apiversion", "apiVersion", Want::kString},
    Column{"sessioncredentialfromconsole", "sessionCredentialFromConsole", Want::kString},
    Column{"readonly", "readOnly", Want::kBool},
    Column{"managementevent", "managementEvent", Want::kBool},
    Column{"useridentity", "userIdentity", Want::kObject},
    Column{"requestparameters", "requestParameters", Want::kObject},
    Column{"responseelements", "responseElements", Want::kObject},
    Column{"additionaleventdata", "additionalEventData", Want::kObject},
    Column{"serviceeventdetails", "serviceEventDetails", Want::kObject},
    Column{"tlsdetails", "tlsDetails", Want::kObject},
    Column{"resources", "resources", Want::kArray},
    // Console Event history and bare Lake column names.
    Column{"awsaccesskey", "userIdentity.accessKeyId", Want::kString},
    Column{"accesskeyid", "userIdentity.accessKeyId", Want::kString},
    Column{"username", "userIdentity.userName", Want::kString},
    Column{"arn", "userIdentity.arn", Want::kString},
    Column{"principalid", "userIdentity.principalId", Want::kString},
    Column{"accountid", "userIdentity.accountId", Want::kString},
    Column{"invokedby", "userIdentity.invokedBy", Want::kString},
};

/// CloudTrail's spelling of the struct fields Lake stores in lower case
/// (userIdentity and its session context, resources).
constexpr std::array<std::pair<std::string_view, std::string_view>, 27> kStructFields = {{
    {"type", "type"},
    {"principalid", "principalId"},
    {"arn", "arn"},
    {"accountid", "accountId"},
    {"accesskeyid", "accessKeyId"},
    {"username", "userName"},
    {"invokedby", "invokedBy"},
    {"sessioncontext", "sessionContext"},
    {"attributes", "attributes"},
    {"creationdate", "creationDate"},
    {"mfaauthenticated", "mfaAuthenticated"},
    {"sessionissuer", "sessionIssuer"},
    {"webidfederationdata", "webIdFederationData"},
    {"federatedprovider", "federatedProvider"},
    {"sourceidentity", "sourceIdentity"},
    {"ec2roledelivery", "ec2RoleDelivery"},
    {"ec2issuedinvpc", "ec2IssuedInVpc"},
    {"identityprovider", "identityProvider"},
    {"credentialid", "credentialId"},
    {"onbehalfof", "onBehalfOf"},
    {"userid", "userId"},
    {"identitystorearn", "identityStoreArn"},
    {"inscopeof", "inScopeOf"},
    {"issuertype", "issuerType"},
    {"credentialsissuedto", "credentialsIssuedTo"},
    {"sourcearn", "sourceArn"},
    {"sourceaccount", "sourceAccount"},
}};

const Column* find_column(std::string_view squashed) {
  for (const Column& c : kColumns)
    if (c.squashed == squashed) return &c;
  return nullptr;
}

struct Member;

/// A JSON value under construction.
struct Value {
  enum class Kind : std::uint8_t { kAbsent, kString, kBool, kRaw, kObject, kArray } kind = Kind::kAbsent;
  std::string text;                                  // kString, kBool ("true"/"false"), kRaw (JSON)
  std::vector<Member> members;                       // kObject, in first-set order
  std::vector<Value> items;                          // kArray

  Value& member(std::string_view key);  // defined below: Value is complete there
};

struct Member {
  std::string key;
  Value value;
};

Value& Value::member(std::string_view key) {
  if (kind != Kind::kObject) {
    kind = Kind::kObject;
    text.clear();
    items.clear();
  }
  for (auto& [k, v] : members)
    if (k == key) return v;
  members.push_back(Member{std::string(key), Value{}});
  return members.back().value;
}

void write(const Value& v, std::string& out) {
  switch (v.kind) {
    case Value::Kind::kAbsent: out += "null"; break;
    case Value::Kind::kString: append_json_string(out, v.text); break;
    case Value::Kind::kBool:
    case Value::Kind::kRaw: out += v.text; break;
    case Value::Kind::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, m] : v.members) {
        if (m.kind == Value::Kind::kAbsent) continue;
        if (!first) out += ',';
        first = false;
        append_json_string(out, k);
        out += ':';
        write(m, out);
      }
      out += '}';
      break;
    }
    case Value::Kind::kArray: {
      out += '[';
      bool first = true;
      for (const Value& item : v.items) {
        if (item.kind == Value::Kind::kAbsent) continue;
        if (!first) out += ',';
        first = false;
        write(item, out);
      }
      out += ']';
      break;
    }
  }
}

/// The length of the JSON object or array at the start of `s` when it is one
/// complete value (strings and nesting respected), else 0. A check of shape
/// only: the record is parsed as JSON afterwards, and a row whose text is not
/// JSON after all is counted as skipped there.
std::size_t json_extent(std::string_view s) {
  if (s.size() < 2 || (s[0] != '{' && s[0] != '[')) return 0;
  int depth = 0;
  bool in_string = false, escape = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > 64) return 0;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

/// True when `s` starts like JSON rather than Lake's `{key=value}` rendering:
/// an object opens with a quoted key, an array with a JSON value.
bool looks_json(std::string_view s, int depth = 0) {
  if (s.empty() || depth > 8) return false;
  std::size_t i = 1;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  if (i >= s.size()) return false;
  const char c = s[i];
  if (s[0] == '{') return c == '"' || c == '}';
  if (s[0] != '[') return false;
  if (c == '{' || c == '[') return looks_json(s.substr(i), depth + 1);
  return c == ']' || c == '"' || c == '-' || (c >= '0' && c <= '9') || s.substr(i, 4) == "true" ||
         s.substr(i, 5) == "false" || s.substr(i, 4) == "null";
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':' || c == '@' || c == '$';
}

/// Parser of Lake's text rendering of structs, maps and arrays:
/// `{type=IAMUser, sessioncontext={attributes={mfaauthenticated=false}}}`,
/// `[{accountid=1, type=AWS::S3::Bucket, arn=arn:aws:s3:::b}]`. Scalars are
/// unquoted, so a scalar ends where `, key=` (in a struct) or `, ` (in an
/// array) or the closing bracket begins; JSON inside is kept whole.
class Rendering {
 public:
  Rendering(std::string_view s, bool camel) : s_(s), camel_(camel) {}

  /// Parses the whole text into `out`; false when it is not such a rendering.
  bool parse(Value& out) {
    if (!value(out, 0, '\0')) return false;
    skip_ws();
    return i_ == s_.size();
  }

 private:
  void skip_ws() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }

  bool value(Value& out, int depth, char closer) {
    if (depth > 32) return false;
    skip_ws();
    if (i_ < s_.size() && (s_[i_] == '{' || s_[i_] == '[') && looks_json(s_.substr(i_))) {
      if (const std::size_t n = json_extent(s_.substr(i_)); n > 0) {
        out.kind = Value::Kind::kRaw;
        out.text.assign(s_.substr(i_, n));
        i_ += n;
        return true;
      }
    }
    if (i_ < s_.size() && s_[i_] == '{') return object(out, depth);
    if (i_ < s_.size() && s_[i_] == '[') return array(out, depth);
    scalar(out, closer);
    return true;
  }

  bool object(Value& out, int depth) {
    ++i_;  // '{'
    out.kind = Value::Kind::kObject;
    skip_ws();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (i_ < s_.size()) {
      skip_ws();
      const std::size_t eq = s_.find('=', i_);
      if (eq == std::string_view::npos) return false;
      std::string_view key = s_.substr(i_, eq - i_);
      for (char c : key)
        if (!is_key_char(c)) return false;
      i_ = eq + 1;
      Value v;
      if (!value(v, depth + 1, '}')) return false;
      out.members.push_back(Member{field_name(key), std::move(v)});
      skip_ws();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == '}') {
        ++i_;
        return true;
      }
      if (s_[i_] != ',') return false;
      ++i_;
    }
    return false;
  }

  bool array(Value& out, int depth) {
    ++i_;  // '['
    out.kind = Value::Kind::kArray;
    skip_ws();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return true;
    }
    while (i_ < s_.size()) {
      Value v;
      if (!value(v, depth + 1, ']')) return false;
      out.items.push_back(std::move(v));
      skip_ws();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ']') {
        ++i_;
        return true;
      }
      if (s_[i_] != ',') return false;
      ++i_;
    }
    return false;
  }

  /// Up to the end of the scalar: in a struct, the `, key=` of the next field
  /// or the closing brace; in an array, the next `, ` or the closing bracket.
  /// Commas without a following `key=` belong to the value (user agents).
  void scalar(Value& out, char closer) {
    const std::size_t start = i_;
    std::size_t end = s_.size();
    if (closer != '\0') {
      int nest = 0;  // brackets opened inside the scalar, "(KHTML, like Gecko)"
      for (std::size_t k = i_; k < s_.size(); ++k) {
        const char c = s_[k];
        if (c == '(') ++nest;
        else if (c == ')' && nest > 0) --nest;
        else if (c == closer && nest == 0) {
          end = k;
          break;
        } else if (c == ',' && nest == 0 && next_is_member(k + 1, closer)) {
          end = k;
          break;
        }
      }
    }
    i_ = end;
    std::string_view text = s_.substr(start, end - start);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.empty() || text == "null") {
      out.kind = Value::Kind::kAbsent;
      return;
    }
    out.kind = Value::Kind::kString;
    out.text.assign(text);
  }

  /// After a comma at `k`: does a new member (`key=` in a struct, anything in
  /// an array) start?
  bool next_is_member(std::size_t k, char closer) const {
    if (closer == ']') return true;
    while (k < s_.size() && s_[k] == ' ') ++k;
    const std::size_t start = k;
    while (k < s_.size() && is_key_char(s_[k])) ++k;
    return k > start && k < s_.size() && s_[k] == '=';
  }

  std::string field_name(std::string_view key) const {
    if (!camel_) return std::string(key);
    const std::string sq = squash(key);
    for (const auto& [lower, spelled] : kStructFields)
      if (sq == lower) return std::string(spelled);
    return std::string(key);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  bool camel_;
};

/// userIdentity's and resources' fields in CloudTrail's spelling (resources
/// name their ARN in capitals).
void respell(Value& v, bool resources) {
  for (auto& [k, m] : v.members) {
    if (resources && k == "arn") k = "ARN";
    respell(m, resources);
  }
  for (Value& item : v.items) respell(item, resources);
}

/// A cell's text as the value its column wants.
Value cell_value(std::string_view text, Want want, bool camel) {
  Value v;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  if (text.empty() || text == "null" || text == "NULL") return v;
  switch (want) {
    case Want::kString:
      v.kind = Value::Kind::kString;
      v.text.assign(text);
      return v;
    case Want::kBool:
      if (text == "true" || text == "false") v.kind = Value::Kind::kBool;
      else v.kind = Value::Kind::kString;
      v.text.assign(text);
      return v;
    case Want::kObject:
    case Want::kArray:
      if (looks_json(text) && json_extent(text) == text.size()) {
        v.kind = Value::Kind::kRaw;
        v.text.assign(text);
        return v;
      }
      if (const char open = want == Want::kObject ? '{' : '['; text.front() == open) {
        Rendering r(text, camel);
        Value parsed;
        if (r.parse(parsed)) return parsed;
      }
      // Neither JSON nor a rendering we can read back: kept as text, so the
      // record still holds what the table said.
      v.kind = Value::Kind::kString;
      v.text.assign(text);
      return v;
  }
  return v;
}

/// Splits "userIdentity.sessionContext.sessionIssuer.arn" on dots.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

/// The CloudTrail path and wanted type of a column; empty path: not mapped.
std::pair<std::vector<std::string>, Want> resolve(std::string_view column) {
  std::vector<std::string> path;
  const std::string sq = squash(column);
  if (const Column* c = find_column(sq)) {
    for (std::string_view part : split_path(c->path)) path.emplace_back(part);
    return {path, c->want};
  }
  // Dotted: the first part a known top-level object, the rest its fields.
  const std::vector<std::string_view> parts = split_path(column);
  if (parts.size() < 2) return {};
  const Column* top = find_column(squash(parts[0]));
  if (top == nullptr || top->want != Want::kObject) return {};
  const bool camel = top->path == "userIdentity";
  path.emplace_back(top->path);
  for (std::size_t k = 1; k < parts.size(); ++k) {
    std::string name(parts[k]);
    if (name.empty()) return {};
    if (camel) {
      const std::string psq = squash(name);
      for (const auto& [lower, spelled] : kStructFields)
        if (psq == lower) name = std::string(spelled);
    }
    path.push_back(std::move(name));
  }
  return {path, Want::kString};
}

}  // namespace

/// The console's Event history names a record's resources in two columns,
/// comma-separated and paired in order.
static bool resource_column(std::string_view squashed) { return squashed == "resourcetype" || squashed == "resourcename"; }

/// "a, b" -> {"a", "b"} (empty parts dropped).
static std::vector<std::string_view> comma_list(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty() && out.size() < 64) {
    const std::size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool flat_column_known(std::string_view column) {
  return !resolve(column).first.empty() || resource_column(squash(column));
}

std::size_t flat_to_record(std::span<const FlatCell> row, std::string& out) {
  Value record;
  record.kind = Value::Kind::kObject;
  std::size_t mapped = 0;
  bool has_event_time = false;  // eventTime wins over Logs Insights' @timestamp
  for (const FlatCell& cell : row) has_event_time = has_event_time || squash(cell.column) == "eventtime";
  std::string_view resource_types, resource_names;
  for (const FlatCell& cell : row) {
    const std::string sq = squash(cell.column);
    if (resource_column(sq)) {
      if (!cell.value.empty()) {
        (sq == "resourcetype" ? resource_types : resource_names) = cell.value;
        ++mapped;
      }
      continue;
    }
    auto [path, want] = resolve(cell.column);
    if (path.empty()) continue;
    if (has_event_time && squash(cell.column) == "@timestamp") continue;
    const bool camel = path.front() == "userIdentity" || path.front() == "resources";
    Value v = cell_value(cell.value, want, camel);
    if (v.kind == Value::Kind::kAbsent) continue;
    if (path.front() == "resources") respell(v, true);
    Value* at = &record;
    for (std::size_t k = 0; k + 1 < path.size(); ++k) {
      Value& next = at->member(path[k]);
      // A whole struct given before one of its fields: the field goes into it;
      // a field of a struct given as text: the text gives way.
      if (next.kind != Value::Kind::kObject) next = Value{}, next.kind = Value::Kind::kObject;
      at = &next;
    }
    Value& slot = at->member(path.back());
    if (slot.kind == Value::Kind::kObject && v.kind == Value::Kind::kObject) {
      for (auto& [k, m] : v.members) slot.member(k) = std::move(m);  // merge: fields given alone stay
    } else if (slot.kind != Value::Kind::kObject) {
      slot = std::move(v);
    }
    ++mapped;
  }
  if (!resource_names.empty()) {
    bool has_resources = false;
    for (const Member& m : record.members) has_resources = has_resources || m.key == "resources";
    if (!has_resources) {
      const std::vector<std::string_view> types = comma_list(resource_types), names = comma_list(resource_names);
      Value& list = record.member("resources");
      list.kind = Value::Kind::kArray;
      for (std::size_t i = 0; i < names.size(); ++i) {
        Value item;
        if (i < types.size()) item.member("type") = Value{Value::Kind::kString, std::string(types[i]), {}, {}};
        item.member("ARN") = Value{Value::Kind::kString, std::string(names[i]), {}, {}};
        list.items.push_back(std::move(item));
      }
    }
  }
  if (mapped == 0) return 0;
  write(record, out);
  return mapped;
}

}  // namespace aiir
