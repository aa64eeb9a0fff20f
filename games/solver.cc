#include "games/solver.h"

#include <memory>

namespace az {

ExactValue NegateExactValue(ExactValue child) {
  return ExactValue{child.reward.ForOpponent(), -child.score};
}

bool IsBetterExactValue(ExactValue a, ExactValue b) {
  if (a.reward != b.reward) return a.reward.value() > b.reward.value();
  return a.score > b.score;
}

absl::StatusOr<std::vector<MoveValue>> ExactSolver::SolveMoves(
    const State& state) {
  std::vector<MoveValue> moves;
  std::unique_ptr<State> child = state.Clone();
  for (Action a : state.LegalActions()) {
    child->CopyFrom(state);
    child->Apply(a);
    absl::StatusOr<ExactValue> value = Solve(*child);
    if (!value.ok()) return value.status();
    moves.push_back(MoveValue{a, NegateExactValue(*value)});
  }
  return moves;
}

}  // namespace az
