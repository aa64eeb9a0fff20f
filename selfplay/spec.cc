#include "selfplay/spec.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "engine/evaluation_cache.h"
#include "engine/evaluators.h"
#include "nn/network_builder.h"
#include "selfplay/run_dir.h"

namespace az::selfplay {
namespace {

constexpr char kKnownPlayers[] =
    "human, random, mcts[:OPTIONS], solver, net:PATH[:OPTIONS], "
    "run:DIR[:OPTIONS] with OPTIONS among sims=N, c_init=X, fpu=X and (net, "
    "run) raw, precision=P, kernels=K";
constexpr char kKnownEvaluators[] =
    "uniform, rollout, rollout:K, solver, net:PATH";

// How a kind is written: its bare name only (human), its name with or
// without arguments after a ':' (mcts, rollout), or always with them (net).
enum class Form { kBare, kOptionalArguments, kArguments };

struct KindName {
  absl::string_view name;
  SpecKind kind;
  Form form;
};

constexpr KindName kKinds[] = {
    {"human", SpecKind::kHuman, Form::kBare},
    {"random", SpecKind::kRandom, Form::kBare},
    {"uniform", SpecKind::kUniform, Form::kBare},
    {"rollout", SpecKind::kRollout, Form::kOptionalArguments},
    {"mcts", SpecKind::kMcts, Form::kOptionalArguments},
    {"solver", SpecKind::kSolver, Form::kBare},
    {"net", SpecKind::kNet, Form::kArguments},
    {"run", SpecKind::kRun, Form::kArguments},
};

bool RoleTakes(SpecRole role, SpecKind kind) {
  switch (role) {
    case SpecRole::kPlayer:
      return kind != SpecKind::kUniform && kind != SpecKind::kRollout;
    case SpecRole::kMeasured:
      return kind != SpecKind::kRollout;
    case SpecRole::kEvaluator:
      return kind == SpecKind::kUniform || kind == SpecKind::kRollout ||
             kind == SpecKind::kSolver || kind == SpecKind::kNet;
  }
  return false;
}

bool IsWrittenAs(absl::string_view text, const KindName& k) {
  const bool with_arguments = absl::StartsWith(text, k.name) &&
                              text.size() > k.name.size() &&
                              text[k.name.size()] == ':';
  switch (k.form) {
    case Form::kBare:
      return text == k.name;
    case Form::kOptionalArguments:
      return text == k.name || with_arguments;
    case Form::kArguments:
      return with_arguments;
  }
  return false;
}

absl::Status Invalid(const Spec& spec, absl::string_view why) {
  return spec.Error(absl::InvalidArgumentError(why));
}

// The kind `spec.text` names, if its role takes it.
absl::StatusOr<SpecKind> KindOf(const Spec& spec) {
  for (const KindName& k : kKinds) {
    if (IsWrittenAs(spec.text, k) && RoleTakes(spec.role, k.kind)) {
      return k.kind;
    }
  }
  if (spec.role == SpecRole::kEvaluator) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown evaluator \"", spec.text,
                     "\" (known: ", kKnownEvaluators, ")"));
  }
  return Invalid(spec,
                 absl::StrCat("unknown player (known: ", kKnownPlayers, ")"));
}

// Parses "sims=N" (N >= min_sims).
absl::StatusOr<int> ParseSims(const Spec& spec, absl::string_view option,
                              int min_sims) {
  absl::string_view number = option.substr(sizeof("sims=") - 1);
  int sims = 0;
  if (!absl::SimpleAtoi(number, &sims)) {
    return Invalid(spec, absl::StrCat("sims must be a whole number (got \"",
                                      number, "\")"));
  }
  if (sims < min_sims) {
    return Invalid(
        spec,
        absl::StrCat("sims must be >= ", min_sims, " (got ", sims, ")",
                     min_sims == 0 ? "; 0 plays the policy head alone" : ""));
  }
  return sims;
}

// Parses "c_init=X" or "fpu=X" (key and text split at the '=') into the
// float the search keeps.
absl::StatusOr<float> ParseSearchNumber(const Spec& spec, absl::string_view key,
                                        absl::string_view text) {
  double value = 0.0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return Invalid(spec,
                   absl::StrCat(key, " must be a number (got \"", text, "\")"));
  }
  // Checked as the float the search keeps: 1e39 would become inf and 1e-50
  // would become 0, which the double above still allows.
  absl::StatusOr<float> stored = engine::SearchParamToFloat(key, value);
  if (!stored.ok()) return Invalid(spec, stored.status().message());
  if (key == "c_init" && !(*stored > 0.0f)) {
    return Invalid(spec, absl::StrCat("c_init must be > 0 (got ", text, ")"));
  }
  if (key == "fpu" && !(*stored >= 0.0f)) {
    return Invalid(
        spec, absl::StrCat("fpu (a reduction) must be >= 0 (got ", text, ")"));
  }
  return *stored;
}

// Whether `option` looks like one of a network player's options (a known
// key, or "raw"), as opposed to a part of a path that holds ':'.
bool IsNetworkOption(absl::string_view option) {
  return option == "raw" || absl::StartsWith(option, "sims=") ||
         absl::StartsWith(option, "c_init=") ||
         absl::StartsWith(option, "fpu=") ||
         absl::StartsWith(option, "precision=") ||
         absl::StartsWith(option, "kernels=");
}

// Applies one option of a searching player to spec->search. `min_sims` is 1
// for mcts, 0 for networks (0 and raw: the policy head alone).
absl::Status ApplySearchOption(absl::string_view option, int min_sims,
                               Spec* spec) {
  SpecSearch& search = spec->search;
  if (option == "raw" && min_sims == 0) {
    search.simulations = 0;
    return absl::OkStatus();
  }
  if (absl::StartsWith(option, "sims=")) {
    ASSIGN_OR_RETURN(search.simulations, ParseSims(*spec, option, min_sims));
    return absl::OkStatus();
  }
  const size_t eq = option.find('=');
  const absl::string_view key = option.substr(0, eq);
  if (eq == absl::string_view::npos || (key != "c_init" && key != "fpu")) {
    return Invalid(*spec,
                   absl::StrCat("unknown option \"", option,
                                "\" (known: sims=N, c_init=X, fpu=X",
                                min_sims == 0
                                    ? ", raw, precision=P, kernels=K)"
                                    : ")"));
  }
  ASSIGN_OR_RETURN(float value,
                   ParseSearchNumber(*spec, key, option.substr(eq + 1)));
  (key == "c_init" ? search.c_init : search.fpu_reduction) = value;
  return absl::OkStatus();
}

// Applies one option of a network player: how its network runs
// (precision=P, kernels=K), else one of the search's.
absl::Status ApplyNetworkOption(absl::string_view option, Spec* spec) {
  const bool precision = absl::StartsWith(option, "precision=");
  if (!precision && !absl::StartsWith(option, "kernels=")) {
    return ApplySearchOption(option, 0, spec);
  }
  const std::string value(option.substr(option.find('=') + 1));
  if (precision) {
    absl::StatusOr<nn::Precision> parsed = nn::ParsePrecision(value);
    if (!parsed.ok()) return Invalid(*spec, parsed.status().message());
    spec->inference.precision = *parsed;
  } else {
    absl::StatusOr<nn::KernelSet> parsed = nn::ParseKernelSet(value);
    if (!parsed.ok()) return Invalid(*spec, parsed.status().message());
    spec->inference.kernels = *parsed;
  }
  return absl::OkStatus();
}

// mcts[:OPTS].
absl::Status ParseMcts(Spec* spec) {
  if (spec->text == "mcts") return absl::OkStatus();
  for (absl::string_view option :
       absl::StrSplit(absl::string_view(spec->text).substr(5), ':')) {
    RETURN_IF_ERROR(ApplySearchOption(option, 1, spec));
  }
  return absl::OkStatus();
}

// net:PATH[:OPTS] and run:DIR[:OPTS]; for an evaluator, net:PATH alone.
absl::Status ParseNetwork(Spec* spec) {
  const absl::string_view rest = absl::string_view(spec->text).substr(4);
  if (spec->role == SpecRole::kEvaluator) {
    if (rest.empty()) {
      return absl::InvalidArgumentError("--evaluator=net:PATH needs a path");
    }
    spec->path = std::string(rest);
    return absl::OkStatus();
  }
  // The path may itself hold ':', so only the last parts that read as
  // options are taken as options (applied left to right).
  std::vector<absl::string_view> parts = absl::StrSplit(rest, ':');
  size_t first_option = parts.size();
  while (first_option > 1 && IsNetworkOption(parts[first_option - 1])) {
    --first_option;
  }
  for (size_t i = first_option; i < parts.size(); ++i) {
    RETURN_IF_ERROR(ApplyNetworkOption(parts[i], spec));
  }
  spec->path = absl::StrJoin(parts.begin(), parts.begin() + first_option, ":");
  if (spec->path.empty()) {
    return Invalid(*spec, spec->kind == SpecKind::kNet
                              ? "net:PATH needs a checkpoint path"
                              : "run:DIR needs a run directory");
  }
  return absl::OkStatus();
}

// rollout[:K].
absl::Status ParseRollout(Spec* spec) {
  if (spec->text == "rollout") return absl::OkStatus();
  int rollouts = 0;
  if (!absl::SimpleAtoi(
          absl::string_view(spec->text).substr(sizeof("rollout:") - 1),
          &rollouts)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--evaluator=", spec->text, ": expected rollout:K with a number K"));
  }
  spec->rollouts = rollouts;
  return absl::OkStatus();
}

// A failure to make what a parsed spec names. A player's error names the
// spec; of --evaluator's, only the solver's ever did (the others, about
// --rollouts or a checkpoint's path, say what is wrong by themselves).
absl::Status MakeError(const Spec& spec, const absl::Status& status) {
  if (spec.role == SpecRole::kEvaluator && spec.kind != SpecKind::kSolver) {
    return status;
  }
  return spec.Error(status);
}

// The network of a net or run spec behind an inference server, run as
// `options` says with the spec's own precision and kernels.
absl::StatusOr<std::unique_ptr<engine::Evaluator>> ServeNetwork(
    const Game& game, const Spec& spec,
    const nn::InferenceServerOptions& options) {
  nn::InferenceServerOptions inference = options;
  if (spec.inference.precision.has_value()) {
    inference.inference.precision = *spec.inference.precision;
  }
  if (spec.inference.kernels.has_value()) {
    inference.inference.kernels = *spec.inference.kernels;
  }
  absl::StatusOr<std::string> path = spec.path;
  if (spec.kind == SpecKind::kRun) path = LatestCheckpoint(spec.path);
  if (!path.ok()) return MakeError(spec, path.status());
  absl::StatusOr<nn::Checkpoint> checkpoint =
      nn::LoadCheckpointForGame(*path, game);
  if (!checkpoint.ok()) return MakeError(spec, checkpoint.status());
  absl::StatusOr<std::unique_ptr<nn::InferenceServer>> server =
      nn::InferenceServer::Create(*checkpoint, inference);
  if (!server.ok()) return MakeError(spec, server.status());
  return *std::move(server);
}

// The evaluator of MakeEvaluator, before any cache.
absl::StatusOr<std::unique_ptr<engine::Evaluator>> MakeBareEvaluator(
    const Game& game, const Spec& spec, const EvaluatorOptions& options) {
  switch (spec.kind) {
    case SpecKind::kUniform:
      return std::make_unique<engine::UniformEvaluator>(game);
    case SpecKind::kRollout:
    case SpecKind::kMcts: {
      absl::StatusOr<std::unique_ptr<engine::RolloutEvaluator>> rollout =
          engine::RolloutEvaluator::Create(
              game, spec.rollouts.value_or(options.rollouts), options.seed);
      if (!rollout.ok()) return MakeError(spec, rollout.status());
      return *std::move(rollout);
    }
    case SpecKind::kSolver: {
      absl::StatusOr<std::unique_ptr<engine::SolverEvaluator>> solver =
          engine::SolverEvaluator::Create(game);
      if (!solver.ok()) return MakeError(spec, solver.status());
      return *std::move(solver);
    }
    case SpecKind::kNet:
    case SpecKind::kRun:
      return ServeNetwork(game, spec, options.inference);
    case SpecKind::kHuman:
    case SpecKind::kRandom:
      break;
  }
  return Invalid(spec, "plays without evaluating positions");
}

}  // namespace

absl::Status Spec::Error(const absl::Status& status) const {
  if (role == SpecRole::kEvaluator) {
    return absl::Status(status.code(), absl::StrCat("--evaluator=", text, ": ",
                                                    status.message()));
  }
  return absl::Status(
      status.code(), absl::StrCat("player \"", text, "\": ", status.message()));
}

absl::StatusOr<Spec> ParseSpec(absl::string_view text, SpecRole role) {
  Spec spec;
  spec.text = std::string(text);
  spec.role = role;
  ASSIGN_OR_RETURN(spec.kind, KindOf(spec));
  switch (spec.kind) {
    case SpecKind::kRollout:
      RETURN_IF_ERROR(ParseRollout(&spec));
      break;
    case SpecKind::kMcts:
      RETURN_IF_ERROR(ParseMcts(&spec));
      break;
    case SpecKind::kNet:
    case SpecKind::kRun:
      RETURN_IF_ERROR(ParseNetwork(&spec));
      break;
    default:
      break;
  }
  return spec;
}

absl::StatusOr<engine::SearchParams> SearchParamsOfSpec(
    const Spec& spec, const engine::SearchParams& base) {
  engine::SearchParams params = base;
  if (spec.search.c_init.has_value()) params.c_init = *spec.search.c_init;
  if (spec.search.fpu_reduction.has_value()) {
    params.fpu_mode = engine::FpuMode::kReduction;
    params.fpu_value = *spec.search.fpu_reduction;
  }
  if (spec.search.simulations.has_value()) {
    params.num_simulations = *spec.search.simulations;
  }
  // Zero simulations play the policy alone: there is no search to check.
  if (params.num_simulations == 0) return params;
  if (absl::Status valid = params.Validate(); !valid.ok()) {
    return spec.Error(valid);
  }
  return params;
}

absl::StatusOr<std::unique_ptr<engine::Evaluator>> MakeEvaluator(
    const Game& game, const Spec& spec, const EvaluatorOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<engine::Evaluator> evaluator,
                   MakeBareEvaluator(game, spec, options));
  if (options.cache_entries > 0) {
    evaluator = std::make_unique<engine::CachingEvaluator>(
        std::move(evaluator), game.NumActions(), options.cache_entries);
  }
  return evaluator;
}

}  // namespace az::selfplay
