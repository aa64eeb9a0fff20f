// The learner's intake of games from actors: what turns a stream entry into
// a game the run may store and train on, or into a counted rejection.
//
// Nothing an actor sends is believed that the rules can recompute. An entry
// is decoded with the bounded record decoder, then replayed through the
// game's rules (every move legal, visits only on legal moves, one position
// per move); its outcome, every position's reward (under the run's reward
// spec: `game` is that spec's Game) and its intended verdict are recomputed
// by games/, and a record whose own differ (a forged z or verdict, or z
// paid under another spec) is rejected, not repaired. A game already stored under the same
// (actor, seq) is a duplicate (a resend after a fault) and is dropped.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/game_record.h"
#include "store/run_store.h"

namespace az::store {

// The (actor, seq) pairs a run has stored. Actors number their games
// 1, 2, ... so each actor costs its highest gap-free number plus the few
// numbers above it that have arrived out of order.
class SeenGames {
 public:
  // False if the pair was there already.
  bool Insert(const std::string& actor, uint64_t seq);
  bool Contains(const std::string& actor, uint64_t seq) const;
  size_t actors() const { return by_actor_.size(); }
  int64_t size() const { return size_; }

 private:
  struct Actor {
    uint64_t contiguous = 0;    // 1..contiguous are all seen
    std::set<uint64_t> above;   // seen numbers > contiguous + 1
  };
  std::map<std::string, Actor> by_actor_;
  int64_t size_ = 0;
};

// Why an entry was not stored, as counted in metrics and logged.
enum class Rejection {
  kMalformedEntry,   // not an entry of the stream's shape
  kOversized,        // a record larger than any game of this game
  kUndecodable,      // bytes that do not decode as a record
  kAgainstTheRules,  // a move, visit or size the rules refuse
  kForgedReward,     // an outcome, z or verdict other than games/ give
};
const char* RejectionName(Rejection r);

struct IntakeVerdict {
  enum class Kind { kAccepted, kDuplicate, kRejected };
  Kind kind = Kind::kRejected;
  Rejection rejection = Rejection::kMalformedEntry;  // kRejected only
  std::string reason;                                // kRejected only
  selfplay::GameRecord record;                       // kAccepted only
};

struct IntakeOptions {
  // A record longer than this is rejected before decoding; the default is
  // far above any game's encoding (tens of kB for the longest here).
  size_t max_record_bytes = 1 << 20;
};

// Judges one entry against `game`'s rules and the pairs already `seen`
// (which it does not change: a game is seen once it is stored).
IntakeVerdict JudgeGameEntry(const Game& game, const StreamEntry& entry,
                             const SeenGames& seen,
                             const IntakeOptions& options = {});

}  // namespace az::store
