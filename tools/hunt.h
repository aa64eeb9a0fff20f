// az hunt apart from its flags: the command line as plain values, checked
// and resolved into a plan (the player, the game's solver, the hunter's
// options); the hunt itself (analysis/hunt.h); and its output: a table or
// one JSON object, and with --out a directory holding the found positions
// as a position file (read by az gap --sets and, a line at a time, by
// az play --start), a Markdown report and a gnuplot picture of the error by
// ply. In az_tools, so that tests call each part in-process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/hunt.h"
#include "games/game.h"
#include "nlohmann/json.hpp"
#include "nn/inference_server.h"
#include "selfplay/spec.h"

namespace az {

// What az hunt is asked; each field is the flag of the same name.
struct HuntRequest {
  std::string players;  // one spec
  std::string start;    // az play's flag, refused
  int64_t budget = 1000;
  uint64_t seed = 1;
  int min_ply = -1;  // -1: the game's profile (as az gap)
  int beam = 32;
  double confident = 0.9;
  double draw_confident = 0.9;
  std::string player_moves = "sample";
  bool baselines = true;
  int threads = 0;  // 0: two
  int max_batch = 256;
  nn::InferenceServerOptions inference;
  std::string command_line;
};

struct HuntPlan {
  const Game* game = nullptr;
  selfplay::Spec player;
  analysis::HuntOptions options;
  nn::InferenceServerOptions inference;
  std::string command_line;
};

// Checks `request` for `game`; every error is a usage error naming the
// flag or spec at fault (a game without an exact solver among them).
absl::StatusOr<HuntPlan> PlanHunt(const Game& game, const HuntRequest& request);

// Makes the player's evaluator and hunts.
absl::StatusOr<analysis::HuntResult> RunHunt(const HuntPlan& plan);

// {"game", "player", "labels", "seconds", "confident_wrong_per_1000",
//  "..._lo", "..._hi", "found", "baselines": {"random": {...}, "self": ...},
//  "positions": [...]}.
nlohmann::json HuntJson(const HuntPlan& plan,
                        const analysis::HuntResult& result);
std::string HuntTable(const HuntPlan& plan,
                      const analysis::HuntResult& result);

// The found positions of `found` as a position file: one line each, the
// moves and the exact score for the side to move, after a comment line
// per position saying what was found there.
std::string HuntPositionFile(const Game& game,
                             const analysis::StrategyResult& found);

// Writes positions.txt (the hunter's finds), baselines.txt, report.md,
// error-by-ply.dat/.gp and its PNG (running `gnuplot`; where it cannot,
// the note says so) into `dir`. Returns the note ("" when all was drawn).
absl::StatusOr<std::string> WriteHuntDirectory(
    const HuntPlan& plan, const analysis::HuntResult& result,
    const std::string& dir, const std::string& gnuplot);

}  // namespace az
