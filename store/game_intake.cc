#include "store/game_intake.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"

namespace az::store {

bool SeenGames::Insert(const std::string& actor, uint64_t seq) {
  Actor& a = by_actor_[actor];
  if (seq <= a.contiguous || !a.above.insert(seq).second) return false;
  ++size_;
  // Fold the numbers that now continue the gap-free run.
  while (!a.above.empty() && *a.above.begin() == a.contiguous + 1) {
    a.above.erase(a.above.begin());
    ++a.contiguous;
  }
  return true;
}

bool SeenGames::Contains(const std::string& actor, uint64_t seq) const {
  auto it = by_actor_.find(actor);
  if (it == by_actor_.end()) return false;
  return seq <= it->second.contiguous || it->second.above.count(seq) > 0;
}

const char* RejectionName(Rejection r) {
  switch (r) {
    case Rejection::kMalformedEntry:
      return "malformed entry";
    case Rejection::kOversized:
      return "oversized record";
    case Rejection::kUndecodable:
      return "undecodable record";
    case Rejection::kAgainstTheRules:
      return "against the rules";
    case Rejection::kForgedReward:
      return "forged reward";
  }
  return "?";
}

namespace {

IntakeVerdict Rejected(Rejection why, absl::string_view detail) {
  IntakeVerdict v;
  v.kind = IntakeVerdict::Kind::kRejected;
  v.rejection = why;
  v.reason = absl::StrCat(RejectionName(why), ": ", detail);
  return v;
}

}  // namespace

IntakeVerdict JudgeGameEntry(const Game& game, const StreamEntry& entry,
                             const SeenGames& seen,
                             const IntakeOptions& options) {
  if (!entry.parsed.ok()) {
    return Rejected(Rejection::kMalformedEntry, entry.parsed.message());
  }
  const GameMessage& m = entry.game;
  if (seen.Contains(m.actor, m.seq)) {
    IntakeVerdict v;
    v.kind = IntakeVerdict::Kind::kDuplicate;
    return v;
  }
  if (m.record.size() > options.max_record_bytes) {
    return Rejected(Rejection::kOversized,
                    absl::StrCat(m.record.size(), " bytes, above the limit of ",
                                 options.max_record_bytes));
  }
  absl::StatusOr<selfplay::GameRecord> record =
      selfplay::DecodeGameRecord(m.record, game.Name());
  if (!record.ok()) {
    return Rejected(Rejection::kUndecodable, record.status().message());
  }
  if (record->outcome == GameOutcome::kOngoing) {
    return Rejected(Rejection::kAgainstTheRules, "the game is not finished");
  }
  // One replay checks the moves, visits, search values, outcome and every
  // reward against the rules; a game that passes holds exactly the rules'
  // rewards, so nothing from the wire is kept that games/ did not give.
  absl::Status valid = selfplay::ValidateGameRecord(game, *record);
  if (!valid.ok()) {
    // Only for a rejected game: was it the play or the payout? The same
    // check without the outcome tells them apart.
    selfplay::GameRecord moves_only = *record;
    moves_only.outcome = GameOutcome::kOngoing;
    const bool play_ok = selfplay::ValidateGameRecord(game, moves_only).ok();
    return Rejected(play_ok ? Rejection::kForgedReward
                            : Rejection::kAgainstTheRules,
                    valid.message());
  }
  IntakeVerdict v;
  v.kind = IntakeVerdict::Kind::kAccepted;
  v.record = *std::move(record);
  return v;
}

}  // namespace az::store
