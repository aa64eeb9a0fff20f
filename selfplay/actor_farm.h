// The self-play actor farm: threads that play many games at once against one
// shared evaluator (the inference server) and hand each finished game over
// as a GameRecord.
//
// Each actor thread drives one engine::MultiGameSearch over its slots, so
// every evaluator call carries one leaf from each of its games; a slot whose
// game ends starts a new one before the next move's search, keeping the
// batches full. Several actor threads let the network work on one thread's
// batch while another thread walks its trees.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/evaluation_cache.h"
#include "engine/evaluator.h"
#include "engine/search_params.h"
#include "games/game.h"
#include "selfplay/game_record.h"

namespace az::selfplay {

struct ActorFarmOptions {
  // The search of every move: simulations, Dirichlet noise (root_noise,
  // dirichlet_alpha, dirichlet_epsilon), temperature and temperature_moves,
  // reuse_tree. num_threads must be 1 (an actor thread drives every search
  // of its games); `seed` is replaced per game slot from `seed` below.
  engine::SearchParams search;
  // Threads that play games; each one has its own games.
  int actor_threads = 1;
  // Games each actor thread plays at once (the batch it sends per round).
  int games_per_thread = 64;
  // Seed of all the farm's randomness: slot s of actor thread t searches
  // with seed + t * games_per_thread + s, so a run with one actor thread
  // and a deterministic evaluator repeats exactly.
  uint64_t seed = 1;
  // Each game draws k uniformly from [0, random_opening_moves] and plays
  // its first k moves uniformly at random. Those positions are still
  // searched and recorded (their visits remain a valid policy target); the
  // random moves reach positions that strong self-play never shows the
  // value head, such as those after a blunder.
  int random_opening_moves = 0;
  // Playout-cap randomization (KataGo's, Wu 2019): when quick_simulations
  // is above 0, each move gets the full search above (search.num_simulations
  // with root noise) only with probability full_search_share, and otherwise
  // a quick search of quick_simulations without noise. Every move is played
  // and recorded, but only full searches are marked as training positions
  // (PositionRecord::full_search): the games finish sooner, so one hour
  // gives more game outcomes for the value head, while every policy target
  // still comes from a full search.
  int quick_simulations = 0;
  double full_search_share = 1.0;
  bool playout_caps() const {
    return quick_simulations > 0 && full_search_share < 1;
  }
  // Entries of an evaluation cache (engine/evaluation_cache.h) shared by
  // every actor thread in front of the evaluator; 0: none. Transpositions
  // within a search and the positions games share (the openings above all)
  // then cost one network evaluation, not one each. The search is the same
  // with or without it: a hit returns the values the same weights gave.
  int64_t cache_entries = 0;
  // Where a new game reads the weight version it starts with, for its
  // record (e.g. the inference server's); null records version 0.
  std::function<int64_t()> weights_version;
};

// Self-play statistics since Start(), for metrics.
struct ActorFarmStats {
  int64_t games = 0;        // finished games handed to the sink
  int64_t positions = 0;    // positions in those games (moves played)
  int64_t moves = 0;        // moves played, including in unfinished games
  int64_t simulations = 0;  // search simulations run
  int64_t evaluations = 0;  // leaves sent to the evaluator
  int64_t rounds = 0;       // evaluator calls
  // Of those leaves, how many the cache answered (0 without a cache).
  int64_t cache_hits = 0;
  double seconds = 0.0;     // since Start()
};

class ActorFarm {
 public:
  // Receives every finished game, from the actor threads: it must be
  // thread-safe and should return quickly (the actor waits for it).
  using GameSink = std::function<void(GameRecord record)>;

  // `game` and `evaluator` must outlive the farm; the evaluator must be
  // thread-safe when actor_threads > 1.
  static absl::StatusOr<std::unique_ptr<ActorFarm>> Create(
      const Game& game, engine::Evaluator* evaluator,
      const ActorFarmOptions& options, GameSink sink);
  ~ActorFarm();  // stops the actor threads
  ActorFarm(const ActorFarm&) = delete;
  ActorFarm& operator=(const ActorFarm&) = delete;

  const ActorFarmOptions& options() const { return options_; }

  // Starts the actor threads; FailedPrecondition when already started.
  absl::Status Start();
  // Stops the actor threads within about one evaluator call each and joins
  // them. Games in flight are dropped (no partial records). Returns the
  // first error an actor thread met (an evaluator failure), else OK.
  // Safe to call more than once.
  absl::Status Stop();
  // Whether every actor thread is still playing (false once one has failed).
  bool Running() const;

  ActorFarmStats Stats() const;

 private:
  struct Actor;
  ActorFarm(const Game& game, engine::Evaluator* evaluator,
            const ActorFarmOptions& options, GameSink sink);
  // One actor thread's work: plays its games until Stop() or an error.
  absl::Status RunActor(Actor& actor);
  // RunActor()'s parts: a new game in `slot`; the draw of whether the
  // slot's next search is a full or a quick one (playout caps); the move of
  // every slot after a round of searches; one slot's move (adding its
  // simulations to `*simulations`); the hand-over of a finished game.
  absl::Status NewGame(Actor& actor, int slot);
  void DrawBudget(Actor& actor, int slot);
  absl::Status PlayMoves(Actor& actor);
  absl::Status PlayMove(Actor& actor, int slot, int64_t* simulations);
  absl::Status FinishGame(Actor& actor, int slot);

  const Game& game_;
  // What the searches call: the caller's evaluator, or cache_ around it.
  engine::Evaluator* evaluator_;
  std::unique_ptr<engine::CachingEvaluator> cache_;
  ActorFarmOptions options_;
  GameSink sink_;
  std::vector<std::unique_ptr<Actor>> actors_;

  std::atomic<bool> stop_{false};
  std::atomic<int> failed_{0};
  bool started_ = false;
  std::chrono::steady_clock::time_point start_time_;

  std::atomic<int64_t> games_{0};
  std::atomic<int64_t> positions_{0};
  std::atomic<int64_t> moves_{0};
  std::atomic<int64_t> simulations_{0};
  std::atomic<int64_t> evaluations_{0};
  std::atomic<int64_t> rounds_{0};

  std::mutex status_mu_;
  absl::Status first_error_;  // under status_mu_
};

}  // namespace az::selfplay
