// SPDX-License-Identifier: Apache-2.0
// The multi-turn escalation (crescendo) across the turns of one request: a
// judgement over the request's structure, not one pattern. Runs in
// ContentAnalyzer::analyze after the signature set.
#pragma once

#include <cstdint>

namespace aiir::content {

struct ContentResult;

/// What the crescendo detector found in the newest user turn and around it
/// (for tests and the documentation of a hit).
struct CrescendoCues {
  std::uint32_t earlier_user_turns = 0;       ///< user turns before the newest one
  std::uint32_t earlier_assistant_turns = 0;  ///< assistant answers before the newest user turn
  bool reference = false;    ///< the newest turn refers back to earlier answers (the signature's patterns)
  bool actionable = false;   ///< ... and asks for a script, steps, exact words, code, what to say ...
  bool misuse = false;       ///< ... and names a victim or evasion (someone else's number, without her knowing ...)
  bool defensive = false;    ///< ... or is framed as defence (training, to spot, for our team ...)
  std::uint32_t harm_turns = 0;       ///< turns in a misuse domain (social engineering, SIM swap, phishing ...)
  std::uint32_t harm_user_turns = 0;  ///< of them, the user's (the newest included)
  bool artifact = false;     ///< an earlier turn names a weapon, explosive, drug or malware
  bool fired = false;
};

/// The crescendo detector (signature `jailbreak.crescendo`, `scope:
/// conversation`). Over the input pieces of `r` (user turns typed in messages
/// and assistant turns; system, tool and document pieces and attachment text
/// are not turns): with at least two earlier user turns and two assistant
/// answers, the newest user turn must match the signature's patterns (a
/// reference back to the answers) and ask for an actionable form, and either
/// name a victim or evasion in a conversation that is in a misuse domain in
/// two turns (one the user's), or follow an earlier turn that names a weapon,
/// explosive, drug or malware without a defensive framing. On a match, one
/// hit is appended to `r.hits` (side input, role user, canonical view; span
/// and excerpt: the sentence that refers back, from its start). Reads the
/// canonical text of `r.input`; needs `r.signatures`. Cost: a walk over the
/// pieces' roles for every record; for a request with such a history, one
/// pass of the signature's patterns (one alternation) over the newest turn,
/// and the other cues only when it matches. Returns the cues (for tests).
CrescendoCues detect_crescendo(ContentResult& r);

}  // namespace aiir::content
