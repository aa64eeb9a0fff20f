// `az hunt`: an adversary that steers games into positions where a
// player's learned value is confidently wrong, each proved by the game's
// exact solver, with the yield per 1000 exact labels set against random
// play and the player's own games on the same budget. The work is in
// tools/hunt.h and analysis/hunt.h.
#include <gflags/gflags.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/hunt.h"
#include "tools/network_flags.h"
#include "tools/players_flags.h"

DEFINE_int64(budget, 1000,
             "Exact labels (solver calls) each strategy may spend: the "
             "hunter, random play and the player against itself.");
DEFINE_int32(hunt_min_ply, -1,
             "Label no position of fewer plies (-1: per game, as az gap's "
             "--min_ply; connect4 12).");
DEFINE_int32(beam, 32, "Lines the hunter keeps between rounds.");
DEFINE_double(confident, 0.9,
              "A value above this magnitude with the wrong sign against the "
              "exact outcome is confidently wrong.");
DEFINE_double(draw_confident, 0.9,
              "On an exact draw, a value above this magnitude is "
              "confidently wrong.");
DEFINE_string(player_moves, "sample",
              "How the player moves in the hunter's games and its own: "
              "sample (from its policy) or best (its policy's top move).");
DEFINE_bool(baselines, true,
            "Also spend the budget on random play and on the player's own "
            "games, for comparison.");

namespace az {
namespace {

HuntRequest RequestFromFlags() {
  HuntRequest r;
  r.players = FLAGS_players;
  r.start = FLAGS_start;
  r.budget = FLAGS_budget;
  r.seed = FLAGS_seed;
  r.min_ply = FLAGS_hunt_min_ply;
  r.beam = FLAGS_beam;
  r.confident = FLAGS_confident;
  r.draw_confident = FLAGS_draw_confident;
  r.player_moves = FLAGS_player_moves;
  r.baselines = FLAGS_baselines;
  r.threads = FLAGS_threads;
  r.max_batch = FLAGS_max_batch;
  r.command_line = gflags::GetArgv();
  return r;
}

absl::Status HuntCommand(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(const Game* game, GameOfCommandLine(args));
  HuntRequest request = RequestFromFlags();
  absl::StatusOr<nn::InferenceServerOptions> inference =
      InferenceServerOptionsFromFlags(0);
  if (!inference.ok()) return AsUsageError(inference.status());
  request.inference = *inference;
  ASSIGN_OR_RETURN(HuntPlan plan, PlanHunt(*game, request));
  absl::StatusOr<analysis::HuntResult> result = RunHunt(plan);
  // A player that cannot be made (a missing checkpoint, one of another
  // game) is bad input.
  if (!result.ok()) return AsUsageError(result.status());
  if (!FLAGS_out.empty()) {
    ASSIGN_OR_RETURN(std::string note,
                     WriteHuntDirectory(plan, *result, FLAGS_out, "gnuplot"));
    if (!note.empty()) std::fprintf(stderr, "az hunt: %s\n", note.c_str());
  }
  const std::string text =
      FLAGS_json ? HuntJson(plan, *result).dump() + "\n"
                 : HuntTable(plan, *result) +
                       (FLAGS_out.empty()
                            ? ""
                            : "report: " + FLAGS_out + "/report.md\n");
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return absl::OkStatus();
}

int RunHuntCommand(const std::vector<std::string>& args) {
  return ExitCode("hunt", HuntCommand(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    hunt, "hunt",
    "an adversary that finds positions where a learned value is "
    "confidently wrong, proved by the exact solver",
    "az hunt --game=G --players=SPEC [--budget=N] [--seed=S] [--out=DIR] "
    "[--json]\n\n"
    "Plays one side against the player (its other side moves by the "
    "player's own policy) and searches for positions where the player's raw "
    "value v is confidently wrong: |v| > --confident with the wrong sign "
    "against the solver's exact outcome, or |v| > --draw_confident on an "
    "exact draw. Exact labels are the budget: the hunter labels only "
    "confident values, most suspicious first (its own one-move lookahead "
    "disagrees, the value jumps, the line has shown errors). Reports found "
    "positions per 1000 labels with a Wilson 95% interval, against random "
    "play and the player's own games on the same budget. A player spec's "
    ":sims=N adds the search value q of each find. --out=DIR writes "
    "positions.txt (for az gap --sets and az play --start), baselines.txt, "
    "hunt.json, report.md and a picture of the error by ply. Games without "
    "an exact solver (othello) and bad flags exit 2.",
    az::RunHuntCommand, "network", "players");
