// SPDX-License-Identifier: Apache-2.0
// Factories of the seven analyzers, one per methodology element; the table in
// registry.cpp lists them. Each is defined in src/analyzers/<id>.cpp.
#pragma once

#include <aiir/analyzer.h>

#include <memory>

namespace aiir {

std::unique_ptr<Analyzer> make_access(const AnalyzerConfig& config);
std::unique_ptr<Analyzer> make_infrastructure(const AnalyzerConfig& config);
std::unique_ptr<Analyzer> make_ai_changes(const AnalyzerConfig& config);
std::unique_ptr<Analyzer> make_data_store(const AnalyzerConfig& config);
std::unique_ptr<Analyzer> make_invocation(const AnalyzerConfig& config);
std::unique_ptr<Analyzer> make_private_data(const AnalyzerConfig& config);
std::unique_ptr<Analyzer> make_agency(const AnalyzerConfig& config);
/// Invocation content (invocation_content.cpp): findings from EventView::content.
std::unique_ptr<Analyzer> make_invocation_content(const AnalyzerConfig& config);

}  // namespace aiir
