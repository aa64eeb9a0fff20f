// az gap apart from its flags: the command line, as plain values, checked
// and resolved into a plan (which players, which sets, which budgets); the
// measurement of every player on every set; and the report. In az_tools,
// so that tests call each part in-process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/gap.h"
#include "analysis/position_set.h"
#include "analysis/report.h"
#include "engine/search_params.h"
#include "games/game.h"
#include "nn/inference_server.h"
#include "selfplay/run_dir.h"
#include "selfplay/spec.h"

namespace az {

// What az gap is asked; each field is the flag of the same name.
struct GapRequest {
  std::string players;  // specs, comma-separated
  std::string run;
  std::string sets;      // files and heldout:RUN, comma-separated
  std::string generate;  // generators, comma-separated
  std::string budgets = "50";
  // The reward spec whose exact values are the ground truth ("": a run's
  // own reward, from RUN/config, else the rules).
  std::string reward;
  std::string start;  // az play's flag, refused: positions come from sets
  int playout = 0;
  std::string playout_player = "random";
  bool move_mistakes = true;
  std::string label_cache = "beside";
  int min_ply = -1;  // -1: the game's profile
  int64_t max_positions = 0;
  int worst = 10;
  // A sign disagreement between two players needs |v| above this on both.
  double agreement_band = 0.1;
  int resamples = 1000;
  int threads = 0;  // 0: two
  int max_batch = 256;
  uint64_t seed = 1;
  // The network flags' server options (clients are set from threads).
  nn::InferenceServerOptions inference;
  // For the report.
  std::string command_line;
};

// One player to measure, made only when its turn comes (a run's
// checkpoints each hold a network; one at a time is enough).
struct GapPlayer {
  std::string name;  // the spec, or "run:DIR@step-N" for a run's checkpoint
  selfplay::Spec spec;
  int64_t step = -1;  // a run's checkpoint: its training step
  // The reward spec it is measured against: --reward, else a run's own
  // reward, else the rules. For one other than the rules the report adds
  // the inner/outer/total decomposition.
  std::string reward = "rules";
  // The reward spec a run player was trained on (RUN/config); empty for
  // the other players.
  std::string trained_on;
};

// A request checked and resolved.
struct GapPlan {
  const Game* game = nullptr;  // played by the rules
  // The spec players first, then the run's checkpoints in training order.
  std::vector<GapPlayer> players;
  // The first spec other than the rules that a player is measured against
  // or was trained on ("": none): its reward threats (a diagonal four one
  // or two plies away for `no_diagonals`) are a stratum of every result, so
  // a proxy-trained player and a rules-trained one compare on them.
  std::string threat_spec;
  // Position files and heldout:RUN (the run's own first, where it has one).
  std::vector<std::string> set_names;
  // Generated sets, starting at min_ply unless they give plies=A-B.
  std::vector<analysis::GeneratorSpec> generators;
  // Sorted, distinct, each > 0; a spec's sims=N or raw replaces them.
  std::vector<int> budgets;
  int min_ply = 0;
  int64_t max_positions = 0;
  uint64_t seed = 1;
  int threads = 2;
  // Full strength: no noise, the most visited move, one thread a search.
  engine::SearchParams search;
  nn::InferenceServerOptions inference;
  // Playouts for positions without an exact value (0: none), and who plays
  // them.
  int playout_games = 0;
  std::string playout_player;
  bool label_moves = true;
  std::string label_cache = "beside";  // beside, off or a directory
  int worst = 10;
  // A sign disagreement between two players needs |v| above this on both.
  double agreement_band = 0.1;
  int resamples = 1000;
  int max_batch = 256;
  std::string command_line;
};

// Checks `request` and resolves it for `game` (played by its rules). Every
// error is one line naming the flag or spec at fault. Reads only the run's
// checkpoint list, whether its held-out games exist, and the reward spec
// its RUN/config records.
absl::StatusOr<GapPlan> PlanGap(const Game& game, const GapRequest& request);

// Where the labels of `set` are cached under --label_cache=`label_cache`
// ("" for no cache): for a set of a game played by a reward spec other than
// the rules, beside the rules' cache with the spec in the name.
std::string LabelCachePath(const analysis::PositionSet& set,
                           const std::string& label_cache);

// The reward spec a run:DIR player or --run=DIR is measured against by
// default: the run's own (RUN/config's --reward, "rules" if absent),
// checked to be on `game`'s menu; a usage error naming the run otherwise.
absl::StatusOr<std::string> RunReward(const Game& game,
                                      const std::string& run_dir);

// The budgets `player` is measured at: its spec's sims=N (raw: none), else
// `defaults`.
std::vector<int> BudgetsOf(const selfplay::Spec& spec,
                           const std::vector<int>& defaults);

// Loads and labels the sets, then measures every player on every set.
absl::StatusOr<analysis::GapReport> MeasureGaps(const GapPlan& plan);

// What az gap prints: the table or the JSON object (`text`), and a note
// for stderr when the report directory has no pictures.
struct GapOutput {
  std::string text;
  std::string note;
};
// Writes the report directory `out_dir` (none when empty) and renders the
// output.
absl::StatusOr<GapOutput> RenderGapReport(const analysis::GapReport& report,
                                          const std::string& out_dir,
                                          bool json);

}  // namespace az
