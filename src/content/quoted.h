// SPDX-License-Identifier: Apache-2.0
// Signature hits that sit inside quotation marks in a text that discusses
// them ("the classic example is someone typing \"ignore previous
// instructions\" ..."). Runs in ContentAnalyzer::analyze after the signature
// set.
#pragma once

namespace aiir::content {

struct ContentResult;

/// Hits inside quotation marks that the text around them discusses. A request
/// hit (canonical, collapsed or leetspeak view) whose span sits inside one
/// pair of quotation marks ("", “”, „“, «», 「」, 『』, or single quotes that
/// open and close at word edges) of at most 400 bytes, in a piece whose text
/// within 400 bytes of the quote asks about it (an example of, what is, why
/// does, how do we defend or detect, someone typing, the phrase, a filter or
/// classifier ...), is lowered to low and marked `quoted`, unless the quote is
/// addressed to the model: the clause before it is an order (follow, execute,
/// do, run, repeat, say ...) or ends with a colon or dash, a clause after it
/// orders it done ("do it", "follow it", "comply", "then reveal ..."), or the
/// text around it gives the model a role or task ("from now on", "you are
/// going to", "act as", "answer as", "your responses should"). A quoted hit
/// does not hide the same signature elsewhere: when the reported match is
/// quoted and discussed, every match of the signature in that view is judged
/// the same way (at most 8), and one that is not keeps the severity and
/// becomes the hit's span. Hits in the system prompt (low already), on
/// decoded, reversed or ROT13 views (hidden text is no discussion), and
/// response hits are left as they are. Cost: nothing for records without
/// hits; for a hit, a look around its span, and more only when it is quoted.
void lower_quoted_discussions(ContentResult& r);

}  // namespace aiir::content
