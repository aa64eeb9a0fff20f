// `az gap`: how far the learned value (the raw network value v, and the
// search value q at several simulation budgets) is from the terminal reward,
// on held-out, file and generated position sets, with bootstrap intervals,
// a quiet stratum, the reward threats of a proxy spec, game stages, the in-minus-out-of-distribution difference
// and, with --run, every checkpoint of a training run in training order.
// The work is in tools/gap.h.
#include <gflags/gflags.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/gap.h"
#include "tools/network_flags.h"
#include "tools/players_flags.h"
#include "tools/reward_spec.h"
#include "tools/run_flags.h"
#include "tools/sets_flags.h"

DEFINE_string(generate, "",
              "Generated sets, comma-separated: random:N (positions after "
              "uniformly random moves) or lopsided:N (one side takes wins "
              "and blocks threats, the other moves at random), each with an "
              "optional :plies=A-B; seeded from --seed.");
DEFINE_string(budgets, "50",
              "Search budgets in simulations, comma-separated (e.g. "
              "0,50,400; 0 or empty: the raw value only). A player spec's "
              ":sims=N replaces them for that player, :raw removes them; its "
              ":c_init=X and :fpu=X apply to its searches.");
DEFINE_int32(playout, 0,
             "For positions without an exact value (no solver, no score in "
             "the file): estimate it from this many games played on by "
             "--playout_player (reported as an estimate).");
DEFINE_string(playout_player, "random",
              "The player spec that plays the --playout games (both sides).");
DEFINE_bool(move_mistakes, true,
            "Label every legal move with the solver (where the game has one) "
            "to measure how often the policy's and the search's move is a "
            "mistake. Slow on shallow Connect Four positions; labels are "
            "cached.");
DEFINE_string(label_cache, "beside",
              "Where ground-truth labels are cached: beside (FILE.gap-labels "
              "beside a position file, RUN/heldout/gap-labels; generated "
              "sets are not cached), off, or a directory for all sets.");
DEFINE_int32(min_ply, -1,
             "Leave out positions of fewer plies (-1: per game; connect4 "
             "12, where shallower positions take the solver seconds each; 0 "
             "otherwise). Generated sets without plies=A-B start there.");
DEFINE_int64(max_positions, 0,
             "Measure at most this many positions per set: a seeded sample "
             "of whole games (0: all).");
DEFINE_int32(worst, 10, "How many of the worst positions to list per set.");
DEFINE_double(agreement_band, 0.1,
              "With several players, the agreement table counts a sign "
              "disagreement where one value is above +BAND and the other "
              "below -BAND.");
DEFINE_int32(resamples, 1000,
             "Bootstrap resamples (over whole games) per interval.");

namespace az {
namespace {

// The flags as a request; the network flags' errors are the command line's.
absl::StatusOr<GapRequest> RequestFromFlags() {
  GapRequest request;
  request.players = FLAGS_players;
  request.run = FLAGS_run;
  request.sets = FLAGS_sets;
  request.generate = FLAGS_generate;
  request.budgets = FLAGS_budgets;
  request.reward = RewardFlagIfSet();
  request.start = FLAGS_start;
  request.playout = FLAGS_playout;
  request.playout_player = FLAGS_playout_player;
  request.move_mistakes = FLAGS_move_mistakes;
  request.label_cache = FLAGS_label_cache;
  request.min_ply = FLAGS_min_ply;
  request.max_positions = FLAGS_max_positions;
  request.worst = FLAGS_worst;
  request.agreement_band = FLAGS_agreement_band;
  request.resamples = FLAGS_resamples;
  request.threads = FLAGS_threads;
  request.max_batch = FLAGS_max_batch;
  request.seed = FLAGS_seed;
  request.command_line = gflags::GetArgv();
  ASSIGN_OR_RETURN(request.inference, InferenceServerOptionsFromFlags(0));
  return request;
}

absl::Status Gap(const std::vector<std::string>& args) {
  absl::StatusOr<const Game*> game = GameOfCommandLine(args);
  if (!game.ok() && args.size() > 1) {
    return UsageError(absl::StrCat(game.status().message(),
                                   " (sets are given with --sets=FILE,...)"));
  }
  RETURN_IF_ERROR(game.status());
  ASSIGN_OR_RETURN(GapRequest request, RequestFromFlags());
  ASSIGN_OR_RETURN(GapPlan plan, PlanGap(**game, request));
  ASSIGN_OR_RETURN(analysis::GapReport report, MeasureGaps(plan));
  ASSIGN_OR_RETURN(GapOutput output,
                   RenderGapReport(report, FLAGS_out, FLAGS_json));
  if (!output.note.empty()) {
    std::fprintf(stderr, "az gap: %s\n", output.note.c_str());
  }
  std::fwrite(output.text.data(), 1, output.text.size(), stdout);
  std::fflush(stdout);
  return absl::OkStatus();
}

int RunGap(const std::vector<std::string>& args) {
  // az gap exits 2 on every failure, as its help has always said: a set,
  // a checkpoint or a label cache it cannot use is bad input to it.
  return ExitCode("gap", AsUsageError(Gap(args)));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    gap, "gap",
    "how far learned values (v, q) are from the terminal reward, in and out "
    "of distribution",
    "az gap --game=G (--players=SPEC[,SPEC...] | --run=DIR) "
    "[--sets=FILE|heldout:RUN,...] [--generate=random:N,...] "
    "[--budgets=0,50,400] [--reward=SPEC] [--out=DIR] [--json]\n\n"
    "Measures, per position set and player, the raw value v (the network's "
    "WDL) and the search value q after each --budgets simulation count "
    "against the ground truth: the exact reward under perfect play (a score "
    "in the file, else the game's solver), or with --playout=N an estimate "
    "from N games played on. Figures: mse, accuracy (3-class: argmax of a "
    "WDL, else value > 1/3 win, < -1/3 loss), confident_wrong_rate (|value| "
    "> 0.9 and that outcome is not the truth), log_loss and brier over "
    "win/draw/loss (a search value q has no draw probability: "
    "{(1+q)/2, 0, (1-q)/2}), ece (15 value bins), move_mistake_rate (the "
    "policy's / search's move has a worse exact reward than the best), and "
    "mse_ratio_to_value for searches; each with a 95% bootstrap interval "
    "over whole games (_lo/_hi), for all positions, the quiet ones (no "
    "immediate win or loss within a move), the threats of the first spec "
    "other than the rules that a player is measured against or was trained "
    "on (\"no_diagonals threat\": a move or a reply ends the game "
    "differently by that spec than by the rules, e.g. a diagonal four) and "
    "each game stage; with a "
    "heldout:RUN set, each other set's in-minus-out difference. Players: "
    "solver (gap zero), uniform (the constant-draw baseline), mcts[:OPTS], "
    "net:PATH[:OPTS], run:DIR[:OPTS] (OPTS as in az match). --out=DIR "
    "writes CSVs, gnuplot pictures and report.md. --reward=SPEC measures "
    "against a reward spec's exact values (default: a run's own reward, "
    "else the rules); for a spec other than the rules each set also gets "
    "the decomposition: inner (value vs reward), outer (the reward's exact "
    "values vs the rules': mean |difference|, sign disagreement, the share "
    "where a move best under the reward is a mistake under the rules) and "
    "total (value vs the rules, with the move-mistake rate under the "
    "rules), in the table, the JSON (\"decomposition\") and "
    "decomposition.csv. Exits 2 on bad input.",
    az::RunGap, "network", "players", "run", "sets");
