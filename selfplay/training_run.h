// A self-play training run on one machine: the actor farm plays games
// against the inference server, finished games go to the replay window and
// to shard files (a fixed share of them to the held-out set instead), the
// trainer samples the window and takes optimizer steps, new weights reach
// the inference server every few steps, and checkpoints, metrics rows and
// evaluation matches follow on their own schedules. Everything lives in the
// run directory (selfplay/run_dir.h), so a run that stops for any reason,
// kill -9 included, continues where it stopped when started again.
//
// The pace between self-play and training is explicit: the trainer takes
// `samples_per_position` samples per new position on average, waiting for
// the farm when it is ahead, and the farm pauses when it runs more than
// `max_selfplay_lead` positions ahead of the trainer. On a small machine
// whichever side waits hands its CPU to the other.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/evaluator.h"
#include "games/game.h"
#include "nn/inference_server.h"
#include "nn/learning_rate.h"
#include "nn/network_config.h"
#include "nn/trainer.h"
#include "selfplay/actor_farm.h"
#include "selfplay/replay_buffer.h"

namespace az::selfplay {

// The learner's side of a distributed run: actors on other machines play
// the run's games, and this is how the run meets them (store/ implements it
// on Redis). The run publishes its weights through it and hands it an inbox
// that keeps the games it brings exactly as the run's own actors' games are
// kept. Without one, a run plays its games itself.
class RemoteActors {
 public:
  // What the run gives the remote side to hand games in through.
  struct Inbox {
    // Keeps one game (its origin set) as the farm's games are kept: the
    // held-out draw, the shard, the replay window; waits while self-play is
    // ahead of the trainer. Thread-safe.
    std::function<absl::Status(GameRecord record)> keep;
    // Makes the games kept so far durable (the shards are synced).
    std::function<absl::Status()> commit;
  };
  struct Counts {
    int64_t accepted = 0;  // games kept
    int64_t rejected = 0;  // games that failed the rules' checks
    // Mean of the learner's weights version at arrival minus the version
    // that played the game, over the games kept (NaN before the first).
    double mean_version_lag = 0;
    bool connected = true;
  };

  virtual ~RemoteActors() = default;
  // Starts taking games in. `stored` are the origins of the remote games
  // the run holds already (from its shards): they are never kept twice.
  virtual absl::Status Start(Inbox inbox, std::vector<GameOrigin> stored) = 0;
  // Hands new weights to the actors (at the start and at every publish).
  virtual absl::Status PublishWeights(const nn::Checkpoint& weights) = 0;
  // Stops taking games in; the run calls it before its last flush.
  virtual void Stop() = 0;
  // The error that ended the intake, if one did.
  virtual absl::Status failure() const = 0;
  virtual Counts counts() const = 0;
  virtual std::string Describe() const = 0;
};

struct TrainingOptions {
  std::string run_dir;
  // The network of a new run; a resumed run must have the same shape.
  nn::NetworkConfig network;
  uint64_t seed = 1;  // new network's weights, sampling, held-out draws

  // Self-play: the search of every move (noise, temperature, simulations)
  // and the actor threads. farm.seed is derived from `seed` and the session.
  ActorFarmOptions farm;
  nn::InferenceServerOptions inference;
  // Wraps the evaluator the actors query (the inference server) for the
  // session, e.g. to study self-play on a perturbed value, or in tests to
  // make it fail. Null: the actors query the server itself.
  std::function<std::unique_ptr<engine::Evaluator>(engine::Evaluator* server)>
      wrap_selfplay_evaluator;
  // Actors elsewhere (not owned; outlives the run), or null. With it,
  // farm.actor_threads may be 0: the run then plays no games itself.
  RemoteActors* remote = nullptr;
  // Share of finished games written to RUN/heldout/ and never trained on.
  double heldout_fraction = 0.02;
  int games_per_shard = 1000;

  // Training: the replay window (capacity, symmetries, value target), the
  // batch and the optimizer.
  ReplayBufferOptions replay;
  int batch_size = 256;
  nn::TrainerOptions trainer;
  // Training starts once the window holds this many positions.
  int64_t min_positions = 5000;
  // Mean number of times each new position is sampled for training.
  double samples_per_position = 4.0;
  // The farm pauses when it is this many positions ahead of the trainer's
  // pace (must exceed min_positions, so training can start).
  int64_t max_selfplay_lead = 20000;
  int publish_every_steps = 50;     // weights to the inference server
  int checkpoint_every_steps = 500;  // step-N.ckpt + optimizer + latest

  // Reports: a metrics row and a progress callback every report_seconds.
  double report_seconds = 30.0;
  // An evaluation match every eval_every_steps steps (0: never), of the
  // current network with eval_sims simulations against `random` and against
  // pure MCTS with eval_mcts_sims random-rollout simulations.
  int64_t eval_every_steps = 1000;
  int eval_games = 20;  // per opponent, colours alternating
  int eval_sims = 200;
  int eval_mcts_sims = 1000;

  // Limits: stop once the run has taken max_steps steps in all (0: none),
  // or after max_minutes of this session (0: none).
  int64_t max_steps = 0;
  double max_minutes = 0.0;
  // With a limit, the learning rate (trainer.learning_rate) falls along a
  // half cosine over the last `lr_anneal_fraction` of it, to
  // `lr_final_fraction` of itself at the end (nn/learning_rate.h). The
  // budget used is the larger of this session's share of max_minutes and
  // the run's share of max_steps. Without a limit the rate stays.
  double lr_anneal_fraction = 0.0;
  double lr_final_fraction = 0.1;
};

// One evaluation match series: the checkpoint of `step`, with search,
// against `random` and against pure MCTS, `games` games each. Wins and
// scores (draws count half) are shares in [0, 1].
struct TrainingEvaluation {
  int64_t step = 0;
  int games = 0;
  double win_vs_random = 0, score_vs_random = 0;
  double win_vs_mcts = 0, score_vs_mcts = 0;
};

// One progress report (also a metrics.csv row).
struct TrainingReport {
  double elapsed_s = 0;  // of the whole run, across sessions
  double session_s = 0;
  int64_t step = 0;
  int64_t games = 0;  // finished self-play games of the run, held out included
  // Training positions (those with a full search, see
  // PositionRecord::full_search) of the run's training games.
  int64_t positions = 0;
  int64_t heldout_games = 0;
  int64_t buffer_positions = 0;
  // Means over the steps since the previous report (NaN if none).
  double policy_loss = 0, value_loss = 0;
  // Fresh self-play data since the previous report (the training positions
  // of games finished then, before any training on them): mean squared
  // distance of the raw network value v and of the search value q from the
  // terminal reward z. NaN if no game finished.
  double v_z_mse = 0, q_z_mse = 0;
  int64_t fresh_positions = 0;
  // The outer gap on the same fresh games: the share of them whose reward
  // (under the run's spec) disagrees with the intended verdict, from the
  // side to move's view (RewardDisagreesWithVerdict), and the share of
  // their training positions that lie past the ply where the real rules
  // ended the game. 0 and 0 for a run on the rules; NaN if no game finished.
  double reward_verdict_disagreement = 0;
  double past_verdict_share = 0;
  // Rates over the interval since the previous report.
  double games_per_s = 0, positions_per_s = 0, steps_per_s = 0;
  double nn_evals_per_s = 0, mean_batch = 0, batch_fill = 0;
  // Training samples per training position over the whole run.
  double samples_per_position = 0;
  int64_t weight_version = 0;
  std::string precision;  // of the training step ("fp32")
  double learning_rate = 0;  // of the last training step
  // The latest evaluation, in the first report after it finished only.
  std::optional<TrainingEvaluation> evaluation;
  // A distributed run's games from other machines that failed the rules'
  // checks (of the whole session), and the mean version lag of those kept.
  int64_t rejected_games = 0;
  double version_lag = 0;
};

// What a finished session did.
struct TrainingSummary {
  int64_t start_step = 0;  // where this session began
  int64_t final_step = 0;
  int64_t games = 0;  // of the run, after this session
  int64_t positions = 0;
  int64_t session_games = 0;
  bool resumed = false;
  std::string final_checkpoint;
};

class TrainingRun {
 public:
  using ReportCallback = std::function<void(const TrainingReport&)>;

  // Opens (creating if new) the run directory: loads the latest checkpoint
  // and optimizer state, refills the replay window from the shards and
  // counts the run's games. Errors: an unwritable directory, a checkpoint of
  // another game or shape, damaged files that cannot be skipped.
  static absl::StatusOr<std::unique_ptr<TrainingRun>> Open(
      const Game& game, const TrainingOptions& options);
  ~TrainingRun();
  TrainingRun(const TrainingRun&) = delete;
  TrainingRun& operator=(const TrainingRun&) = delete;

  // Trains until `stop` becomes true, a limit is reached, or an error. Ends
  // cleanly in every case it can: final checkpoint, flushed shards, a last
  // metrics row. Games in flight when it stops are dropped.
  absl::StatusOr<TrainingSummary> Run(const std::atomic<bool>& stop,
                                      const ReportCallback& on_report);

  // Set by Open(): what was found in the run directory.
  bool resumed() const;
  int64_t step() const;
  std::string DescribeStart() const;

 private:
  class Impl;
  explicit TrainingRun(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The metrics.csv column names, in order.
const std::vector<std::string>& MetricsColumns();

}  // namespace az::selfplay
