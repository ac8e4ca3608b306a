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
    "readable matched; 3 finished, but some input could not be read; 4 integrity check failed (verify).";

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
  ev->footer(kExitCodes);

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
  } catch (const aiir::Error& e) {
    std::fprintf(stderr, "aiir: %s\n", aiir::terminal_safe(e.what()).c_str());
    return aiir::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aiir: internal error: %s\n", aiir::terminal_safe(e.what()).c_str());
    return aiir::kExitUsage;
  }
  return aiir::kExitUsage;
}
