// SPDX-License-Identifier: Apache-2.0
// The aiir executable: parses flags (CLI11) into option structs, calls the
// library's commands, and maps errors to exit codes. No logic lives here.
#include <aiir/error.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "report/stats_writer.h"

namespace {

constexpr const char* kExitCodes =
    "Exit codes: 0 all input read; 1 a finding at or above --fail-on (scan); 2 usage error, or nothing "
    "readable matched, or an output could not be written; 3 finished, but some input could not be read; "
    "4 integrity check failed (verify, scan --verify). When several apply, scan returns the first of "
    "2, 1, 4, 3.";

void add_read_options(CLI::App* cmd, aiir::ReadOptions& o) {
  cmd->add_option("paths", o.paths, "Files, folders (walked recursively, in path order) or - for stdin")
      ->required();
  cmd->add_option("-j,--threads", o.threads, "Worker threads (default: all cores)");
  cmd->add_option("--max-file-bytes", o.max_file_bytes,
                  "Cap on a file's (inflated) size; larger files are warned about and not fully read "
                  "(default 1 GiB)");
  cmd->add_option("--from", o.from, "Only events at or after this RFC 3339 time (Z or offset)");
  cmd->add_option("--to", o.to, "Only events at or before this RFC 3339 time (Z or offset)");
  cmd->add_flag("-q,--quiet", o.quiet, "No progress line and no reading summary on stderr");
  cmd->add_option("--stats", o.stats_file, "Write the reading summary as JSON (aiir.stats/1) to FILE");
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout is handled as EPIPE, quietly
  CLI::App app{std::string("aiir ") + AIIR_VERSION +
               ": incident-response triage of AWS CloudTrail and Amazon Bedrock invocation logs"};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("aiir ") + AIIR_VERSION);

  aiir::EventsOptions events;
  std::string events_format = "jsonl";
  CLI::App* ev = app.add_subcommand("events", "Write normalized events (schema aiir.event/1) to stdout");
  add_read_options(ev, events.read);
  ev->add_option("--format", events_format, "jsonl (default), csv, or timesketch")
      ->check(CLI::IsMember({"jsonl", "csv", "timesketch"}));
  ev->add_flag("--raw", events.raw, "Add the original record to each event");
  ev->add_flag("--sort", events.sort,
               "Order by event time instead of input order. Holds every output line in memory until the "
               "end (about the size of the output), so use --from/--to on large inputs");
  ev->add_flag("--redact", events.redact,
               "Mask secrets and personal data (keys, tokens, e-mail, phone, card numbers, ...) in every field "
               "and in the raw record");
  // One value per flag (repeat the flag, or separate with commas), so that a
  // filter never swallows the input paths that follow it.
  auto pivot = [&](const char* name, std::vector<std::string>& values, const char* help) {
    ev->add_option(name, values, help)->allow_extra_args(false)->delimiter(',');
  };
  pivot("--principal", events.filter.principals,
        "Only events of this principal: an ARN or a * ? pattern; a role ARN also matches its sessions");
  pivot("--key", events.filter.keys, "Only events signed with this access key id");
  pivot("--ip", events.filter.ips, "Only events from this source address or CIDR");
  pivot("--action", events.filter.actions,
        "Only these calls: eventName or service:eventName, * ? patterns, e.g. iam:Create*. Each of these four "
        "filters is repeatable (any value matches); given together, all must match");
  ev->add_flag("--redact-prompts", events.redact_prompts,
               "Withhold prompt and response bodies (inputBodyJson, outputBodyJson) from the raw record");
  ev->footer(kExitCodes);

  aiir::ScanOptions scan;
  std::string scan_format = "md";
  CLI::App* sc = app.add_subcommand("scan", "Triage: answer the methodology's seven questions with evidence");
  add_read_options(sc, scan.read);
  sc->add_option("--format", scan_format, "md (default: Markdown), json (aiir.report/1) or jsonl (findings)")
      ->check(CLI::IsMember({"md", "json", "jsonl"}));
  sc->add_option("--min-severity", scan.min_severity, "Hide findings below: info (default), low, medium, high, critical");
  sc->add_option("--fail-on", scan.fail_on, "Exit 1 when a finding at or above this severity exists");
  sc->add_option("--analyzers", scan.analyzers, "Run only these analyzers (see `aiir analyzers`)")
      ->allow_extra_args(false)
      ->delimiter(',');
  sc->add_option("--skip", scan.skip, "Do not run these analyzers")->allow_extra_args(false)->delimiter(',');
  sc->add_option("--profile", scan.profile, "Environment profile (YAML, docs/profile.md)");
  sc->add_option("--baseline-until", scan.baseline_until,
                 "End of the known-good period (RFC 3339) for first-seen detections; default: inferred");
  sc->add_option("--rules", scan.rules, "More Sigma rules: a file or folder (repeatable)")->allow_extra_args(false);
  sc->add_flag("--no-default-rules", scan.no_default_rules, "Do not load the shipped rule pack");
  sc->add_option("--prices", scan.prices, "Price table (YAML) over the shipped one, for cost estimates");
  sc->add_option("-o,--output", scan.output_dir,
                 "Write every format (report.md, report.json, findings.jsonl) and manifest.json (aiir.manifest/1: "
                 "input hashes, rule-pack hash, command, times, output hashes) into this new folder; nothing on stdout");
  sc->add_flag("--force", scan.force, "-o may name an existing non-empty folder (our files in it are overwritten)");
  sc->add_flag("--verify", scan.verify,
               "Also validate CloudTrail integrity (digests and chain) over the same paths and report it under "
               "coverage; exit 4 when it fails (unless --fail-on gives 1)");
  sc->add_flag("--redact", scan.redact,
               "Mask secrets and personal data in log text in every output, for sharing beyond the response team");
  sc->add_flag("--redact-prompts", scan.redact_prompts, "Withhold prompt and response text from every output");
  sc->add_flag("--no-redact", scan.no_redact, "Show secrets found in prompts and responses in full (default: masked)");
  sc->footer(kExitCodes);

  aiir::PromptsOptions prompts;
  CLI::App* pr = app.add_subcommand(
      "prompts", "One JSON line (schema aiir.prompt/1) per invocation record: score, signatures, hidden text, secrets");
  add_read_options(pr, prompts.read);
  pr->add_flag("--flagged", prompts.flagged_only, "Only records whose score passes the threshold or that fire a "
                                                  "signature of medium severity or higher");
  pr->add_flag("--text", prompts.text, "Include the extracted user prompt (escaped, secrets masked)");
  pr->add_flag("--no-redact", prompts.no_redact, "Show secrets in full (default: masked, AKIA…WXYZ)");
  pr->footer(kExitCodes);

  CLI::App* an = app.add_subcommand("analyzers", "List the analyzers (one per methodology element)");

  aiir::RulesOptions rules;
  CLI::App* ru = app.add_subcommand("rules", "Sigma rules: list, lint or test them");
  ru->add_option("action", rules.action, "list | lint | test")->required()->check(CLI::IsMember({"list", "lint", "test"}));
  ru->add_option("--rules", rules.rules, "More Sigma rules: a file or folder (repeatable)")->allow_extra_args(false);
  ru->add_flag("--no-default-rules", rules.no_default_rules, "Do not load the shipped rule pack");
  ru->add_option("--cases", rules.cases, "test: a folder of JSON case files instead of the embedded cases");
  ru->add_option("--profile", rules.profile, "Environment profile for |expand placeholders");
  ru->add_option("--format", rules.format, "list: text (default) or json")->check(CLI::IsMember({"text", "json"}));
  ru->footer("Exit codes: 0 ok; 1 a rule test failed; 2 usage error, or lint found a rule that does not load.");

  aiir::VerifyCliOptions verify;
  CLI::App* ve = app.add_subcommand("verify", "Validate CloudTrail log-file integrity offline (digests, chain, signatures)");
  ve->add_option("paths", verify.paths, "Exported trail folders or files")->required();
  ve->add_option("--format", verify.format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  ve->add_option("--public-keys", verify.public_keys, "Saved output of `aws cloudtrail list-public-keys`");
  ve->add_option("--signatures", verify.signatures,
                 "JSON object: digest S3 key -> hex x-amz-meta-signature, saved at collection time");
  ve->add_flag("--strict", verify.strict, "Log files that no digest lists also fail the check");
  ve->footer("Exit codes: 0 integrity holds; 2 usage error; 4 integrity check failed.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : aiir::kExitUsage;
  }
  try {
    if (*ev) {
      events.format = events_format == "csv"          ? aiir::EventFormat::kCsv
                      : events_format == "timesketch" ? aiir::EventFormat::kTimesketch
                                                      : aiir::EventFormat::kJsonl;
      return aiir::run_events(events);
    }
    if (*sc) {
      scan.format = scan_format == "json"    ? aiir::ReportFormat::kJson
                    : scan_format == "jsonl" ? aiir::ReportFormat::kJsonl
                                             : aiir::ReportFormat::kMarkdown;
      for (int i = 0; i < argc; ++i) {
        scan.command_line += (i ? " " : "") + std::string(argv[i]);
        scan.argv.emplace_back(argv[i]);
      }
      return aiir::run_scan(scan);
    }
    if (*pr) return aiir::run_prompts(prompts);
    if (*an) return aiir::run_list_analyzers();
    if (*ru) return aiir::run_rules(rules);
    if (*ve) return aiir::run_verify(verify);
  } catch (const aiir::Error& e) {
    std::fprintf(stderr, "aiir: %s\n", aiir::terminal_safe(e.what()).c_str());
    return aiir::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aiir: internal error: %s\n", aiir::terminal_safe(e.what()).c_str());
    return aiir::kExitUsage;
  }
  return aiir::kExitUsage;
}
