// SPDX-License-Identifier: Apache-2.0
// The one explicit table of analyzers, in methodology order. It drives
// `aiir analyzers`, --analyzers/--skip and the report's element order.
#include <aiir/analyzer.h>

#include <array>

#include "analyzers/factories.h"

namespace aiir {
namespace {

constexpr std::array<AnalyzerInfo, 8> kAnalyzers = {{
    {"access", Element::kAccess,
     "Who got in, with which keys, from where, since when, and whether it continues", make_access},
    {"infrastructure", Element::kInfrastructure,
     "Changes to supporting resources: compute, network, IAM, logging and detection", make_infrastructure},
    {"ai-changes", Element::kAiChanges,
     "Models, guardrails, invocation logging, model access, custom models; the LLMjacking chain", make_ai_changes},
    {"data-store", Element::kDataStore,
     "Knowledge bases, data sources, agents, action groups; poisoning of their buckets", make_data_store},
    {"invocation", Element::kInvocation,
     "Model use by principal, model and region; probes, bursts, guardrail blocks, tokens and cost", make_invocation},
    {"invocation-content", Element::kInvocation,
     "Prompt injection, jailbreaks, hidden text, leaks, attachments, secrets and PII in prompts and responses",
     make_invocation_content},
    {"private-data", Element::kPrivateData,
     "Private resources read or changed by AI principals or flagged principals; secret bursts", make_private_data},
    {"agency", Element::kAgency,
     "Actions taken by or through the AI application: email, Lambda, compute, IAM", make_agency},
}};

}  // namespace

std::span<const AnalyzerInfo> analyzer_table() noexcept { return kAnalyzers; }

}  // namespace aiir
