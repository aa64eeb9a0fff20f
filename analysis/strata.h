// Strata of positions for `az gap`: the quiet positions, where neither side
// can win at once or has to stop the other from winning at once, so the
// value has to judge the position rather than spot a tactic; the reward
// threats, where a reward spec and the rules are about to disagree on how
// the game ends (for `no_diagonals`: a diagonal four one or two plies away);
// and game stages (buckets of the move number).
#pragma once

#include <string>

#include "games/game.h"

namespace az::analysis {

// Whether `state` (not over) is quiet: no move of the side to move wins at
// once, and no move of the side to move lets the opponent win with its
// reply. The second part covers a threat the side to move must answer (then
// every move but the block loses at once) and moves that give a win away.
// Generic over games: only legal moves, Apply and the terminal reward.
bool IsQuiet(const State& state);

// Whether, in `state` of a game played by a reward spec, a move of the side
// to move or a reply to one ends the game differently by the spec than by
// the real rules (one ends it and the other does not, or they name
// different winners). State::Verdict() gives the rules' side. False where
// the rules have already ended the game (the position is outside the real
// game) and for a game played by the rules. Specs that only grade a result
// (`discs`, `quick`) never differ here: this is about when a game ends and
// who won, not by how much.
bool HasRewardThreat(const State& state);

// Plies per game-stage bucket: a quarter of the longest game, so that every
// game has about four stages (tictactoe 3, connect4 11).
int StageWidth(const Game& game);
// The stage bucket of a position `ply` plies into the game.
int StageIndex(const Game& game, int ply);
// "plies 11-21": the bucket's name in reports.
std::string StageName(const Game& game, int index);

}  // namespace az::analysis
