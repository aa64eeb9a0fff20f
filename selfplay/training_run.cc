#include "selfplay/training_run.h"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "base/random.h"
#include "engine/search_params.h"
#include "base/hash.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "selfplay/match.h"
#include "selfplay/metrics_log.h"
#include "selfplay/player.h"
#include "selfplay/record_io.h"
#include "selfplay/run_dir.h"

namespace az::selfplay {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct ShardTotals {
  int64_t games = 0;
  int64_t positions = 0;
  int64_t damaged_records = 0;
  int64_t truncated_bytes = 0;
  int64_t damaged_shards = 0;  // skipped whole: their header is damaged
  std::vector<GameOrigin> origins;  // of the games from other machines
};

// Counts the whole, valid games of every shard in `dir`.
absl::StatusOr<ShardTotals> CountShardGames(const Game& game,
                                            const std::string& dir) {
  ASSIGN_OR_RETURN(const std::vector<std::string> shards, ListShards(dir));
  ShardTotals totals;
  for (const std::string& path : shards) {
    ASSIGN_OR_RETURN(const std::optional<ShardContents> contents,
                     ReadShardOfGame(path, game.Name()));
    // Its games are lost; the run goes on without them.
    if (!contents.has_value()) {
      ++totals.damaged_shards;
      continue;
    }
    totals.damaged_records += contents->corrupt_records;
    totals.truncated_bytes += contents->truncated_tail_bytes;
    for (const GameRecord& record : contents->records) {
      if (!ValidateGameRecord(game, record).ok()) {
        ++totals.damaged_records;
        continue;
      }
      ++totals.games;
      totals.positions += TrainingPositions(record);
      if (!record.origin.actor.empty()) totals.origins.push_back(record.origin);
    }
  }
  return totals;
}

std::string Number(double value, int digits = 4) {
  if (!std::isfinite(value)) return "";
  return absl::StrFormat("%.*g", digits, value);
}

// One metrics.csv column: its name and how a report fills it. The one list
// of the columns; MetricsColumns() and every row come from it.
struct MetricsColumn {
  const char* name;
  std::string (*value)(const TrainingReport& r);
};

// An evaluation column: empty in the rows without a new evaluation.
template <typename F>
std::string Eval(const TrainingReport& r, F field) {
  return r.evaluation ? field(*r.evaluation) : std::string();
}

const std::vector<MetricsColumn>& MetricsTable() {
  using R = const TrainingReport&;
  using E = const TrainingEvaluation&;
  static const auto* table = new std::vector<MetricsColumn>{
      {"elapsed_s", [](R r) { return Number(r.elapsed_s, 8); }},
      {"session_s", [](R r) { return Number(r.session_s, 8); }},
      {"step", [](R r) { return absl::StrCat(r.step); }},
      {"games", [](R r) { return absl::StrCat(r.games); }},
      {"positions", [](R r) { return absl::StrCat(r.positions); }},
      {"heldout_games", [](R r) { return absl::StrCat(r.heldout_games); }},
      {"buffer_positions",
       [](R r) { return absl::StrCat(r.buffer_positions); }},
      {"policy_loss", [](R r) { return Number(r.policy_loss); }},
      {"value_loss", [](R r) { return Number(r.value_loss); }},
      {"v_z_mse", [](R r) { return Number(r.v_z_mse); }},
      {"q_z_mse", [](R r) { return Number(r.q_z_mse); }},
      {"fresh_positions", [](R r) { return absl::StrCat(r.fresh_positions); }},
      {"reward_verdict_disagreement",
       [](R r) { return Number(r.reward_verdict_disagreement); }},
      {"past_verdict_share", [](R r) { return Number(r.past_verdict_share); }},
      {"games_per_s", [](R r) { return Number(r.games_per_s); }},
      {"positions_per_s", [](R r) { return Number(r.positions_per_s); }},
      {"steps_per_s", [](R r) { return Number(r.steps_per_s); }},
      {"nn_evals_per_s", [](R r) { return Number(r.nn_evals_per_s); }},
      {"mean_batch", [](R r) { return Number(r.mean_batch); }},
      {"batch_fill", [](R r) { return Number(r.batch_fill); }},
      {"samples_per_position",
       [](R r) { return Number(r.samples_per_position); }},
      {"weight_version", [](R r) { return absl::StrCat(r.weight_version); }},
      {"precision", [](R r) { return r.precision; }},
      {"learning_rate", [](R r) { return Number(r.learning_rate); }},
      {"eval_step",
       [](R r) { return Eval(r, [](E e) { return absl::StrCat(e.step); }); }},
      {"eval_games",
       [](R r) { return Eval(r, [](E e) { return absl::StrCat(e.games); }); }},
      {"eval_win_vs_random",
       [](R r) { return Eval(r, [](E e) { return Number(e.win_vs_random); }); }},
      {"eval_score_vs_random",
       [](R r) {
         return Eval(r, [](E e) { return Number(e.score_vs_random); });
       }},
      {"eval_win_vs_mcts",
       [](R r) { return Eval(r, [](E e) { return Number(e.win_vs_mcts); }); }},
      {"eval_score_vs_mcts",
       [](R r) {
         return Eval(r, [](E e) { return Number(e.score_vs_mcts); });
       }},
      {"rejected_games", [](R r) { return absl::StrCat(r.rejected_games); }},
      {"version_lag", [](R r) { return Number(r.version_lag); }}};
  return *table;
}

// A report as a metrics row: its non-empty values by column.
std::map<std::string, std::string> MetricsRow(const TrainingReport& r) {
  std::map<std::string, std::string> row;
  for (const MetricsColumn& column : MetricsTable()) {
    std::string value = column.value(r);
    if (!value.empty()) row[column.name] = std::move(value);
  }
  return row;
}

// OK, or the options that a run cannot work with.
absl::Status CheckTrainingOptions(const TrainingOptions& options) {
  if (options.run_dir.empty()) {
    return absl::InvalidArgumentError("a training run needs --run_dir");
  }
  if (options.farm.actor_threads < (options.remote != nullptr ? 0 : 1)) {
    return absl::InvalidArgumentError(
        "a training run needs --actor_threads >= 1 (0 only with --store: "
        "then actors elsewhere play its games)");
  }
  if (options.batch_size < 1 || options.min_positions < options.batch_size ||
      !(options.samples_per_position > 0) ||
      options.max_selfplay_lead <
          options.min_positions +
              2 * options.batch_size / options.samples_per_position ||
      options.replay.capacity_positions < options.min_positions ||
      options.publish_every_steps < 1 || options.checkpoint_every_steps < 1 ||
      !(options.heldout_fraction >= 0 && options.heldout_fraction < 1) ||
      options.eval_games < 0 || options.eval_every_steps < 0) {
    return absl::InvalidArgumentError(
        "inconsistent training options: need batch_size >= 1, min_positions "
        ">= batch_size, replay capacity >= min_positions, "
        "samples_per_position > 0, max_selfplay_lead > min_positions + 2 * "
        "batch_size / samples_per_position, heldout_fraction in [0, 1), "
        "publish and checkpoint intervals >= 1");
  }
  return absl::OkStatus();
}

// The checkpoint the run in `root` continues from: the one its `latest`
// pointer names, else the newest file (a crash between the first checkpoint
// and its pointer leaves files but no pointer); empty for a new run.
absl::StatusOr<std::string> CheckpointToResume(const std::string& root) {
  absl::StatusOr<std::string> latest = LatestCheckpoint(root);
  if (latest.ok() || !absl::IsNotFound(latest.status())) return latest;
  absl::StatusOr<std::vector<RunCheckpoint>> listed = ListCheckpoints(root);
  if (listed.ok() && !listed->empty()) return listed->back().path;
  return std::string();
}

}  // namespace

const std::vector<std::string>& MetricsColumns() {
  static const auto* columns = [] {
    auto* names = new std::vector<std::string>;
    for (const MetricsColumn& c : MetricsTable()) names->push_back(c.name);
    return names;
  }();
  return *columns;
}

class TrainingRun::Impl {
 public:
  Impl(const Game& game, const TrainingOptions& options)
      : game_(game),
        options_(options),
        paths_(options.run_dir),
        buffer_(game, options.replay),
        heldout_rng_(base::HashPair(options.seed, 0x4e1d)),
        sample_rng_(base::HashPair(options.seed, 0x5a3b)) {}

  ~Impl() {
    ReleaseWaiters();
    // The remote intake calls into this run: it stops first.
    if (options_.remote != nullptr) options_.remote->Stop();
    if (farm_) farm_->Stop().IgnoreError();
    FinishEvaluation();
  }

  absl::Status Open();
  absl::StatusOr<TrainingSummary> Run(const std::atomic<bool>& stop,
                                      const ReportCallback& on_report);

  bool resumed_ = false;
  int64_t step_ = 0;
  std::string start_description_;

 private:
  // Open()'s parts, in the order it calls them: the run directory with its
  // folders and lock, the metrics file (and the time of earlier sessions),
  // the weights, the trainer with the optimizer state of a resumed run
  // (returns what became of that state, for the start line), the inference
  // server, the replay window and the run's game counts from the shards,
  // and the shard stores that new games go to.
  absl::Status PrepareDirectory();
  absl::Status OpenMetrics();
  absl::StatusOr<nn::Checkpoint> LoadWeights(const std::string& path);
  absl::StatusOr<std::string> StartTrainer(const nn::Checkpoint& checkpoint);
  absl::StatusOr<std::string> RestoreOptimizer(
      const nn::Checkpoint& checkpoint);
  absl::Status StartServer(const nn::Checkpoint& checkpoint);
  absl::Status LoadGames();
  absl::Status OpenStores();

  // Run()'s parts: the report counters' start, the actor farm (playing on
  // the server, or on what wrap_selfplay_evaluator makes of it), the main
  // loop, and the end of the session.
  void BeginSession();
  absl::Status StartFarm();
  // Steps when the pace allows and reports on time, until a stop, a limit,
  // an actor's failure (`*farm_failed`: the farm's Stop() has its error) or
  // the first error, which it returns.
  absl::Status TrainUntilStopped(const std::atomic<bool>& stop,
                                 const ReportCallback& on_report,
                                 bool* farm_failed);
  // When this session's max_minutes run out (never without the limit).
  Clock::time_point SessionDeadline() const;
  // Whether the trainer may step now; if not, waits a little for a game.
  // The first error of the actors' sink instead, if there is one.
  absl::StatusOr<bool> WaitForPace();
  // Stops the session in the order that keeps data; returns `status` (the
  // main loop's) or else the first error of the shutdown.
  absl::Status Shutdown(absl::Status status, bool farm_failed,
                        const ReportCallback& on_report);

  // Keeps a finished game (the farm's or a remote actor's): the held-out
  // draw, the shard, the window; then waits while self-play is ahead.
  absl::Status KeepGame(GameRecord record);
  void OnGame(GameRecord record);
  // Starts taking in the games of remote actors, if the run has them.
  absl::Status StartRemote();
  // Whether the trainer may take its next step without outrunning the farm.
  bool TrainerMayStep() const;  // needs mu_
  double SelfplayLead() const;  // needs mu_
  absl::Status TrainStep();
  // The sampled examples laid out as one batch (in the trainer's buffers).
  nn::TrainingBatch PackBatch(const std::vector<TrainingExample>& examples);
  // What follows a step on its schedules: weights to the inference server,
  // a checkpoint, the start of an evaluation.
  absl::Status AfterStep();
  // The share of the session's limits used so far (-1 without a limit).
  double BudgetUsed() const;
  absl::Status SaveCheckpoint();

  void StartEvaluation(int64_t step, const std::string& checkpoint);
  // Plays the evaluation matches (on the evaluation thread).
  void Evaluate(int64_t step, const std::string& checkpoint);
  // The players' settings for the evaluation of `step`.
  PlayerOptions EvaluationPlayers(int64_t step) const;
  // One evaluation match of `net` against `opponent` (a player spec); null
  // when it did not finish (cancelled, or failed with a warning).
  std::optional<PairResults> PlayEvaluationMatch(PlayerFactory& net,
                                                 const std::string& opponent,
                                                 const PlayerOptions& players,
                                                 uint64_t seed);
  void FinishEvaluation();

  absl::Status Report(const ReportCallback& on_report);
  // The report of the interval since the previous one; starts the next.
  TrainingReport TakeReport();
  // TakeReport()'s parts: the self-play counts and the fresh data's gap,
  // the mean losses, the rates, and the evaluation that finished since.
  void TakeSelfplayCounts(TrainingReport* r);
  void TakeLosses(TrainingReport* r);
  void FillRates(double interval, const nn::InferenceServerStats& server,
                 TrainingReport* r) const;
  std::optional<TrainingEvaluation> TakeEvaluation();

  void Fail(const absl::Status& status);
  // Ends every wait of the actors and the trainer for good: called before
  // any stop of the farm, which joins actors that may wait in OnGame.
  void ReleaseWaiters();

  const Game& game_;
  const TrainingOptions options_;
  const RunPaths paths_;
  // Held from Open() to the end: declared before everything that writes the
  // run, so it is released after all of it.
  std::unique_ptr<RunLock> lock_;
  ReplayBuffer buffer_;
  std::unique_ptr<nn::Trainer> trainer_;
  std::unique_ptr<nn::InferenceServer> server_;
  std::unique_ptr<ReplayStore> replay_store_;
  std::unique_ptr<ReplayStore> heldout_store_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<engine::Evaluator> wrapped_evaluator_;  // outlives farm_
  std::unique_ptr<ActorFarm> farm_;  // null without local actors
  // Origins of the remote games in the shards, for the remote intake.
  std::vector<GameOrigin> stored_origins_;
  double elapsed_before_ = 0.0;  // run time of earlier sessions
  int64_t last_checkpoint_step_ = -1;
  std::string last_checkpoint_path_;

  // Shared with the actor threads' sink.
  mutable std::mutex mu_;
  std::condition_variable trainer_cv_;  // a game arrived, or stop
  std::condition_variable farm_cv_;     // the trainer stepped, or stop
  bool stopping_ = false;
  absl::Status first_error_;
  int64_t games_ = 0;      // of the run, held-out games included
  int64_t positions_ = 0;  // of the run's training games
  int64_t heldout_games_ = 0;
  int64_t session_games_ = 0;
  // Steps of the run as the farm's pace sees them (mirrors step_).
  int64_t paced_step_ = 0;
  base::Rng heldout_rng_;
  // Fresh self-play data since the last report.
  double fresh_v_sq_ = 0, fresh_q_sq_ = 0;
  int64_t fresh_positions_ = 0;
  // Of those: games whose reward disagrees with the intended verdict, and
  // training positions past the ply where the rules ended their game.
  int64_t fresh_games_ = 0, fresh_disagreeing_games_ = 0;
  int64_t fresh_past_verdict_ = 0;

  // Trainer thread only.
  base::Rng sample_rng_;
  std::vector<float> observations_, policies_, wdls_;
  double loss_policy_sum_ = 0, loss_value_sum_ = 0;
  int64_t loss_steps_ = 0;

  // Report intervals.
  Clock::time_point session_start_;
  Clock::time_point last_report_time_;
  int64_t last_report_games_ = 0, last_report_positions_ = 0;
  int64_t last_report_step_ = 0;
  nn::InferenceServerStats last_server_stats_;

  // Evaluation matches, one at a time on their own thread.
  std::thread eval_thread_;
  std::atomic<bool> eval_cancel_{false};
  std::atomic<bool> eval_running_{false};
  std::mutex eval_mu_;
  bool eval_done_ = false;  // a result is waiting to be reported
  TrainingEvaluation eval_result_;
  int64_t last_eval_step_ = -1;
};

absl::Status TrainingRun::Impl::Open() {
  RETURN_IF_ERROR(CheckTrainingOptions(options_));
  RETURN_IF_ERROR(PrepareDirectory());
  // The metrics file first: it proves the directory is writable before
  // anything expensive happens.
  RETURN_IF_ERROR(OpenMetrics());
  ASSIGN_OR_RETURN(const std::string checkpoint_path,
                   CheckpointToResume(paths_.root));
  ASSIGN_OR_RETURN(const nn::Checkpoint checkpoint,
                   LoadWeights(checkpoint_path));
  resumed_ = !checkpoint_path.empty();
  step_ = checkpoint.metadata.training_step;
  paced_step_ = step_;
  ASSIGN_OR_RETURN(const std::string optimizer_note, StartTrainer(checkpoint));
  RETURN_IF_ERROR(StartServer(checkpoint));
  RETURN_IF_ERROR(LoadGames());
  RETURN_IF_ERROR(OpenStores());
  if (!resumed_) {
    RETURN_IF_ERROR(SaveCheckpoint());
  } else {
    last_checkpoint_step_ = step_;
    last_checkpoint_path_ = checkpoint_path;
  }
  if (options_.remote != nullptr) {
    RETURN_IF_ERROR(options_.remote->PublishWeights(checkpoint));
  }
  start_description_ = absl::StrCat(
      resumed_ ? "resuming " : "starting ", paths_.root, ": ",
      options_.network.Describe(), ", step ", step_, ", ", games_, " games (",
      heldout_games_, " held out), ", buffer_.counts().positions_in_window,
      " positions in the window, ", optimizer_note, "; ",
      options_.farm.actor_threads > 0
          ? absl::StrCat("self-play on ", server_->Describe())
          : std::string("no self-play here"),
      options_.remote != nullptr
          ? absl::StrCat("; games from actors elsewhere: ",
                         options_.remote->Describe())
          : std::string());
  return absl::OkStatus();
}

absl::Status TrainingRun::Impl::PrepareDirectory() {
  RETURN_IF_ERROR(base::MakeDirectories(paths_.root));
  // One writer per run, before anything in it is read or written.
  ASSIGN_OR_RETURN(lock_, RunLock::Acquire(paths_.root));
  for (const std::string& dir : {paths_.checkpoints(), paths_.replay(),
                                 paths_.heldout(), paths_.log()}) {
    RETURN_IF_ERROR(base::MakeDirectories(dir));
  }
  return absl::OkStatus();
}

absl::Status TrainingRun::Impl::OpenMetrics() {
  ASSIGN_OR_RETURN(metrics_,
                   MetricsLog::Open(paths_.metrics(), MetricsColumns()));
  absl::StatusOr<double> elapsed = metrics_->NumberInLastRow("elapsed_s");
  if (elapsed.ok()) {
    elapsed_before_ = *elapsed;
  } else if (!absl::IsNotFound(elapsed.status())) {
    return elapsed.status();
  }
  return absl::OkStatus();
}

// The checkpoint at `path`, which must be of this game and shape; a new
// network for a new run (an empty path).
absl::StatusOr<nn::Checkpoint> TrainingRun::Impl::LoadWeights(
    const std::string& path) {
  if (path.empty()) {
    return nn::NewRandomCheckpoint(options_.network, options_.seed);
  }
  ASSIGN_OR_RETURN(nn::Checkpoint loaded,
                   nn::LoadCheckpointForGame(path, game_));
  if (!loaded.metadata.config.SameShape(options_.network)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "run ", paths_.root, " trains a ", loaded.metadata.config.Describe(),
        " network; this command asks for ", options_.network.Describe(),
        " (the shape cannot change within a run: use another --run_dir)"));
  }
  return loaded;
}

absl::StatusOr<std::string> TrainingRun::Impl::StartTrainer(
    const nn::Checkpoint& checkpoint) {
  ASSIGN_OR_RETURN(trainer_, nn::CreateTrainer(checkpoint, options_.trainer));
  if (!resumed_) return std::string("fresh optimizer");
  return RestoreOptimizer(checkpoint);
}

absl::Status TrainingRun::Impl::StartServer(const nn::Checkpoint& checkpoint) {
  nn::InferenceServerOptions inference = options_.inference;
  inference.clients = options_.farm.actor_threads;
  ASSIGN_OR_RETURN(server_, nn::InferenceServer::Create(checkpoint, inference));
  return absl::OkStatus();
}

absl::Status TrainingRun::Impl::OpenStores() {
  ASSIGN_OR_RETURN(replay_store_,
                   ReplayStore::Open(paths_.replay(), game_.Name(),
                                     options_.games_per_shard));
  ASSIGN_OR_RETURN(heldout_store_,
                   ReplayStore::Open(paths_.heldout(), game_.Name(),
                                     options_.games_per_shard));
  return absl::OkStatus();
}

absl::StatusOr<std::string> TrainingRun::Impl::RestoreOptimizer(
    const nn::Checkpoint& checkpoint) {
  // The optimizer state holds only Adam's moments; the weights and the
  // games are whole without it. So a state that cannot be used (damaged,
  // of another shape or step, not a file) costs a warning and a fresh
  // optimizer, as a missing one does, and never blocks the resume. Only
  // errors of the machine itself (permissions, I/O) stop it.
  const std::string state_path = paths_.optimizer_state(step_);
  absl::Status loaded = trainer_->LoadOptimizerState(state_path);
  if (loaded.ok() && trainer_->step() != step_) {
    loaded = absl::DataLossError(absl::StrCat("optimizer state ", state_path,
                                              " holds step ", trainer_->step(),
                                              ", the checkpoint step ", step_));
    // The trainer took the file's step counter: start it over.
    ASSIGN_OR_RETURN(trainer_, nn::CreateTrainer(checkpoint, options_.trainer));
  }
  if (loaded.ok()) return std::string("optimizer state restored");
  if (absl::IsNotFound(loaded)) {
    LOG(WARNING) << "no optimizer state for step " << step_
                 << "; Adam's moments start afresh";
    return std::string("fresh optimizer");
  }
  if (absl::IsDataLoss(loaded) || absl::IsInvalidArgument(loaded) ||
      absl::IsFailedPrecondition(loaded)) {
    LOG(WARNING) << loaded.message()
                 << "; ignoring it, Adam's moments start afresh";
    return std::string("fresh optimizer (the saved state was unusable)");
  }
  return loaded;
}

// The window from the newest shards, counts from all of them.
absl::Status TrainingRun::Impl::LoadGames() {
  RETURN_IF_ERROR(LoadRecentGames(paths_.replay(), &buffer_).status());
  ASSIGN_OR_RETURN(const ShardTotals replay,
                   CountShardGames(game_, paths_.replay()));
  ASSIGN_OR_RETURN(const ShardTotals heldout,
                   CountShardGames(game_, paths_.heldout()));
  const int64_t damaged = replay.damaged_records + heldout.damaged_records;
  const int64_t truncated = replay.truncated_bytes + heldout.truncated_bytes;
  const int64_t damaged_shards = replay.damaged_shards + heldout.damaged_shards;
  if (damaged > 0 || truncated > 0 || damaged_shards > 0) {
    LOG(WARNING) << "skipped " << damaged << " damaged game records, "
                 << truncated << " bytes of half-written shard tails and "
                 << damaged_shards << " shards with a damaged header";
  }
  games_ = replay.games + heldout.games;
  positions_ = replay.positions;
  heldout_games_ = heldout.games;
  stored_origins_ = replay.origins;
  stored_origins_.insert(stored_origins_.end(), heldout.origins.begin(),
                         heldout.origins.end());
  return absl::OkStatus();
}

void TrainingRun::Impl::Fail(const absl::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_error_.ok()) first_error_ = status;
  }
  ReleaseWaiters();
}

void TrainingRun::Impl::ReleaseWaiters() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  trainer_cv_.notify_all();
  farm_cv_.notify_all();
}

double TrainingRun::Impl::SelfplayLead() const {
  return static_cast<double>(positions_) - static_cast<double>(paced_step_) *
                                               options_.batch_size /
                                               options_.samples_per_position;
}

bool TrainingRun::Impl::TrainerMayStep() const {
  return buffer_.counts().positions_in_window >= options_.min_positions &&
         static_cast<double>(paced_step_ + 1) * options_.batch_size <=
             options_.samples_per_position * static_cast<double>(positions_);
}

void TrainingRun::Impl::OnGame(GameRecord record) {
  absl::Status kept = KeepGame(std::move(record));
  if (!kept.ok()) Fail(kept);
}

absl::Status TrainingRun::Impl::KeepGame(GameRecord record) {
  bool heldout;
  {
    std::lock_guard<std::mutex> lock(mu_);
    heldout = heldout_rng_.Uniform() < options_.heldout_fraction;
  }
  RETURN_IF_ERROR(heldout ? heldout_store_->Append(record)
                          : replay_store_->Append(record));
  // The gap on the positions training uses: with playout-cap randomization
  // a quick search's q is not comparable with a full one's.
  double v_sq = 0, q_sq = 0;
  int64_t length = 0, past_verdict = 0;
  for (size_t i = 0; i < record.positions.size(); ++i) {
    const PositionRecord& p = record.positions[i];
    if (!p.full_search) continue;
    const double z = p.z.value();  // the run's reward, under its spec
    v_sq += (p.v - z) * (p.v - z);
    q_sq += (p.q - z) * (p.q - z);
    ++length;
    if (!record.InRealGame(i)) ++past_verdict;
  }
  const bool disagrees = RewardDisagreesWithVerdict(record);
  if (!heldout) RETURN_IF_ERROR(buffer_.AddGame(std::move(record)));
  std::unique_lock<std::mutex> lock(mu_);
  ++games_;
  ++session_games_;
  fresh_v_sq_ += v_sq;
  fresh_q_sq_ += q_sq;
  fresh_positions_ += length;
  ++fresh_games_;
  fresh_disagreeing_games_ += disagrees ? 1 : 0;
  fresh_past_verdict_ += past_verdict;
  if (heldout) {
    ++heldout_games_;
  } else {
    positions_ += length;
  }
  trainer_cv_.notify_all();
  // The farm's side of the pace: wait while too far ahead of the trainer.
  farm_cv_.wait(lock, [&] {
    return stopping_ || SelfplayLead() <= options_.max_selfplay_lead;
  });
  return absl::OkStatus();
}

absl::Status TrainingRun::Impl::StartRemote() {
  if (options_.remote == nullptr) return absl::OkStatus();
  RemoteActors::Inbox inbox;
  inbox.keep = [this](GameRecord record) { return KeepGame(std::move(record)); };
  inbox.commit = [this] {
    RETURN_IF_ERROR(replay_store_->Flush());
    return heldout_store_->Flush();
  };
  return options_.remote->Start(std::move(inbox), std::move(stored_origins_));
}

double TrainingRun::Impl::BudgetUsed() const {
  double used = -1;  // no limit
  if (options_.max_minutes > 0) {
    used =
        std::max(used, Seconds(session_start_) / (options_.max_minutes * 60));
  }
  if (options_.max_steps > 0) {
    used = std::max(used, static_cast<double>(step_) / options_.max_steps);
  }
  return used;
}

absl::Status TrainingRun::Impl::TrainStep() {
  const int n = options_.batch_size;
  std::vector<TrainingExample> examples = buffer_.Sample(n, sample_rng_);
  if (static_cast<int>(examples.size()) != n) {
    return absl::InternalError("the replay window emptied during training");
  }
  const nn::TrainingBatch batch = PackBatch(examples);
  trainer_->SetLearningRate(
      nn::ScheduledLearningRate({.base = options_.trainer.learning_rate,
                                 .anneal_fraction = options_.lr_anneal_fraction,
                                 .final_fraction = options_.lr_final_fraction},
                                BudgetUsed()));
  ASSIGN_OR_RETURN(const nn::TrainStepStats stats, trainer_->Step(batch));
  loss_policy_sum_ += stats.policy_loss;
  loss_value_sum_ += stats.value_loss;
  ++loss_steps_;
  step_ = stats.step;
  {
    std::lock_guard<std::mutex> lock(mu_);
    paced_step_ = step_;
  }
  farm_cv_.notify_all();
  return AfterStep();
}

nn::TrainingBatch TrainingRun::Impl::PackBatch(
    const std::vector<TrainingExample>& examples) {
  const int n = static_cast<int>(examples.size());
  const int obs = static_cast<int>(examples[0].observation.size());
  const int actions = static_cast<int>(examples[0].policy.size());
  observations_.resize(static_cast<size_t>(n) * obs);
  policies_.resize(static_cast<size_t>(n) * actions);
  wdls_.resize(static_cast<size_t>(n) * 3);
  for (int i = 0; i < n; ++i) {
    std::copy(examples[i].observation.begin(), examples[i].observation.end(),
              observations_.begin() + static_cast<size_t>(i) * obs);
    std::copy(examples[i].policy.begin(), examples[i].policy.end(),
              policies_.begin() + static_cast<size_t>(i) * actions);
    std::copy(examples[i].value_wdl.begin(), examples[i].value_wdl.end(),
              wdls_.begin() + static_cast<size_t>(i) * 3);
  }
  nn::TrainingBatch batch;
  batch.size = n;
  batch.observation_size = obs;
  batch.num_actions = actions;
  batch.observations = observations_.data();
  batch.policy_targets = policies_.data();
  batch.wdl_targets = wdls_.data();
  return batch;
}

absl::Status TrainingRun::Impl::AfterStep() {
  if (step_ % options_.publish_every_steps == 0) {
    ASSIGN_OR_RETURN(const nn::Checkpoint snapshot, trainer_->Snapshot());
    RETURN_IF_ERROR(server_->PublishWeights(snapshot));
    if (options_.remote != nullptr) {
      RETURN_IF_ERROR(options_.remote->PublishWeights(snapshot));
    }
  }
  if (step_ % options_.checkpoint_every_steps == 0) {
    RETURN_IF_ERROR(SaveCheckpoint());
  }
  if (options_.eval_every_steps > 0 && options_.eval_games > 0 &&
      step_ >= last_eval_step_ + options_.eval_every_steps &&
      step_ % options_.eval_every_steps == 0) {
    if (last_checkpoint_step_ != step_) {
      RETURN_IF_ERROR(SaveCheckpoint());
    }
    StartEvaluation(step_, last_checkpoint_path_);
  }
  return absl::OkStatus();
}

absl::Status TrainingRun::Impl::SaveCheckpoint() {
  ASSIGN_OR_RETURN(const nn::Checkpoint snapshot, trainer_->Snapshot());
  const int64_t step = snapshot.metadata.training_step;
  const std::string path = paths_.checkpoint(step);
  // Weights and optimizer first, the pointer last: a crash in between
  // leaves `latest` on the previous, complete pair.
  absl::Status status = nn::SaveCheckpoint(snapshot, path);
  if (status.ok()) {
    status = trainer_->SaveOptimizerState(paths_.optimizer_state(step));
  }
  if (status.ok()) {
    status = WriteLatestPointer(paths_.root, CheckpointFileName(step));
  }
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("cannot save checkpoint of step ", step,
                                     ": ", status.message()));
  }
  // Weights are kept for every checkpoint (az gap --run reads them all);
  // optimizer states only for the newest two.
  if (last_checkpoint_step_ >= 0 && last_checkpoint_step_ != step) {
    absl::StatusOr<std::vector<RunCheckpoint>> listed =
        ListCheckpoints(paths_.root);
    if (listed.ok()) {
      for (const RunCheckpoint& c : *listed) {
        if (c.step < last_checkpoint_step_) {
          std::remove(paths_.optimizer_state(c.step).c_str());
        }
      }
    }
  }
  last_checkpoint_step_ = step;
  last_checkpoint_path_ = path;
  return absl::OkStatus();
}

void TrainingRun::Impl::StartEvaluation(int64_t step,
                                        const std::string& checkpoint) {
  // One match at a time: an evaluation due while one runs is skipped.
  if (eval_running_.load()) return;
  if (eval_thread_.joinable()) eval_thread_.join();
  eval_running_ = true;
  last_eval_step_ = step;
  eval_thread_ = std::thread([this, step, checkpoint] {
    Evaluate(step, checkpoint);
    eval_running_ = false;
  });
}

void TrainingRun::Impl::Evaluate(int64_t step, const std::string& checkpoint) {
  const PlayerOptions players = EvaluationPlayers(step);
  absl::StatusOr<std::unique_ptr<PlayerFactory>> net = PlayerFactory::Create(
      game_, absl::StrCat("net:", checkpoint, ":sims=", options_.eval_sims),
      players);
  if (!net.ok()) {
    LOG(WARNING) << "evaluation skipped: " << net.status();
    return;
  }
  TrainingEvaluation result;
  result.step = step;
  result.games = options_.eval_games;
  const std::string opponents[2] = {
      "random", absl::StrCat("mcts:sims=", options_.eval_mcts_sims)};
  for (int o = 0; o < 2; ++o) {
    const std::optional<PairResults> pair = PlayEvaluationMatch(
        **net, opponents[o], players, base::HashPair(options_.seed, step * 2 + o));
    if (!pair.has_value()) return;
    const double win =
        pair->games() > 0 ? static_cast<double>(pair->wins) / pair->games() : 0;
    (o == 0 ? result.win_vs_random : result.win_vs_mcts) = win;
    (o == 0 ? result.score_vs_random : result.score_vs_mcts) = pair->score();
  }
  std::lock_guard<std::mutex> lock(eval_mu_);
  eval_result_ = result;
  eval_done_ = true;
}

PlayerOptions TrainingRun::Impl::EvaluationPlayers(int64_t step) const {
  PlayerOptions players;
  // The games are played one at a time, each player with one search thread
  // and one inference client.
  players.search = engine::FullStrength(engine::DefaultSearchParams(game_));
  players.search.seed = base::HashPair(options_.seed, step);
  players.inference = options_.inference;
  players.inference.clients = 1;
  players.inference.inference.threads = 1;
  players.rollouts = 1;
  return players;
}

std::optional<PairResults> TrainingRun::Impl::PlayEvaluationMatch(
    PlayerFactory& net, const std::string& opponent,
    const PlayerOptions& players, uint64_t seed) {
  absl::StatusOr<std::unique_ptr<PlayerFactory>> other =
      PlayerFactory::Create(game_, opponent, players);
  if (!other.ok()) {
    LOG(WARNING) << "evaluation skipped: " << other.status();
    return std::nullopt;
  }
  MatchOptions match;
  match.games_per_pair = options_.eval_games;
  match.threads = 1;
  match.seed = seed;
  match.cancel = &eval_cancel_;
  absl::StatusOr<MatchResult> played =
      RunMatch(game_, {&net, other->get()}, match);
  if (!played.ok()) {
    if (!absl::IsCancelled(played.status())) {
      LOG(WARNING) << "evaluation failed: " << played.status();
    }
    return std::nullopt;
  }
  return played->pairs[0];
}

void TrainingRun::Impl::FinishEvaluation() {
  eval_cancel_ = true;
  if (eval_thread_.joinable()) eval_thread_.join();
}

absl::Status TrainingRun::Impl::Report(const ReportCallback& on_report) {
  const TrainingReport r = TakeReport();
  absl::Status status = metrics_->Append(MetricsRow(r));
  // Each report also makes the shards durable (fsync), so a machine crash
  // loses at most one report interval of games.
  if (status.ok()) status = replay_store_->Flush();
  if (status.ok()) status = heldout_store_->Flush();
  if (on_report) on_report(r);
  return status;
}

TrainingReport TrainingRun::Impl::TakeReport() {
  const Clock::time_point now = Clock::now();
  const double interval =
      std::chrono::duration<double>(now - last_report_time_).count();
  TrainingReport r;
  r.session_s = Seconds(session_start_);
  r.elapsed_s = elapsed_before_ + r.session_s;
  r.step = step_;
  TakeSelfplayCounts(&r);
  r.buffer_positions = buffer_.counts().positions_in_window;
  TakeLosses(&r);
  const nn::InferenceServerStats server = server_->Stats();
  FillRates(interval, server, &r);
  r.weight_version = server.weight_version;
  r.precision = nn::PrecisionName(options_.inference.inference.precision);
  r.learning_rate = trainer_->learning_rate();
  r.evaluation = TakeEvaluation();
  r.version_lag = std::numeric_limits<double>::quiet_NaN();
  if (options_.remote != nullptr) {
    const RemoteActors::Counts remote = options_.remote->counts();
    r.rejected_games = remote.rejected;
    r.version_lag = remote.mean_version_lag;
  }
  last_report_time_ = now;
  last_report_games_ = r.games;
  last_report_positions_ = r.positions;
  last_report_step_ = r.step;
  last_server_stats_ = server;
  return r;
}

void TrainingRun::Impl::TakeSelfplayCounts(TrainingReport* r) {
  std::lock_guard<std::mutex> lock(mu_);
  r->games = games_;
  r->positions = positions_;
  r->heldout_games = heldout_games_;
  r->fresh_positions = fresh_positions_;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r->v_z_mse = fresh_positions_ > 0 ? fresh_v_sq_ / fresh_positions_ : nan;
  r->q_z_mse = fresh_positions_ > 0 ? fresh_q_sq_ / fresh_positions_ : nan;
  r->reward_verdict_disagreement =
      fresh_games_ > 0
          ? static_cast<double>(fresh_disagreeing_games_) / fresh_games_
          : nan;
  r->past_verdict_share =
      fresh_positions_ > 0
          ? static_cast<double>(fresh_past_verdict_) / fresh_positions_
          : nan;
  fresh_v_sq_ = fresh_q_sq_ = 0;
  fresh_positions_ = 0;
  fresh_games_ = fresh_disagreeing_games_ = fresh_past_verdict_ = 0;
}

void TrainingRun::Impl::TakeLosses(TrainingReport* r) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r->policy_loss = loss_steps_ > 0 ? loss_policy_sum_ / loss_steps_ : nan;
  r->value_loss = loss_steps_ > 0 ? loss_value_sum_ / loss_steps_ : nan;
  loss_policy_sum_ = loss_value_sum_ = 0;
  loss_steps_ = 0;
}

void TrainingRun::Impl::FillRates(double interval,
                                  const nn::InferenceServerStats& server,
                                  TrainingReport* r) const {
  const uint64_t evaluated = server.positions - last_server_stats_.positions;
  if (interval > 0) {
    r->games_per_s = (r->games - last_report_games_) / interval;
    r->positions_per_s = (r->positions - last_report_positions_) / interval;
    r->steps_per_s = (r->step - last_report_step_) / interval;
    r->nn_evals_per_s = evaluated / interval;
  }
  const uint64_t batches = server.batches - last_server_stats_.batches;
  r->mean_batch = batches > 0 ? static_cast<double>(evaluated) / batches : 0.0;
  r->batch_fill = r->mean_batch / options_.inference.max_batch;
  r->samples_per_position =
      r->positions > 0
          ? static_cast<double>(r->step) * options_.batch_size / r->positions
          : 0.0;
}

std::optional<TrainingEvaluation> TrainingRun::Impl::TakeEvaluation() {
  std::lock_guard<std::mutex> lock(eval_mu_);
  if (!eval_done_) return std::nullopt;
  eval_done_ = false;
  return eval_result_;
}

absl::StatusOr<TrainingSummary> TrainingRun::Impl::Run(
    const std::atomic<bool>& stop, const ReportCallback& on_report) {
  TrainingSummary summary;
  summary.start_step = step_;
  summary.resumed = resumed_;
  BeginSession();
  RETURN_IF_ERROR(StartFarm());
  RETURN_IF_ERROR(StartRemote());
  bool farm_failed = false;
  absl::Status status = TrainUntilStopped(stop, on_report, &farm_failed);
  RETURN_IF_ERROR(Shutdown(std::move(status), farm_failed, on_report));
  summary.final_step = step_;
  summary.final_checkpoint = last_checkpoint_path_;
  std::lock_guard<std::mutex> lock(mu_);
  summary.games = games_;
  summary.positions = positions_;
  summary.session_games = session_games_;
  return summary;
}

void TrainingRun::Impl::BeginSession() {
  session_start_ = last_report_time_ = Clock::now();
  last_report_step_ = step_;
  last_server_stats_ = server_->Stats();
  std::lock_guard<std::mutex> lock(mu_);
  last_report_games_ = games_;
  last_report_positions_ = positions_;
}

absl::Status TrainingRun::Impl::StartFarm() {
  if (options_.farm.actor_threads == 0) return absl::OkStatus();
  ActorFarmOptions farm = options_.farm;
  // A resumed session plays new games, not the first session's again.
  farm.seed = base::HashPair(options_.seed, static_cast<uint64_t>(games_) + 1);
  farm.weights_version = [server = server_.get()] {
    return server->weight_version();
  };
  engine::Evaluator* evaluator = server_.get();
  if (options_.wrap_selfplay_evaluator) {
    wrapped_evaluator_ = options_.wrap_selfplay_evaluator(server_.get());
    if (wrapped_evaluator_ == nullptr) {
      return absl::InvalidArgumentError(
          "the self-play evaluator wrapper "
          "returned nothing");
    }
    evaluator = wrapped_evaluator_.get();
  }
  ASSIGN_OR_RETURN(farm_, ActorFarm::Create(game_, evaluator, farm,
                                            [this](GameRecord record) {
                                              OnGame(std::move(record));
                                            }));
  return farm_->Start();
}

Clock::time_point TrainingRun::Impl::SessionDeadline() const {
  if (options_.max_minutes <= 0) return Clock::time_point::max();
  return session_start_ +
         std::chrono::duration_cast<Clock::duration>(
             std::chrono::duration<double>(options_.max_minutes * 60.0));
}

absl::Status TrainingRun::Impl::TrainUntilStopped(
    const std::atomic<bool>& stop, const ReportCallback& on_report,
    bool* farm_failed) {
  const Clock::time_point deadline = SessionDeadline();
  while (!stop.load()) {
    if (options_.max_steps > 0 && step_ >= options_.max_steps) break;
    if (Clock::now() >= deadline) break;
    if (farm_ != nullptr && !farm_->Running()) {
      // An actor failed. Its error comes from the farm's Stop(), which
      // must first release the actors waiting for the trainer.
      *farm_failed = true;
      break;
    }
    if (options_.remote != nullptr) RETURN_IF_ERROR(options_.remote->failure());
    ASSIGN_OR_RETURN(const bool may_step, WaitForPace());
    if (may_step) {
      RETURN_IF_ERROR(TrainStep());
    }
    if (Seconds(last_report_time_) >= options_.report_seconds) {
      RETURN_IF_ERROR(Report(on_report));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> TrainingRun::Impl::WaitForPace() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!first_error_.ok()) return first_error_;
  if (TrainerMayStep()) return true;
  trainer_cv_.wait_for(lock, std::chrono::milliseconds(50));
  return false;
}

absl::Status TrainingRun::Impl::Shutdown(absl::Status status, bool farm_failed,
                                         const ReportCallback& on_report) {
  // The farm first (no more games), then the last checkpoint, the shards'
  // flush and a last metrics row.
  ReleaseWaiters();
  absl::Status farm_status = farm_ != nullptr ? farm_->Stop() : absl::OkStatus();
  // Then the remote intake: what it kept is flushed below; what it read and
  // did not commit is read again next session.
  if (options_.remote != nullptr) options_.remote->Stop();
  if (farm_failed && farm_status.ok()) {
    farm_status = absl::InternalError("self-play stopped");
  }
  if (status.ok()) status = farm_status;
  FinishEvaluation();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status.ok()) status = first_error_;
  }
  absl::Status saved = absl::OkStatus();
  if (last_checkpoint_step_ != step_) saved = SaveCheckpoint();
  absl::Status reported = Report(on_report);
  if (status.ok()) status = saved;
  if (status.ok()) status = reported;
  return status;
}

TrainingRun::TrainingRun(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrainingRun::~TrainingRun() = default;

absl::StatusOr<std::unique_ptr<TrainingRun>> TrainingRun::Open(
    const Game& game, const TrainingOptions& options) {
  auto impl = std::make_unique<Impl>(game, options);
  RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<TrainingRun>(new TrainingRun(std::move(impl)));
}

absl::StatusOr<TrainingSummary> TrainingRun::Run(
    const std::atomic<bool>& stop, const ReportCallback& on_report) {
  return impl_->Run(stop, on_report);
}

bool TrainingRun::resumed() const { return impl_->resumed_; }
int64_t TrainingRun::step() const { return impl_->step_; }
std::string TrainingRun::DescribeStart() const {
  return impl_->start_description_;
}

}  // namespace az::selfplay
