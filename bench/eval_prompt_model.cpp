// SPDX-License-Identifier: Apache-2.0
// Evaluates the prompt-attack model on a labeled JSONL file, plain and obfuscated (see docs/prompt-model.md).
#include <aiir/error.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "content/train.h"

namespace {

void usage() {
  std::cerr << "usage: eval_prompt_model --data LABELED.jsonl [--model rules/prompt-model.bin]\n"
               "         [--part all|train|validation|test] [--split-seed N] [--leave-out-source SOURCE]\n"
               "  --part other than all recomputes the training split (same defaults as train_prompt_model).\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aiir::model;
  std::string data, model_path = default_model_path(), part = "all";
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
    else {
      usage();
      return 2;
    }
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
    std::cout << "## " << data << " (part: " << part << ", sha256 " << sha << ")\n\nModel " << model_path << ": "
              << format_eval_markdown(evaluate(model, rows, selected), model);
  } catch (const aiir::Error& e) {
    std::cerr << "eval_prompt_model: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
