// Exact labels for az serve, computed off the request threads: a position
// asked for is queued for one background solver and answered "solving"
// until its values are in the cache (keyed by the position's moves), so a
// slow solve never holds up the page. Newest requests are solved first (the
// position on the board is the one a person waits for); the queue is
// bounded, dropping the oldest.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "games/game.h"
#include "games/solver.h"

namespace az {

// The exact values of one position, for its side to move.
struct ExactLabels {
  ExactValue position;
  // Every legal move's value for the side that plays it.
  std::vector<MoveValue> moves;
};

class ExactLabeller {
 public:
  // No solver (the game has none) means every lookup says so.
  ExactLabeller(const Game& game, int max_queue = 64, int max_cache = 4096);
  // Drops the queue; a solve in progress finishes on its own (its thread
  // holds what it needs), so a long one never holds up the exit.
  ~ExactLabeller();
  ExactLabeller(const ExactLabeller&) = delete;
  ExactLabeller& operator=(const ExactLabeller&) = delete;

  bool has_solver() const { return has_solver_; }

  enum class Status { kNoSolver, kSolving, kDone, kFailed };
  struct Lookup {
    Status status = Status::kNoSolver;
    std::optional<ExactLabels> labels;  // kDone
    std::string error;                  // kFailed
  };
  // The labels of the position after `moves` (a legal, unfinished line in
  // the game's notation, already checked) if known; otherwise queues it.
  Lookup Get(const std::string& moves);
  // Blocks until the position is labelled (tests; a CLI that wants it).
  Lookup Wait(const std::string& moves);

  // The lookup as the API shows it: {"status": "solving" | "done" | ...,
  // "value", "result", "score", "moves": {MOVE: {...}}}.
  static nlohmann::json ToJson(const Game& game, const Lookup& lookup);

 private:
  // What the labeller and its solver thread share; the thread keeps it alive
  // past the labeller.
  struct Shared {
    const Game* game = nullptr;  // a registry game: lives for ever
    int max_cache = 0;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::string> queue;  // newest at the back
    std::map<std::string, Lookup> cache;
    std::deque<std::string> cache_order;  // oldest first, for eviction
    std::string in_progress;
    bool stop = false;
  };
  static void Work(std::shared_ptr<Shared> shared);

  const bool has_solver_;
  const int max_queue_;
  std::shared_ptr<Shared> s_;
};

}  // namespace az
