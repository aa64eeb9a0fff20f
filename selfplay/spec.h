// The one grammar of "what plays or evaluates a position", parsed here and
// nowhere else: the players of az play, az match and training's evaluation
// games, the players az gap measures, and the --evaluator of the commands
// that search one position (az analyze).
//
//   SPEC := human              a person at the terminal             (player)
//         | random             uniformly random moves               (player)
//         | uniform            uniform prior, value 0            (evaluator)
//         | rollout[:K]        K random playouts a leaf          (evaluator)
//         | mcts[:OPTS]        search over random playouts          (player)
//         | solver             the game's exact solver                (both)
//         | net:PATH[:OPTS]    a network checkpoint                   (both)
//         | run:DIR[:OPTS]     DIR/checkpoints/latest of a run      (player)
//
//   OPTS := OPTION[:OPTION...], applied left to right, each one of
//     sims=N    simulations a move (mcts: N >= 1; networks: N >= 0, where 0
//               plays the policy head alone, no search)
//     raw       networks only: the same as sims=0
//     c_init=X  the PUCT exploration constant of this player (X > 0)
//     fpu=X     its first-play urgency reduction (X >= 0)
//     precision=P  networks only: fp32, fp16 or bf16, instead of --precision
//     kernels=K    networks only: the fast backend's kernel set (auto, amx,
//               avx512, avx2, portable), instead of --kernels
//
// A PATH may itself hold ':', so only the trailing parts that read as
// options are options. An evaluator has no search to set: there everything
// after "net:" is the path, and rollout's K is its number of playouts
// (--rollouts where K is left out). az gap measures the players above that
// evaluate positions, and uniform (the constant-draw baseline) with them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/evaluator.h"
#include "engine/search_params.h"
#include "games/game.h"
#include "nn/cpu_kernels.h"
#include "nn/forward_backend.h"
#include "nn/inference_server.h"

namespace az::selfplay {

enum class SpecKind {
  kHuman,
  kRandom,
  kUniform,
  kRollout,
  kMcts,
  kSolver,
  kNet,
  kRun,
};

// Where a spec is read: which kinds it may name, and how its errors are
// worded (each reader has kept the wording its users know).
enum class SpecRole {
  // A player (--players, training's opponents): human, random, mcts,
  // solver, net, run. Errors read `player "SPEC": why`.
  kPlayer,
  // What az gap measures: the players that evaluate positions, and uniform.
  // Errors are worded as a player's.
  kMeasured,
  // The evaluator under a search (--evaluator): uniform, rollout[:K],
  // solver, net:PATH. Errors are those --evaluator has always given.
  kEvaluator,
};

// What a spec's OPTS set; unset fields leave the caller's default.
struct SpecSearch {
  // sims=N (raw: 0).
  std::optional<int> simulations;
  // c_init=X, checked to fit the float the search keeps.
  std::optional<float> c_init;
  // fpu=X: a first-play urgency reduction of X.
  std::optional<float> fpu_reduction;
};

// What a network spec's OPTS set of how its network runs; unset fields
// leave the caller's network flags. So one checkpoint can play itself in
// two precisions (net:A:precision=bf16 against net:A).
struct SpecInference {
  std::optional<nn::Precision> precision;
  std::optional<nn::KernelSet> kernels;
};

// One parsed spec.
struct Spec {
  // The spec as given ("net:a.ckpt:sims=50"): a player's name.
  std::string text;
  SpecRole role = SpecRole::kPlayer;
  SpecKind kind = SpecKind::kRandom;
  // net: the checkpoint; run: the run directory. Empty otherwise.
  std::string path;
  // rollout:K; unset: EvaluatorOptions::rollouts.
  std::optional<int> rollouts;
  // The options of mcts, net and run.
  SpecSearch search;
  // The options of net and run (not of net:PATH as an evaluator).
  SpecInference inference;

  // Whether the spec's values come from a network.
  bool learned() const {
    return kind == SpecKind::kNet || kind == SpecKind::kRun;
  }
  // Whether the spec names a search (mcts, net, run) whose settings its
  // OPTS may change.
  bool searches() const { return kind == SpecKind::kMcts || learned(); }
  // `status` (not OK) worded as this spec's role words its errors (see
  // SpecRole), code kept.
  absl::Status Error(const absl::Status& status) const;
};

// Parses `text` as read in `role`. InvalidArgument, worded for the role and
// naming the spec, for an unknown kind, a kind the role does not take, a
// malformed option, a number out of range (c_init=1e39 does not fit a
// float) or a missing path. Reads no file.
absl::StatusOr<Spec> ParseSpec(absl::string_view text, SpecRole role);

// The settings of a searching spec's player: `base` with the spec's c_init
// and fpu applied and num_simulations set to its sims=N where it gives one
// (0: the policy head alone, no search). InvalidArgument naming the spec
// when SearchParams::Validate refuses the result.
absl::StatusOr<engine::SearchParams> SearchParamsOfSpec(
    const Spec& spec, const engine::SearchParams& base);

struct EvaluatorOptions {
  // Random playouts per leaf of rollout without :K, and of mcts.
  int rollouts = 1;
  // Seed of the playouts.
  uint64_t seed = 1;
  // How a network (net, run) is served.
  nn::InferenceServerOptions inference;
  // Entries of an evaluation cache around the evaluator (0 or less: none).
  int64_t cache_entries = 0;
};

// The evaluator a spec stands for: uniform, rollout, mcts (its playouts),
// solver (FailedPrecondition where the game has none), net and run (the
// checkpoint behind an inference server run as options.inference says with
// the spec's precision and kernels applied; NotFound for a missing file,
// InvalidArgument for a checkpoint of another game or a precision or kernel
// set this machine or backend cannot run). Errors are worded as
// the spec's role words them. human and random evaluate nothing:
// InvalidArgument.
absl::StatusOr<std::unique_ptr<engine::Evaluator>> MakeEvaluator(
    const Game& game, const Spec& spec, const EvaluatorOptions& options);

}  // namespace az::selfplay
