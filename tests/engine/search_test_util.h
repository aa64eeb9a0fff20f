// Helpers for the search tests: brute-force forced-win checks (to verify
// what the search plays) and generators of test positions.
#pragma once

#include <memory>
#include <vector>

#include "base/random.h"
#include "games/game.h"

namespace az::engine::testing {

bool AllRepliesLose(const State& state, int plies);

// Whether the side to move can force a win within `plies` plies.
inline bool ForcedWin(const State& state, int plies) {
  if (plies <= 0 || state.IsTerminal()) return false;
  std::unique_ptr<State> child = state.Clone();
  for (Action a : state.LegalActions()) {
    child->CopyFrom(state);
    child->Apply(a);
    if (child->IsTerminal()) {
      if (child->Reward(state.ToMove()).is_win()) return true;
      continue;
    }
    if (plies >= 3 && AllRepliesLose(*child, plies - 1)) return true;
  }
  return false;
}

// Whether every move of the side to move lets the opponent force a win
// within `plies` plies.
inline bool AllRepliesLose(const State& state, int plies) {
  std::unique_ptr<State> child = state.Clone();
  for (Action a : state.LegalActions()) {
    child->CopyFrom(state);
    child->Apply(a);
    if (child->IsTerminal()) return false;  // a win or a draw for the mover
    if (!ForcedWin(*child, plies - 1)) return false;
  }
  return true;
}

// Whether `action` keeps a forced win within `plies` plies.
inline bool IsWinningMove(const State& state, Action action, int plies) {
  std::unique_ptr<State> child = state.Clone();
  child->Apply(action);
  if (child->IsTerminal()) return child->Reward(state.ToMove()).is_win();
  return plies >= 3 && AllRepliesLose(*child, plies - 1);
}

// Positions from random games (seeded) where the side to move wins in
// exactly `moves` of its own moves (2 * moves - 1 plies) and no sooner.
inline std::vector<std::unique_ptr<State>> ForcedWinPositions(const Game& game,
                                                              int moves,
                                                              int count,
                                                              uint64_t seed) {
  std::vector<std::unique_ptr<State>> out;
  base::Rng rng(seed);
  std::vector<Action> legal(game.NumActions());
  for (int g = 0; g < 20000 && static_cast<int>(out.size()) < count; ++g) {
    std::unique_ptr<State> state = game.NewInitialState();
    while (!state->IsTerminal() && static_cast<int>(out.size()) < count) {
      if (ForcedWin(*state, 2 * moves - 1) &&
          !ForcedWin(*state, 2 * moves - 3)) {
        out.push_back(state->Clone());
        break;  // one position per game, for variety
      }
      int n = state->FillLegalActions(legal.data());
      state->Apply(legal[rng.Below(n)]);
    }
  }
  return out;
}

// Positions where the side to move has no immediate win, the opponent
// threatens one, and exactly one move stops it.
inline std::vector<std::unique_ptr<State>> SingleBlockPositions(
    const Game& game, int count, uint64_t seed) {
  std::vector<std::unique_ptr<State>> out;
  base::Rng rng(seed);
  std::vector<Action> legal(game.NumActions());
  for (int g = 0; g < 20000 && static_cast<int>(out.size()) < count; ++g) {
    std::unique_ptr<State> state = game.NewInitialState();
    while (!state->IsTerminal()) {
      if (!ForcedWin(*state, 1)) {
        int safe = 0;
        int moves = 0;
        for (Action a : state->LegalActions()) {
          std::unique_ptr<State> child = state->Clone();
          child->Apply(a);
          ++moves;
          if (child->IsTerminal() || !ForcedWin(*child, 1)) ++safe;
        }
        if (safe == 1 && moves > 1) {
          out.push_back(state->Clone());
          break;
        }
      }
      int n = state->FillLegalActions(legal.data());
      state->Apply(legal[rng.Below(n)]);
    }
  }
  return out;
}

}  // namespace az::engine::testing
