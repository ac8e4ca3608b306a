// SPDX-License-Identifier: Apache-2.0
// Trains the prompt-attack model from a labeled JSONL file and writes the weights file (see docs/prompt-model.md).
#include <aiir/error.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "content/train.h"

namespace {

void usage() {
  std::cerr << "usage: train_prompt_model --data TRAIN.jsonl --out rules/prompt-model.bin\n"
               "         [--seed N] [--split-seed N] [--epochs N] [--lr X] [--l2 X] [--target-fpr X]\n"
               "         [--bucket-bits N] [--leave-out-source SOURCE] [--report OUT.md]\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aiir::model;
  std::string data, out, report, leave_out;
  TrainConfig tc;
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
    else if (a == "--out") out = next();
    else if (a == "--report") report = next();
    else if (a == "--seed") tc.seed = std::stoull(next());
    else if (a == "--split-seed") sc.seed = std::stoull(next());
    else if (a == "--epochs") tc.epochs = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--lr") tc.learning_rate = std::stod(next());
    else if (a == "--l2") tc.l2 = std::stod(next());
    else if (a == "--target-fpr") tc.target_fpr = std::stod(next());
    else if (a == "--bucket-bits") tc.features.bucket_bits = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--leave-out-source") sc.leave_out_source = next();
    else {
      usage();
      return 2;
    }
  }
  if (data.empty() || out.empty()) {
    usage();
    return 2;
  }
  try {
    std::string sha;
    const auto rows = read_labeled_jsonl(data, &sha);
    const auto parts = split_rows(rows, sc);
    std::size_t counts[3][2] = {};
    for (std::size_t i = 0; i < rows.size(); ++i) ++counts[static_cast<int>(parts[i])][rows[i].label];
    std::cerr << "rows " << rows.size() << " sha256 " << sha << "\n";
    for (int p = 0; p < 3; ++p) {
      std::cerr << "  " << to_string(static_cast<Part>(p)) << ": " << counts[p][1] << " attacks, " << counts[p][0]
                << " benign\n";
    }
    PromptModel model = train_prompt_model(rows, parts, tc, sc);
    const std::size_t slash = data.find_last_of('/');
    model.info().training_file = slash == std::string::npos ? data : data.substr(slash + 1);
    model.info().training_sha256 = sha;
    model.save(out);
    std::string meta = out;
    const std::size_t dot = meta.find_last_of('.');
    meta = (dot == std::string::npos ? meta : meta.substr(0, dot)) + ".txt";
    std::ofstream(meta) << model.header_text();
    std::cerr << "threshold " << model.info().threshold << " validation TPR " << model.info().validation_tpr
              << " FPR " << model.info().validation_fpr << "\nwrote " << out << " and " << meta << "\n";

    std::vector<bool> test(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) test[i] = parts[i] == Part::kTest;
    const std::string md = format_eval_markdown(evaluate(model, rows, test), model);
    std::cout << "## Held-out test part\n\n" << md;
    if (!report.empty()) std::ofstream(report) << md;
  } catch (const aiir::Error& e) {
    std::cerr << "train_prompt_model: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
