#include "selfplay/match.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/random.h"
#include "games/hash.h"

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
  engine::Rng rng(MixBits(seed ^ MixBits(0x6f70656e ^ index)));
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
  second.Reset(MixBits(seed + 1));
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
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MatchResult> RunMatch(const Game& game,
                                     const std::vector<PlayerFactory*>& players,
                                     const MatchOptions& options,
                                     const GameCallback& on_game) {
  if (players.size() < 2) {
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
  absl::StatusOr<std::unique_ptr<State>> start =
      game.NewStateFromMoves(options.start);
  if (!start.ok()) return start.status();
  if ((*start)->IsTerminal()) {
    return absl::InvalidArgumentError("the start position is already over");
  }

  MatchResult result;
  std::vector<Scheduled> schedule;
  const int n = static_cast<int>(players.size());
  bool any_human = false;
  for (int a = 0; a < n; ++a) {
    result.players.push_back(players[a]->spec());
    any_human = any_human || players[a]->is_human();
    for (int b = a + 1; b < n; ++b) {
      const int pair = static_cast<int>(result.pairs.size());
      result.pairs.push_back(PairResults{a, b});
      for (int k = 0; k < options.games_per_pair; ++k) {
        schedule.push_back(k % 2 == 0 ? Scheduled{pair, a, b, k / 2}
                                      : Scheduled{pair, b, a, k / 2});
      }
    }
  }
  result.games.resize(schedule.size());

  std::mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  absl::Status first_error;
  auto worker = [&]() {
    // Each thread keeps its own players (searches are single-threaded
    // objects); networks are shared through their factories' servers.
    std::vector<std::unique_ptr<Player>> mine(n);
    while (!failed.load()) {
      if (options.cancel != nullptr && options.cancel->load()) return;
      const size_t i = next.fetch_add(1);
      if (i >= schedule.size()) return;
      const Scheduled& s = schedule[i];
      for (int p : {s.first, s.second}) {
        if (mine[p] == nullptr) mine[p] = players[p]->NewPlayer();
      }
      std::vector<Action> opening =
          MakeOpening(**start, options.opening_plies, options.seed, s.opening);
      MatchGame& g = result.games[i];
      g.first = s.first;
      g.second = s.second;
      absl::Status status =
          PlayOne(**start, opening, *mine[s.first], *mine[s.second],
                  MixBits(options.seed ^ MixBits(i + 1)), options.cancel, g);
      std::lock_guard<std::mutex> lock(mu);
      // A game stopped by the cancel is dropped, not a failure.
      if (options.cancel != nullptr && options.cancel->load() &&
          absl::IsCancelled(status)) {
        return;
      }
      if (!status.ok()) {
        if (!failed.exchange(true)) first_error = status;
        return;
      }
      PairResults& pair = result.pairs[s.pair];
      const bool a_first = s.first == pair.a;
      const TerminalReward reward = RewardFor(
          g.outcome, a_first ? az::Player::kFirst : az::Player::kSecond);
      if (reward.is_win()) {
        ++pair.wins;
        pair.wins_first += a_first;
      } else if (reward.is_loss()) {
        ++pair.losses;
        pair.losses_first += a_first;
      } else {
        ++pair.draws;
        pair.draws_first += a_first;
      }
      if (on_game) on_game(g);
    }
  };
  const int threads =
      any_human
          ? 1
          : std::min<int>(options.threads, static_cast<int>(schedule.size()));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (failed.load()) return first_error;
  if (options.cancel != nullptr && options.cancel->load()) {
    return absl::CancelledError("match cancelled");
  }
  return result;
}

}  // namespace az::selfplay
