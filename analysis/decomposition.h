// The decomposition of a value's error when a player is measured against a
// reward spec other than the rules (games/reward.h):
//   inner  its value against the exact values of the reward (value vs
//          reward: goal misgeneralization), the GapResult measured against
//          the reward's labels;
//   outer  the reward's exact values against the rules' exact values on the
//          same positions (reward vs intention: specification gaming), the
//          figures below;
//   total  its value against the rules' exact values (value vs intention),
//          the same evaluations rescored (RescoreGap), whose move-mistake
//          rate is the player's move-mistake rate under the rules.
// Every figure has a bootstrap interval over whole games, per stratum, with
// the same resamples as the inner and total results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/bootstrap.h"
#include "analysis/gap.h"
#include "analysis/labels.h"

namespace az::analysis {

// The reward against the rules on one stratum's positions. No learned value
// enters here: both sides are ground truth, the reward's and the rules'.
struct OuterFigures {
  std::string stratum;  // as the inner result's StratumResult::name
  int64_t positions = 0;
  int64_t games = 0;
  // Mean |reward value - rules value| for the side to move.
  Figure mean_abs_difference;
  // Share of positions whose reward value and rules value name different
  // outcomes (win, draw, loss).
  Figure sign_disagreement_rate;
  // Of the positions where both label every move: the share where some
  // move that is best under the reward is a mistake under the rules (a
  // player perfect at its reward may play it), and where every best move is.
  Figure reward_best_move_rules_mistake_rate;
  Figure reward_best_moves_all_rules_mistakes_rate;
  int64_t moves_labelled = 0;
};

// The names of OuterFigures' four figures, in the order OuterFigureList
// gives them, as JSON and CSV write them.
const std::vector<std::string>& OuterFigureNames();
std::vector<Figure> OuterFigureList(const OuterFigures& figures);

// The outer figures of every stratum of `by_reward` (a result measured
// against a reward's labels) against `by_rules` (the rules' labels of the
// same positions, in order).
std::vector<OuterFigures> MeasureOuter(const GapResult& by_reward,
                                       const std::vector<GroundTruth>& by_rules,
                                       const BootstrapOptions& bootstrap);

}  // namespace az::analysis
