// SPDX-License-Identifier: Apache-2.0
// Event writers: JSON Lines, CSV, Timesketch.
#include "report/event_writer.h"

#include <fmt/format.h>

#include "report/json_out.h"
#include "report/redact.h"
#include "util/escape.h"
#include "util/time.h"

namespace aiir {
namespace {

std::string_view tri_text(Tri t) noexcept {
  switch (t) {
    case Tri::kTrue: return "true";
    case Tri::kFalse: return "false";
    case Tri::kUnknown: break;
  }
  return {};
}

void write_fields(JsonOut& j, const EventView& e) {
  j.field("kind", to_string(e.kind));
  j.field("account", e.account).field("region", e.region).field("inference_region", e.inference_region);
  j.field("actor_arn", e.actor_arn).field("actor_type", e.actor_type).field("principal_id", e.principal_id);
  j.field("user_name", e.user_name).field("actor_account", e.actor_account);
  j.field("session_issuer", e.session_issuer).field("access_key_id", e.access_key_id);
  j.field("invoked_by", e.invoked_by).field("issuer_type", e.issuer_type).field("issued_to", e.issued_to);
  if (e.mfa != Tri::kUnknown) j.key("mfa").boolean(e.mfa == Tri::kTrue);
  j.field("source_ip", e.source_ip).field("user_agent", e.user_agent);
  j.field("service", e.service).field("action", e.action).field("event_type", e.event_type);
  j.field("event_category", e.event_category);
  if (e.read_only != Tri::kUnknown) j.key("read_only").boolean(e.read_only == Tri::kTrue);
  if (e.management != Tri::kUnknown) j.key("management").boolean(e.management == Tri::kTrue);
  j.key("outcome").str(e.outcome == Outcome::kSuccess ? "success" : "failure");
  j.field("error_code", e.error_code).field("error_message", e.error_message);
  j.field("request_id", e.request_id).field("event_id", e.event_id).field("model_id", e.model_id);
  if (e.tokens_in >= 0) j.key("tokens_in").num(e.tokens_in);
  if (e.tokens_out >= 0) j.key("tokens_out").num(e.tokens_out);
  if (e.tokens_cache_read >= 0) j.key("tokens_cache_read").num(e.tokens_cache_read);
  if (e.tokens_cache_write >= 0) j.key("tokens_cache_write").num(e.tokens_cache_write);
  if (!e.resources.empty()) {
    j.key("resources").begin_array();
    for (const ResourceView& r : e.resources) {
      j.begin_object().field("type", r.type).field("arn", r.arn).end_object();
    }
    j.end_array();
  }
  if (e.ingest_time_ms != 0) j.time_field("ingest_time", e.ingest_time_ms);
  // Every event of a file repeats its path: escape it once per file.
  // (Compared by content: a reused batch can hold another path at the same address.)
  thread_local std::string file_raw, file_json;
  if (e.file != file_raw) {
    file_raw.assign(e.file);
    file_json.clear();
    append_json_quoted(file_json, e.file);
  }
  j.key("file").raw(file_json);
  j.key("record").unum(e.where.record);
}

// The raw record is re-serialized through our JSON escaper rather than
// simdjson::minify, which leaves bidi overrides, zero-width and C1 characters
// raw: those must not reach a terminal that `cat`s the output.
void append_raw(JsonOut& j, const EventView& e, const RawRedaction* redaction, std::string& scratch) {
  scratch.clear();
  append_redacted_json(scratch, e.raw, redaction ? *redaction : RawRedaction{});
  j.key("raw").raw(scratch);
}

std::string raw_text(const EventView& e, const RawRedaction* redaction) {
  std::string s;
  append_redacted_json(s, e.raw, redaction ? *redaction : RawRedaction{});
  return s;
}

void redacted_value(std::string& out, simdjson::dom::element v, RawRedaction r, int depth) {
  using simdjson::dom::element_type;
  if (depth > 1024) {  // simdjson's parser rejects deeper documents; never reached
    out += "null";
    return;
  }
  switch (v.type()) {
    case element_type::OBJECT: {
      out += '{';
      bool first = true;
      for (auto field : simdjson::dom::object(v)) {
        if (!first) out += ',';
        first = false;
        append_json_quoted(out, field.key);
        out += ':';
        bool body = r.prompts && (field.key == "inputBodyJson" || field.key == "outputBodyJson");
        if (body) append_json_quoted(out, kPromptWithheld);
        else redacted_value(out, field.value, r, depth + 1);
      }
      out += '}';
      break;
    }
    case element_type::ARRAY: {
      out += '[';
      bool first = true;
      for (simdjson::dom::element x : simdjson::dom::array(v)) {
        if (!first) out += ',';
        first = false;
        redacted_value(out, x, r, depth + 1);
      }
      out += ']';
      break;
    }
    case element_type::STRING: {
      std::string_view text(v);
      if (r.secrets) append_json_quoted(out, redact_text(text));
      else append_json_quoted(out, text);
      break;
    }
    default: out += simdjson::minify(v); break;
  }
}

void append_line(std::string& out, const EventView& e, EventFormat format, bool raw, const RawRedaction* redaction);

std::string message_of(const EventView& e) {
  std::string m(e.action.empty() ? std::string_view("(no action)") : e.action);
  if (!e.service.empty()) m = fmt::format("{} {}", e.service, m);
  if (!e.actor_arn.empty()) m += fmt::format(" by {}", e.actor_arn);
  if (!e.source_ip.empty()) m += fmt::format(" from {}", e.source_ip);
  if (!e.model_id.empty()) m += fmt::format(" model {}", e.model_id);
  if (e.outcome == Outcome::kFailure) m += fmt::format(" failed: {}", e.error_code.empty() ? "failure" : e.error_code);
  return m;
}

}  // namespace

std::string event_csv_header(bool raw) {
  return std::string("time,kind,account,region,actor_arn,actor_type,access_key_id,session_issuer,mfa,source_ip,user_agent,"
         "service,action,read_only,outcome,error_code,error_message,request_id,event_id,model_id,tokens_in,"
         "tokens_out,resources,file,record") + (raw ? ",raw\n" : "\n");
}

void append_redacted_json(std::string& out, simdjson::dom::element value, RawRedaction redaction) {
  redacted_value(out, value, redaction, 0);
}

void append_event_line(std::string& out, const EventView& e, EventFormat format, bool raw) {
  append_line(out, e, format, raw, nullptr);
}

void append_event_line(std::string& out, const EventView& e, EventFormat format, bool raw, RawRedaction redaction) {
  append_line(out, e, format, raw, redaction.secrets || redaction.prompts ? &redaction : nullptr);
}

namespace {

void append_line(std::string& out, const EventView& e, EventFormat format, bool raw, const RawRedaction* redaction) {
  std::string scratch;
  switch (format) {
    case EventFormat::kJsonl: {
      JsonOut j(out);
      j.begin_object();
      j.key("schema").raw("\"aiir.event/1\"");  // == kEventSchema, pre-quoted
      j.time_field("time", e.time_ms);
      write_fields(j, e);
      if (raw) append_raw(j, e, redaction, scratch);
      j.end_object();
      break;
    }
    case EventFormat::kTimesketch: {
      JsonOut j(out);
      j.begin_object();
      j.key("message").str(message_of(e));
      j.time_field("datetime", e.time_ms);
      j.key("timestamp").num(e.time_ms * 1000);
      j.key("timestamp_desc").str(e.kind == EventKind::kInvocation ? "Invocation Time" : "Event Time");
      j.key("data_type").str(fmt::format("aws:{}", to_string(e.kind)));
      write_fields(j, e);
      if (raw) append_raw(j, e, redaction, scratch);
      j.end_object();
      break;
    }
    case EventFormat::kCsv: {
      auto field = [&](std::string_view v) {
        append_csv_field(out, v);
        out += ',';
      };
      append_time(out, e.time_ms);
      out += ',';
      field(to_string(e.kind));
      field(e.account);
      field(e.region);
      field(e.actor_arn);
      field(e.actor_type);
      field(e.access_key_id);
      field(e.session_issuer);
      field(tri_text(e.mfa));
      field(e.source_ip);
      field(e.user_agent);
      field(e.service);
      field(e.action);
      field(tri_text(e.read_only));
      field(e.outcome == Outcome::kSuccess ? "success" : "failure");
      field(e.error_code);
      field(e.error_message);
      field(e.request_id);
      field(e.event_id);
      field(e.model_id);
      if (e.tokens_in >= 0) out += fmt::format("{}", e.tokens_in);
      out += ',';
      if (e.tokens_out >= 0) out += fmt::format("{}", e.tokens_out);
      out += ',';
      std::string res;
      for (const ResourceView& r : e.resources) {
        if (!res.empty()) res += ';';
        res += r.arn.empty() ? r.type : r.arn;
      }
      field(res);
      field(e.file);
      out += fmt::format("{}", e.where.record);
      if (raw) {
        out += ',';
        append_csv_field(out, raw_text(e, redaction));
      }
      break;
    }
  }
  out += '\n';
}

}  // namespace

}  // namespace aiir
