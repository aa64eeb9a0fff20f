#include "selfplay/match.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/random.h"
#include "base/hash.h"

namespace az::selfplay {
namespace {

struct Scheduled {
  int pair = 0;
  int first = 0;
  int second = 0;
  int opening = 0;  // which opening: both colours of a pair of games share it
};

// The opening of number `index`: up to `plies` random legal moves from
// `start` that do not end the game.
std::vector<Action> MakeOpening(const State& start, int plies, uint64_t seed,
                                int index) {
  base::Rng rng(base::MixBits(seed ^ base::MixBits(0x6f70656e ^ index)));
  std::vector<Action> moves;
  std::unique_ptr<State> state = start.Clone();
  for (int ply = 0; ply < plies; ++ply) {
    std::vector<Action> legal;
    for (Action a : state->LegalActions()) {
      std::unique_ptr<State> next = state->Clone();
      next->Apply(a);
      if (!next->IsTerminal()) legal.push_back(a);
    }
    if (legal.empty()) break;
    Action a = legal[rng.Below(legal.size())];
    state->Apply(a);
    moves.push_back(a);
  }
  return moves;
}

// Plays one game; Cancelled, before the next move, once `cancel` is set.
absl::Status PlayOne(const State& start, const std::vector<Action>& opening,
                     Player& first, Player& second, uint64_t seed,
                     const std::atomic<bool>* cancel, MatchGame& game) {
  std::unique_ptr<State> state = start.Clone();
  for (Action a : opening) state->Apply(a);
  game.moves = opening;
  game.opening_plies = static_cast<int>(opening.size());
  first.Reset(seed);
  second.Reset(base::MixBits(seed + 1));
  while (!state->IsTerminal()) {
    if (cancel != nullptr && cancel->load()) {
      return absl::CancelledError("match cancelled");
    }
    Player& mover = state->ToMove() == az::Player::kFirst ? first : second;
    absl::StatusOr<Action> action = mover.ChooseMove(*state, nullptr);
    if (!action.ok()) {
      return absl::Status(
          action.status().code(),
          absl::StrCat(mover.Name(), ": ", action.status().message()));
    }
    if (absl::Status legal = state->CheckLegal(*action); !legal.ok()) {
      return absl::InternalError(absl::StrCat(
          mover.Name(), " chose an illegal move: ", legal.message()));
    }
    state->Apply(*action);
    first.Observe(*action);
    second.Observe(*action);
    game.moves.push_back(*action);
  }
  game.outcome = state->Outcome();
  game.verdict = state->Verdict();
  return absl::OkStatus();
}

// OK, or why a match of `num_players` players cannot be played so.
absl::Status CheckMatch(size_t num_players, const MatchOptions& options) {
  if (num_players < 2) {
    return absl::InvalidArgumentError("a match needs at least two players");
  }
  if (options.games_per_pair < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "games per pair must be >= 1 (got ", options.games_per_pair, ")"));
  }
  if (options.opening_plies < 0 || options.threads < 1) {
    return absl::InvalidArgumentError(
        "opening plies must be >= 0 and threads >= 1");
  }
  return absl::OkStatus();
}

// The round robin's games, pair by pair (a < b), colours alternating within
// a pair; fills in result->players and result->pairs.
std::vector<Scheduled> ScheduleGames(const std::vector<PlayerFactory*>& players,
                                     int games_per_pair, MatchResult* result) {
  std::vector<Scheduled> schedule;
  const int n = static_cast<int>(players.size());
  for (int a = 0; a < n; ++a) {
    result->players.push_back(players[a]->spec());
    for (int b = a + 1; b < n; ++b) {
      const int pair = static_cast<int>(result->pairs.size());
      result->pairs.push_back(PairResults{a, b});
      for (int k = 0; k < games_per_pair; ++k) {
        schedule.push_back(k % 2 == 0 ? Scheduled{pair, a, b, k / 2}
                                      : Scheduled{pair, b, a, k / 2});
      }
    }
  }
  return schedule;
}

// Adds the outcome of a game of `pair` to it (counted for pair->a).
void CountGame(const Scheduled& s, GameOutcome outcome, PairResults* pair) {
  const bool a_first = s.first == pair->a;
  const TerminalReward reward =
      RewardFor(outcome, a_first ? az::Player::kFirst : az::Player::kSecond);
  if (reward.is_win()) {
    ++pair->wins;
    pair->wins_first += a_first;
  } else if (reward.is_loss()) {
    ++pair->losses;
    pair->losses_first += a_first;
  } else {
    ++pair->draws;
    pair->draws_first += a_first;
  }
}

// The scheduled games of one match and what the threads that play them
// share: the next game to take, the results and the first error.
class MatchRun {
 public:
  MatchRun(const State& start, const std::vector<PlayerFactory*>& players,
           const MatchOptions& options, const GameCallback& on_game,
           std::vector<Scheduled> schedule, MatchResult* result)
      : start_(start),
        players_(players),
        options_(options),
        on_game_(on_game),
        schedule_(std::move(schedule)),
        result_(result) {}

  // One thread's work: plays the next game of the schedule until none is
  // left, one has failed or the match is cancelled.
  void Work() {
    // Each thread keeps its own players (searches are single-threaded
    // objects); networks are shared through their factories' servers.
    std::vector<std::unique_ptr<Player>> mine(players_.size());
    while (!failed_.load()) {
      if (Cancelled()) return;
      const size_t i = next_.fetch_add(1);
      if (i >= schedule_.size()) return;
      const Scheduled& s = schedule_[i];
      for (int p : {s.first, s.second}) {
        if (mine[p] == nullptr) mine[p] = players_[p]->NewPlayer();
      }
      const std::vector<Action> opening =
          MakeOpening(start_, options_.opening_plies, options_.seed, s.opening);
      MatchGame& g = result_->games[i];
      g.first = s.first;
      g.second = s.second;
      absl::Status status =
          PlayOne(start_, opening, *mine[s.first], *mine[s.second],
                  base::MixBits(options_.seed ^ base::MixBits(i + 1)), options_.cancel, g);
      if (!Record(s, g, std::move(status))) return;
    }
  }

  // The first error of a game (after every Work() has returned).
  absl::Status first_error() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_error_;
  }

 private:
  bool Cancelled() const {
    return options_.cancel != nullptr && options_.cancel->load();
  }

  // Counts a game that was played to its end and tells the callback; false
  // (the thread stops) for a game that failed or was cancelled instead.
  bool Record(const Scheduled& s, const MatchGame& g, absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    // A game stopped by the cancel is dropped, not a failure.
    if (Cancelled() && absl::IsCancelled(status)) return false;
    if (!status.ok()) {
      if (!failed_.exchange(true)) first_error_ = std::move(status);
      return false;
    }
    CountGame(s, g.outcome, &result_->pairs[s.pair]);
    if (on_game_) on_game_(g);
    return true;
  }

  const State& start_;
  const std::vector<PlayerFactory*>& players_;
  const MatchOptions& options_;
  const GameCallback& on_game_;
  const std::vector<Scheduled> schedule_;
  MatchResult* result_;  // games and pairs written under mu_
  std::mutex mu_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  absl::Status first_error_;  // under mu_
};

}  // namespace

absl::StatusOr<MatchResult> RunMatch(const Game& game,
                                     const std::vector<PlayerFactory*>& players,
                                     const MatchOptions& options,
                                     const GameCallback& on_game) {
  RETURN_IF_ERROR(CheckMatch(players.size(), options));
  ASSIGN_OR_RETURN(const std::unique_ptr<State> start,
                   game.NewStateFromMoves(options.start));
  if (start->IsTerminal()) {
    return absl::InvalidArgumentError("the start position is already over");
  }
  MatchResult result;
  std::vector<Scheduled> schedule =
      ScheduleGames(players, options.games_per_pair, &result);
  result.games.resize(schedule.size());
  const bool any_human =
      std::any_of(players.begin(), players.end(),
                  [](const PlayerFactory* p) { return p->is_human(); });
  const int threads =
      any_human
          ? 1
          : std::min<int>(options.threads, static_cast<int>(schedule.size()));
  MatchRun run(*start, players, options, on_game, std::move(schedule), &result);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back([&run] { run.Work(); });
  run.Work();
  for (std::thread& t : pool) t.join();
  RETURN_IF_ERROR(run.first_error());
  if (options.cancel != nullptr && options.cancel->load()) {
    return absl::CancelledError("match cancelled");
  }
  return result;
}

}  // namespace az::selfplay
