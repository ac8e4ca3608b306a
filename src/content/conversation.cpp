// SPDX-License-Identifier: Apache-2.0
// The crescendo detector over the turns of one request (conversation.h).
#include "content/conversation.h"

#include <re2/re2.h>

#include <algorithm>
#include <string_view>

#include "content/cues.h"
#include "content/content.h"

namespace aiir::content {
namespace {

using detail::cue_options;
using detail::has;

// These run on one turn at a time, so counted gaps cost little here (they
// are not in the signature set).

// Someone else's belongings, accounts and data.
#define AIIR_ASSET                                                                                                 \
  "(?:(?:phone\\s+)?numbers?|phones?|sims?|sim\\s*cards?|accounts?|passwords?|passcodes?|pins?|logins?|credentials|" \
  "e-?mails?|inbox|messages|texts|dms|chats?|location|whereabouts|gps|identity|bank(?:\\s+account)?|cards?|ssns?|"  \
  "social\\s+security(?:\\s+number)?|wallets?|crypto|keys|car|house|home|apartment|laptop|computer|pc|wi-?fi|"      \
  "router|camera|icloud|photos|pictures|files|devices?|profile|instagram|facebook|snapchat|whatsapp|gmail|"         \
  "outlook|2fa|codes?|otp|(?:home\\s+|email\\s+|ip\\s+)?address(?:es)?)"
// People whose belongings they are: relations, strangers, victims (possessive).
#define AIIR_OTHER                                                                                                   \
  "(?:my\\s+(?:ex|ex-?[a-z]+|former\\s+[a-z]+|neighbou?r|boss|manager|co-?worker|colleague|roommate|flatmate|"      \
  "landlord|tenant|sister|brother|sibling|wife|husband|spouse|girlfriend|boyfriend|partner|classmate|teacher|"      \
  "step-?(?:mom|dad|mother|father)|cousin|friend|mom|mother|dad|father|son|daughter|parents?)|someone(?:\\s+else)?|" \
  "somebody(?:\\s+else)?|another\\s+person|other\\s+people|a\\s+stranger|strangers|the\\s+(?:victim|target|mark|"  \
  "owner|account\\s+holder))(?:'s|’s|'|’)?"
// Of them, relations an attacker is rarely entitled to act for.
#define AIIR_ADVERSE                                                                                          \
  "(?:my\\s+(?:ex|ex-?[a-z]+|former\\s+[a-z]+|neighbou?r|boss|manager|co-?worker|colleague|roommate|"        \
  "flatmate|landlord|tenant|classmate|teacher)|someone\\s+else|somebody\\s+else|another\\s+person|a\\s+stranger|" \
  "the\\s+(?:victim|target|mark))(?:'s|’s|'|’)"

struct Cues {
  // The newest turn asks for an actionable form.
  RE2 actionable{
      "\\b(?:scripts?|word[\\s-]*for[\\s-]*word|verbatim|step[\\s-]*by[\\s-]*step|steps|instructions?|recipes?|"
      "guides?|how[\\s-]*tos?|tutorials?|walk[\\s-]*through|playbooks?|procedures?|checklists?|blueprints?|manual|"
      "templates?|exact(?:ly)?\\s+(?:what|how|words?|wording|phrasing|steps|commands?|amounts?|quantities|"
      "ingredients|measurements|ratios|temperatures?|code|process|method|procedure|lines?)|(?:working|functional|"
      "functioning|complete|full|runnable|ready[\\s-]*to[\\s-]*\\w+|copy[\\s-]*paste(?:able)?)\\s+(?:code|script|"
      "exploit|program|payload|version|example|sample|implementation|e-?mail|message|text)|code|commands?|"
      "what\\s+(?:to|i\\s+should|should\\s+i|do\\s+i|i\\s+(?:can|could))\\s+(?:say|write|type|tell|send|do)|"
      "(?:i|we)\\s+(?:can|could|will|would|am\\s+going\\s+to|['’]m\\s+going\\s+to|['’]ll|plan\\s+to|want\\s+to|"
      "need\\s+to)\\s+(?:actually\\s+)?(?:use|follow|send|say|run|try|do|read\\s+out|recite|deploy|post|carry\\s+out|"
      "paste)|how\\s+(?:to|(?:was|were|is|are|did|do|would|could|can)\\s+(?:it|they|those|these|that|one|you|i|we|"
      "someone|people)(?:\\s+be)?)\\s+(?:make|made|build|built|create|created|prepare|prepared|synthesi[sz]e[ds]?|"
      "cook(?:ed)?|mix(?:ed)?|assemble[ds]?|produce[ds]?|manufacture[ds]?))\\b",
      cue_options()};
  // The newest turn names a victim, a lack of consent, evasion or impersonation.
  RE2 misuse{
      "\\b(?:" AIIR_OTHER "|his|her|their)\\s+(?:[\\w-]+\\s+){0,2}?" AIIR_ASSET
      "\\b[^.?!\\n]{0,80}?\\b(?:onto|into|to|on|in|under|with)\\s+my\\b"
      "|\\b(?:get\\s+into|get\\s+access\\s+to|gain\\s+access\\s+to|access|log\\s*into|log\\s+in\\s+to|sign\\s+into|"
      "break\\s+into|hack(?:\\s+into)?|read|spy\\s+on|track|monitor|intercept|take\\s+over|hijack|unlock|redirect|"
      "transfer|move|port|clone|steal|empty|drain)\\s+(?:" AIIR_OTHER "|his|her|their)\\s+(?:[\\w-]+\\s+){0,2}?" AIIR_ASSET
      "\\b|\\b" AIIR_ADVERSE "\\s+(?:[\\w-]+\\s+){0,2}?" AIIR_ASSET
      "\\b|\\bwithout\\s+(?:(?:him|her|them|anyone|anybody|my\\s+[a-z-]+|the\\s+(?:owner|user|victim|person|"
      "account\\s+holder))\\s+)?(?:(?:ever\\s+)?(?:knowing|noticing|finding\\s+out|realizing|realising|suspecting)|"
      "(?:(?:his|her|their|the\\s+owner(?:['’]s)?|anyone(?:['’]s)?)\\s+)?(?:consent|permission|knowledge))\\b"
      "|\\bso\\s+(?:that\\s+)?(?:she|he|they|nobody|no\\s+one|no-one|the\\s+(?:owner|victim|police|store|bank|rep))\\s+"
      "(?:won['’]?t|wont|doesn['’]?t|don['’]?t|can['’]?t|never|will\\s+not|does\\s+not|do\\s+not|cannot|would\\s+not|"
      "wouldn['’]?t)\\s+(?:ever\\s+)?(?:know|notice|find\\s+out|suspect|trace|realize|realise|detect|catch|see)\\b"
      "|\\b(?:without\\s+(?:getting|being)\\s+(?:caught|detected|traced|noticed|flagged)|undetect(?:able|ed)|"
      "untraceable|cover\\s+(?:my|our)\\s+tracks|avoid\\s+(?:getting\\s+)?(?:caught|detection|suspicion|the\\s+police))\\b"
      "|\\b(?:if|when)\\s+(?:they|the\\s+(?:rep|agent|clerk|employee|staff|teller|store|bank|carrier|operator))\\s+"
      "asks?\\s+(?:me\\s+)?(?:for|about)\\s+(?:her|his|their|the\\s+(?:owner|account\\s+holder|victim))\\b"
      "|\\b(?:get|getting|go|going|sneak|sneaking)\\s+(?:past|around)\\s+(?:the\\s+|their\\s+|any\\s+)?(?:verification|"
      "security|id\\s+checks?|checks|pin|security\\s+questions|2fa|mfa|two[\\s-]*factor|fraud\\s+(?:team|checks?))\\b"
      "|\\bskip\\s+(?:the\\s+)?(?:verification|id\\s+check|security\\s+(?:check|questions))\\b"
      "|\\b(?:pretend(?:ing)?\\s+(?:to\\s+be|i['’]?m|i\\s+am|that\\s+i['’]?m|that\\s+i\\s+am)|pos(?:e|ing)\\s+as|"
      "pass(?:ing)?\\s+(?:myself|me)\\s+off\\s+as)\\s+(?:her|him|them|the\\s+(?:account\\s+holder|owner|customer|"
      "victim)|my\\s+[a-z-]+|a\\s+(?:police|cop|officer|bank|it|tech|support|family|relative))"
      "|\\bimpersonat(?:e|ing|ion)\\b"
      "|\\b(?:hurt|harm|injure|poison|kill|stalk|blackmail|extort|dox|doxx|threaten|intimidate|scam|defraud|rob|"
      "frame|humiliate|get\\s+back\\s+at|take\\s+revenge\\s+on|revenge\\s+on)\\s+(?:her|him|them|my\\s+[a-z-]+|"
      "someone|somebody|people|a\\s+[a-z]+|the\\s+[a-z]+)\\b",
      cue_options()};
  // The newest turn is framed as defence.
  RE2 defensive{
      "\\b(?:train(?:ing|ees?)|awareness|workshop|course|lesson|class(?:room)?|lecture|presentation|slides?|poster|"
      "newsletter|handout|quiz|polic(?:y|ies)|incident\\s+response|response\\s+plan|(?:to|can|could|help\\s+(?:us|"
      "them|me|people|staff))\\s+(?:spot|detect|recogni[sz]e|identify|prevent|avoid|defend|protect|report|block|"
      "stop|mitigate|guard|resist|flag)|warning\\s+signs|red\\s+flags|(?:our|my)\\s+(?:[a-z]+\\s+)?(?:team|staff|"
      "employees|colleagues|students|customers|users|members|readers|parents|kids|children|agents|reps|soc))\\b",
      cue_options()};
  // A turn in a misuse domain.
  RE2 harm{
      "\\b(?:social(?:ly)?[\\s-]*engineer(?:s|ing|ed)?|sim[\\s-]*swap(?:s|ping|ped)?|sim[\\s-]*jack(?:ing)?|"
      "port[\\s-]*out\\s+(?:fraud|scams?|attacks?)|account\\s+takeovers?|phish(?:ing|es|ed|er|ers)?|smish(?:ing)?|"
      "vish(?:ing)?|pretext(?:ing)?|impersonat\\w*|identity\\s+theft|stalk(?:ing|er|ers|erware)?|spyware|"
      "keyloggers?|malware|ransomware|botnets?|trojans?|backdoors?|rootkits?|exploits?|zero[\\s-]*days?|"
      "credential\\s+(?:stuffing|harvesting|theft)|brute[\\s-]*forc\\w*|hack(?:ing|ed|er|ers)|"
      "crack(?:ing|ed)?\\s+(?:passwords?|the\\s+password|wi-?fi|accounts?|pins?)|break(?:ing)?\\s+into|"
      "steal(?:s|ing)?|stole|stolen|theft|thie(?:f|ves)|fraud(?:ulent|sters?)?|scam(?:s|mers?|ming)?|"
      "launder(?:ing|ed)?|counterfeit\\w*|forg(?:e|ed|ery|ing)\\s+(?:a\\s+|the\\s+)?(?:documents?|ids?|signatures?|"
      "passports?|checks?|cheques?)|fake\\s+(?:ids?|identit(?:y|ies)|documents?|passports?)|carding|"
      "skimm(?:er|ers|ing)|extort\\w*|blackmail\\w*|doxx?(?:ing|ed)?|harass\\w*|spy(?:ing)?\\s+on|"
      "secretly\\s+(?:track|monitor|record|read|install|access|follow)\\w*|(?:find|track|locate|trace)\\w*\\s+"
      "(?:someone|somebody|a\\s+person|people|him|her|them)(?:['’]s)?\\s+(?:(?:new|home|current|real)\\s+)?"
      "(?:address|location|whereabouts|identity)|where\\s+(?:she|he|they)\\s+(?:lives?|live|works?|is\\s+staying)|(?:hide|hidden|hiding|conceal\\w*)\\s+"
      "(?:it\\s+|them\\s+)?from\\s+(?:the\\s+|its\\s+|their\\s+|her\\s+|his\\s+)?(?:phone['’]s\\s+)?(?:owner|user|"
      "person|partner|wife|husband|girlfriend|boyfriend|victim|target|parents?)|without\\s+(?:(?:his|her|their|"
      "the\\s+owner(?:['’]s)?|anyone(?:['’]s)?)\\s+)?(?:consent|permission|knowledge)|(?:bypass\\w*|skip(?:ping)?|"
      "get(?:ting)?\\s+(?:past|around))\\s+(?:the\\s+)?(?:verification|security|authentication|2fa|mfa|"
      "two[\\s-]*factor|id\\s+checks?)|explosives|explosive\\s+devices?|bombs?|detonat\\w*|molotov|napalm|thermite|"
      "nerve\\s+agents?|sarin|ricin|anthrax|toxins?|poison(?:s|ing|ed)?|meth(?:amphetamine)?|fentanyl|heroin|"
      "cocaine|ghost\\s+guns?|untraceable|silencers?|weapons?|firearms?|self[\\s-]*harm|suicide)\\b",
      cue_options()};
  // An earlier turn names a weapon, explosive, drug or malware: making it is harm by itself.
  RE2 artifact{
      "\\b(?:molotov|napalm|thermite|pipe\\s+bombs?|car\\s+bombs?|nail\\s+bombs?|(?:home[\\s-]*made|improvised|diy)\\s+"
      "(?:bombs?|explosives?|weapons?|guns?|firearms?|grenades?)|bomb[\\s-]*making|explosives|explosive\\s+devices?|"
      "detonators?|nerve\\s+agents?|sarin|vx\\s+(?:gas|nerve)|ricin|mustard\\s+gas|chlorine\\s+gas|bioweapons?|"
      "biological\\s+weapons?|chemical\\s+weapons?|meth(?:amphetamine)?|fentanyl|crack\\s+cocaine|ransomware|"
      "keyloggers?|stalkerware|credential\\s+stealers?|infostealers?|ghost\\s+guns?|untraceable\\s+(?:guns?|"
      "firearms?)|silencers?|suppressors?)\\b",
      cue_options()};

};

const Cues& cues() {
  static const Cues c;
  return c;
}


enum class Turn : std::uint8_t { kNone, kUser, kAssistant };

Turn turn_of(const TextPiece& p) noexcept {
  if (p.role == Role::kUser && !p.from_attachment) return Turn::kUser;
  if (p.role == Role::kAssistant) return Turn::kAssistant;
  return Turn::kNone;  // system, tool, document, text read from attachments: not turns
}

}  // namespace

CrescendoCues detect_crescendo(ContentResult& r) {
  CrescendoCues c;
  if (r.signatures == nullptr) return c;
  const auto& pieces = r.extraction.pieces;
  const std::size_t n = r.input_piece_index.size();

  // The turn structure, from the roles alone: the newest user turn, and the
  // turns before it.
  std::uint32_t user_turns = 0, assistant_turns = 0;
  std::size_t newest_first = n, newest_last = n;
  Turn last = Turn::kNone;
  for (std::size_t k = 0; k < n; ++k) {
    const Turn t = turn_of(pieces[r.input_piece_index[k]]);
    if (t == Turn::kNone) continue;
    if (t == Turn::kUser) {
      if (last != Turn::kUser) {
        ++user_turns;
        newest_first = k;
        c.earlier_user_turns = user_turns - 1;
        c.earlier_assistant_turns = assistant_turns;
      }
      newest_last = k;
    } else if (last != Turn::kAssistant) {
      ++assistant_turns;
    }
    last = t;
  }
  if (newest_first == n || c.earlier_user_turns < 2 || c.earlier_assistant_turns < 2) return c;
  const int sig = r.signatures->index_of("jailbreak.crescendo");
  if (sig < 0) return c;

  // The newest turn: a reference back, then an actionable form.
  std::size_t ref_piece = n;
  std::uint32_t ref_begin = 0, ref_end = 0;
  for (std::size_t k = newest_first; k <= newest_last && ref_piece == n; ++k) {
    if (turn_of(pieces[r.input_piece_index[k]]) != Turn::kUser) continue;
    if (r.signatures->find(static_cast<std::uint32_t>(sig), r.input_piece_text(k), 0, ref_begin, ref_end)) ref_piece = k;
  }
  if (ref_piece == n) return c;
  c.reference = true;
  const Cues& q = cues();
  bool newest_harm = false;
  for (std::size_t k = newest_first; k <= newest_last; ++k) {
    if (turn_of(pieces[r.input_piece_index[k]]) != Turn::kUser) continue;
    const std::string_view text = r.input_piece_text(k);
    c.actionable = c.actionable || has(q.actionable, text);
    c.misuse = c.misuse || has(q.misuse, text);
    c.defensive = c.defensive || has(q.defensive, text);
    newest_harm = newest_harm || has(q.harm, text);
  }
  if (!c.actionable) return c;

  // The earlier turns: which are in a misuse domain, and whether one names a
  // weapon, explosive, drug or malware.
  last = Turn::kNone;
  bool turn_harm = false;
  for (std::size_t k = 0; k < newest_first; ++k) {
    const Turn t = turn_of(pieces[r.input_piece_index[k]]);
    if (t == Turn::kNone) continue;
    if (t != last) turn_harm = false;  // a new turn
    last = t;
    const std::string_view text = r.input_piece_text(k);
    if (!turn_harm && has(q.harm, text)) {
      turn_harm = true;
      ++c.harm_turns;
      if (t == Turn::kUser) ++c.harm_user_turns;
    }
    c.artifact = c.artifact || has(q.artifact, text);
  }
  if (newest_harm) {
    ++c.harm_turns;
    ++c.harm_user_turns;
  } else if (c.misuse) {
    ++c.harm_turns;  // a victim or evasion puts the newest turn in the domain, but not the user's steering
  }

  const bool victim = c.misuse && c.harm_user_turns >= 1 && c.harm_turns >= 2;
  const bool weapon = c.artifact && !c.defensive;
  if (!victim && !weapon) return c;
  c.fired = true;

  // One hit: the sentence of the newest turn that refers back, from its start
  // (what the responder reads), at most ContentHit::kMaxExcerpt bytes.
  const std::string_view turn = r.input_piece_text(ref_piece);
  std::size_t from = std::min<std::size_t>(ref_begin, turn.size());
  const std::size_t floor = from > ContentHit::kMaxExcerpt / 2 ? from - ContentHit::kMaxExcerpt / 2 : 0;
  while (from > floor && turn.find_first_of(".!?\n", from - 1) != from - 1) --from;
  while (from < turn.size() && (turn[from] == ' ' || (static_cast<unsigned char>(turn[from]) & 0xC0) == 0x80)) ++from;
  std::size_t cut = std::min(turn.size(), from + ContentHit::kMaxExcerpt);
  while (cut > from && cut < turn.size() && (static_cast<unsigned char>(turn[cut]) & 0xC0) == 0x80) --cut;
  ContentHit hit;
  hit.signature = static_cast<std::uint32_t>(sig);
  hit.side = Side::kInput;
  hit.role = Role::kUser;
  hit.view_kind = "canonical";
  hit.view = -1;
  hit.begin = static_cast<std::uint32_t>(turn.data() + from - r.input.canonical.data());
  hit.end = static_cast<std::uint32_t>(turn.data() + cut - r.input.canonical.data());
  hit.severity = r.signatures->signatures()[static_cast<std::size_t>(sig)].severity;
  hit.excerpt.assign(turn.substr(from, cut - from));
  r.hits.push_back(std::move(hit));
  return c;
}

}  // namespace aiir::content
