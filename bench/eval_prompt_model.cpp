// SPDX-License-Identifier: Apache-2.0
// Evaluates the prompt-attack model on a labeled JSONL file, plain and obfuscated (see docs/prompt-model.md).
#include <aiir/error.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "content/train.h"
#include "report/json_out.h"
#include "scan/content_stage.h"

namespace {

void usage() {
  std::cerr << "usage: eval_prompt_model --data LABELED.jsonl [--model rules/prompt-model.bin]\n"
               "         [--part all|train|validation|test] [--split-seed N] [--leave-out-source SOURCE]\n"
               "         [--path scanner|model]\n"
               "  --part other than all recomputes the training split (same defaults as train_prompt_model).\n"
               "  --path scanner (default): each text is wrapped in a Converse invocation record and scored by\n"
               "  the content stage of `aiir scan` (extraction, raw cap, normalization, cap, model);\n"
               "  --path model: the model's feature function alone (what training uses).\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aiir::model;
  std::string data, model_path = default_model_path(), part = "all", path = "scanner";
  SplitConfig sc;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") data = next();
    else if (a == "--model") model_path = next();
    else if (a == "--part") part = next();
    else if (a == "--split-seed") sc.seed = std::stoull(next());
    else if (a == "--leave-out-source") sc.leave_out_source = next();
    else if (a == "--path") path = next();
    else {
      usage();
      return 2;
    }
  }
  if (path != "scanner" && path != "model") {
    usage();
    return 2;
  }
  if (data.empty() || (part != "all" && part != "train" && part != "validation" && part != "test")) {
    usage();
    return 2;
  }
  try {
    const PromptModel model = PromptModel::load(model_path);
    std::string sha;
    const auto rows = read_labeled_jsonl(data, &sha);
    std::vector<bool> selected;
    if (part != "all") {
      if (sha != model.info().training_sha256) {
        std::cerr << "eval_prompt_model: warning: data SHA-256 differs from the model's training data\n";
      }
      const auto parts = split_rows(rows, sc);
      selected.resize(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) selected[i] = to_string(parts[i]) == part;
    }
    std::vector<EvalResult> results;
    if (path == "model") {
      results = evaluate(model, rows, selected);
    } else {
      aiir::ContentStageOptions o;
      o.model_path = model_path;
      aiir::ContentShared shared(o);
      aiir::ContentWorker worker(shared);
      aiir::content::ContentResult result;
      simdjson::dom::parser parser;
      std::string record;
      results = evaluate(model, rows, selected, [&](std::string_view text) {
        record.assign(R"({"schemaType":"ModelInvocationLog","timestamp":"2026-01-01T00:00:00Z","accountId":"1",)"
                      R"("identity":{"arn":"arn:aws:iam::1:user/eval"},"region":"us-east-1","requestId":"e",)"
                      R"("operation":"Converse","modelId":"m","input":{"inputBodyJson":{"messages":[{"role":"user",)"
                      R"("content":[{"text":)");
        aiir::append_json_quoted(record, text);
        record += "}]}]}}}";
        simdjson::dom::element el;
        if (parser.parse(record).get(el) != simdjson::SUCCESS) return -1.0;
        aiir::EventView ev;
        ev.kind = aiir::EventKind::kInvocation;
        ev.raw = el;
        if (!worker.run(ev, result)) return -1.0;
        return result.score;
      });
    }
    std::cout << "## " << data << " (part: " << part << ", sha256 " << sha << ", path: " << path
              << ")\n\nModel " << model_path << ": " << format_eval_markdown(results, model);
  } catch (const aiir::Error& e) {
    std::cerr << "eval_prompt_model: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
