#include "selfplay/player.h"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/evaluators.h"
#include "engine/random.h"
#include "nn/network_builder.h"

namespace az::selfplay {
namespace {

// --- Human ---------------------------------------------------------------

std::string LegalMovesText(const State& state) {
  std::vector<std::string> moves;
  for (Action a : state.LegalActions()) {
    moves.push_back(state.game().ActionToString(a));
  }
  return absl::StrJoin(moves, " ");
}

// --- Random --------------------------------------------------------------

class RandomPlayer final : public Player {
 public:
  std::string Name() const override { return "random"; }
  void Reset(uint64_t seed) override { rng_.Seed(seed); }
  absl::StatusOr<Action> ChooseMove(const State& state,
                                    MoveInfo* info) override {
    std::vector<Action> legal = state.LegalActions();
    if (legal.empty()) {
      return absl::InvalidArgumentError("no legal move: the game is over");
    }
    return legal[rng_.Below(legal.size())];
  }

 private:
  engine::Rng rng_{1};
};

// --- Solver --------------------------------------------------------------

// Plays a move of the best exact value (win soonest, lose latest), chosen at
// random among equals so that games against it vary.
class SolverPlayer final : public Player {
 public:
  explicit SolverPlayer(const Game& game) : game_(game) {}
  std::string Name() const override { return "solver"; }
  void Reset(uint64_t seed) override { rng_.Seed(seed); }
  absl::StatusOr<Action> ChooseMove(const State& state,
                                    MoveInfo* info) override {
    // Made on first use: a solver's tables are large (128 MiB in Connect
    // Four) and kept across the games of this player.
    if (solver_ == nullptr) solver_ = game_.NewExactSolver();
    if (solver_ == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(game_.Name(), " has no exact solver"));
    }
    absl::StatusOr<std::vector<MoveValue>> moves = solver_->SolveMoves(state);
    if (!moves.ok()) return moves.status();
    if (moves->empty()) {
      return absl::InvalidArgumentError("no legal move: the game is over");
    }
    ExactValue best = (*moves)[0].value;
    for (const MoveValue& m : *moves) {
      if (IsBetterExactValue(m.value, best)) best = m.value;
    }
    std::vector<Action> optimal;
    for (const MoveValue& m : *moves) {
      if (!IsBetterExactValue(best, m.value)) optimal.push_back(m.action);
    }
    if (info != nullptr) info->exact = best;
    return optimal[rng_.Below(optimal.size())];
  }

 private:
  const Game& game_;
  std::unique_ptr<ExactSolver> solver_;
  engine::Rng rng_{1};
};

// --- Search (mcts, net with sims > 0) ------------------------------------

class SearchPlayer final : public Player {
 public:
  // `rollouts`, when set, is this player's own evaluator (mcts): each game
  // reseeds it.
  SearchPlayer(std::string name, std::unique_ptr<engine::Search> search,
               std::shared_ptr<engine::Evaluator> evaluator, bool learned,
               engine::RolloutEvaluator* rollouts = nullptr)
      : name_(std::move(name)),
        evaluator_(std::move(evaluator)),
        search_(std::move(search)),
        learned_(learned),
        rollouts_(rollouts) {}
  std::string Name() const override { return name_; }
  void Reset(uint64_t seed) override {
    synced_ = false;
    // Playouts are a function of (seed, position), so that a search may
    // cache them; with one seed for every game, two deterministic players
    // would replay the same game from the same opening.
    if (rollouts_ != nullptr) rollouts_->set_seed(seed);
  }
  absl::StatusOr<Action> ChooseMove(const State& state,
                                    MoveInfo* info) override {
    // The tree is kept while the moves observed lead to `state`.
    const State& root = search_->root_state();
    if (!synced_ || root.MoveNumber() != state.MoveNumber() ||
        root.Hash() != state.Hash()) {
      if (absl::Status s = search_->SetPosition(state); !s.ok()) return s;
      synced_ = true;
    }
    absl::StatusOr<engine::SearchResult> result = search_->Run();
    if (!result.ok()) return result.status();
    Action action = search_->ChooseMove(*result);
    if (info != nullptr) {
      info->search = *std::move(result);
      info->value_is_learned = learned_;
    }
    return action;
  }
  void Observe(Action action) override {
    if (!synced_) return;
    if (!search_->ApplyMove(action).ok() ||
        search_->root_state().IsTerminal()) {
      synced_ = false;
    }
  }

 private:
  std::string name_;
  std::shared_ptr<engine::Evaluator> evaluator_;  // used by search_
  std::unique_ptr<engine::Search> search_;
  bool learned_;
  engine::RolloutEvaluator* rollouts_;  // owned through evaluator_
  bool synced_ = false;
};

// --- Network without search ----------------------------------------------

// Plays the move the policy head likes best: the network's own judgement,
// with nothing from the rules but the legal moves.
class PolicyPlayer final : public Player {
 public:
  PolicyPlayer(std::string name, std::shared_ptr<engine::Evaluator> evaluator,
               int num_actions)
      : name_(std::move(name)),
        evaluator_(std::move(evaluator)),
        priors_(num_actions) {}
  std::string Name() const override { return name_; }
  absl::StatusOr<Action> ChooseMove(const State& state,
                                    MoveInfo* info) override {
    std::vector<Action> legal = state.LegalActions();
    if (legal.empty()) {
      return absl::InvalidArgumentError("no legal move: the game is over");
    }
    const State* states[] = {&state};
    engine::LeafEvaluation evaluation;
    if (absl::Status s = evaluator_->Evaluate(states, absl::MakeSpan(priors_),
                                              absl::MakeSpan(&evaluation, 1));
        !s.ok()) {
      return s;
    }
    Action best = legal[0];
    for (Action a : legal) {
      if (priors_[a] > priors_[best]) best = a;
    }
    if (info != nullptr) {
      engine::SearchResult r;
      for (Action a : legal) {
        engine::MoveStats m;
        m.action = a;
        m.prior = priors_[a];
        r.moves.push_back(m);
      }
      r.policy = priors_;
      r.q = r.v = evaluation.value.Scalar();
      r.best_action = best;
      r.principal_variation = {best};
      r.evaluations = 1;
      info->search = std::move(r);
      info->value_is_learned = true;
    }
    return best;
  }

 private:
  std::string name_;
  std::shared_ptr<engine::Evaluator> evaluator_;
  std::vector<float> priors_;
};

// --- Spec parsing --------------------------------------------------------

absl::Status SpecError(absl::string_view spec, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("player \"", spec, "\": ", why));
}

absl::Status WithSpec(absl::string_view spec, const absl::Status& status) {
  return absl::Status(
      status.code(), absl::StrCat("player \"", spec, "\": ", status.message()));
}

// Parses "sims=N" into *sims (N >= min_sims).
absl::Status ParseSims(absl::string_view spec, absl::string_view option,
                       int min_sims, int* sims) {
  absl::string_view number = option.substr(sizeof("sims=") - 1);
  if (!absl::SimpleAtoi(number, sims)) {
    return SpecError(spec, absl::StrCat("sims must be a whole number (got \"",
                                        number, "\")"));
  }
  if (*sims < min_sims) {
    return SpecError(
        spec,
        absl::StrCat("sims must be >= ", min_sims, " (got ", *sims, ")",
                     min_sims == 0 ? "; 0 plays the policy head alone" : ""));
  }
  return absl::OkStatus();
}

// Whether `option` looks like one of a searching player's options (a known
// key, or "raw"), as opposed to a part of a path that holds ':'.
bool IsSearchOption(absl::string_view option) {
  return option == "raw" || absl::StartsWith(option, "sims=") ||
         absl::StartsWith(option, "c_init=") ||
         absl::StartsWith(option, "fpu=");
}

// Applies one option of a searching player ("sims=N", "raw", "c_init=X",
// "fpu=X") to *sims and *params. `min_sims` is 1 for mcts, 0 for networks
// (0 and raw: the policy head alone).
absl::Status ApplySearchOption(absl::string_view spec, absl::string_view option,
                               int min_sims, int* sims, bool* sims_set,
                               engine::SearchParams* params) {
  if (option == "raw" && min_sims == 0) {
    *sims = 0;
    *sims_set = true;
    return absl::OkStatus();
  }
  if (absl::StartsWith(option, "sims=")) {
    *sims_set = true;
    return ParseSims(spec, option, min_sims, sims);
  }
  const size_t eq = option.find('=');
  const absl::string_view key = option.substr(0, eq);
  if (eq == absl::string_view::npos || (key != "c_init" && key != "fpu")) {
    return SpecError(spec, absl::StrCat("unknown option \"", option,
                                        "\" (known: sims=N, c_init=X, fpu=X",
                                        min_sims == 0 ? ", raw)" : ")"));
  }
  const absl::string_view text = option.substr(eq + 1);
  double value = 0.0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return SpecError(spec, absl::StrCat(key, " must be a number (got \"",
                                        text, "\")"));
  }
  // Checked as the float the search keeps: 1e39 would become inf and 1e-50
  // would become 0, which the double above still allows.
  absl::StatusOr<float> stored = engine::SearchParamToFloat(key, value);
  if (!stored.ok()) return SpecError(spec, stored.status().message());
  if (key == "c_init") {
    if (!(*stored > 0.0f)) {
      return SpecError(spec, absl::StrCat("c_init must be > 0 (got ", text,
                                          ")"));
    }
    params->c_init = *stored;
  } else {
    if (!(*stored >= 0.0f)) {
      return SpecError(spec, absl::StrCat("fpu (a reduction) must be >= 0 "
                                          "(got ", text, ")"));
    }
    params->fpu_mode = engine::FpuMode::kReduction;
    params->fpu_value = *stored;
  }
  return absl::OkStatus();
}

// Whether NewPlayer() can make a search with `params` and `sims`
// simulations (0: the policy alone, no search): every setting, the spec's
// and PlayerOptions::search's, checked here so that it never has to CHECK.
absl::Status CheckSearchable(absl::string_view spec, int sims,
                             engine::SearchParams params) {
  if (sims == 0) return absl::OkStatus();
  params.num_simulations = sims;
  if (absl::Status s = params.Validate(); !s.ok()) return WithSpec(spec, s);
  return absl::OkStatus();
}

constexpr char kKnownSpecs[] =
    "human, random, mcts[:OPTIONS], solver, net:PATH[:OPTIONS], "
    "run:DIR[:OPTIONS] with OPTIONS among sims=N, c_init=X, fpu=X and (net, "
    "run) raw";

}  // namespace

HumanPlayer::HumanPlayer(const Game& game, std::istream* input,
                         std::ostream* messages, std::ostream* prompts)
    : game_(game), input_(input), messages_(messages), prompts_(prompts) {}

void HumanPlayer::PrintHelp(const State& state) {
  *messages_ << "Type a move in " << game_.Name()
             << "'s notation, or one of:\n"
                "  undo   take back your last move (and the reply to it)\n"
                "  help   show this text\n"
                "  quit   stop the game\n"
             << "Legal moves now: " << LegalMovesText(state) << "\n";
}

HumanPlayer::Command HumanPlayer::ReadCommand(const State& state) {
  std::string line;
  while (true) {
    if (prompts_ != nullptr) {
      *prompts_ << (state.ToMove() == az::Player::kFirst ? "first" : "second")
                << " to move (help for help)> " << std::flush;
    }
    if (!std::getline(*input_, line)) return {Command::Kind::kQuit};
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || absl::StartsWith(text, "#")) continue;
    std::string lower = absl::AsciiStrToLower(text);
    if (lower == "quit" || lower == "exit" || lower == "q") {
      return {Command::Kind::kQuit};
    }
    if (lower == "undo" || lower == "u") return {Command::Kind::kUndo};
    if (lower == "help" || lower == "?" || lower == "h") {
      PrintHelp(state);
      continue;
    }
    absl::StatusOr<Action> action = game_.ParseAction(text);
    if (!action.ok()) {
      *messages_ << "\"" << text << "\": " << action.status().message()
                 << " (type help for help)\n";
      continue;
    }
    if (absl::Status legal = state.CheckLegal(*action); !legal.ok()) {
      *messages_ << legal.message()
                 << "; legal moves: " << LegalMovesText(state) << "\n";
      continue;
    }
    return {Command::Kind::kMove, *action};
  }
}

absl::StatusOr<Action> HumanPlayer::ChooseMove(const State& state,
                                               MoveInfo* info) {
  while (true) {
    Command command = ReadCommand(state);
    switch (command.kind) {
      case Command::Kind::kMove:
        return command.action;
      case Command::Kind::kQuit:
        return absl::CancelledError("the human player quit");
      case Command::Kind::kUndo:
        *messages_ << "undo is only available in az play\n";
        break;
    }
  }
}

PlayerFactory::PlayerFactory(const Game& game, std::string spec, Kind kind,
                             const PlayerOptions& options)
    : game_(game), spec_(std::move(spec)), kind_(kind), options_(options) {}

absl::StatusOr<std::unique_ptr<PlayerFactory>> PlayerFactory::Create(
    const Game& game, absl::string_view spec_view,
    const PlayerOptions& options) {
  const std::string spec(spec_view);
  auto make = [&](Kind kind) {
    return std::unique_ptr<PlayerFactory>(
        new PlayerFactory(game, spec, kind, options));
  };
  if (spec == "human") {
    if (options.input == nullptr || options.messages == nullptr) {
      return SpecError(spec, "a human player needs a terminal to type in");
    }
    return make(Kind::kHuman);
  }
  if (spec == "random") return make(Kind::kRandom);
  if (spec == "solver") {
    if (game.NewExactSolver() == nullptr) {
      return SpecError(spec, absl::StrCat(game.Name(), " has no exact solver"));
    }
    return make(Kind::kSolver);
  }
  if (spec == "mcts" || absl::StartsWith(spec, "mcts:")) {
    auto factory = make(Kind::kMcts);
    factory->sims_ = options.search.num_simulations;
    if (spec != "mcts") {
      for (absl::string_view option :
           absl::StrSplit(absl::string_view(spec).substr(5), ':')) {
        if (absl::Status s = ApplySearchOption(
                spec, option, 1, &factory->sims_, &factory->spec_sets_sims_,
                &factory->options_.search);
            !s.ok()) {
          return s;
        }
      }
    }
    if (absl::Status s =
            CheckSearchable(spec, factory->sims_, factory->options_.search);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::unique_ptr<engine::RolloutEvaluator>> rollout =
        engine::RolloutEvaluator::Create(game, options.rollouts,
                                         options.search.seed);
    if (!rollout.ok()) return WithSpec(spec, rollout.status());
    factory->evaluator_ = std::move(*rollout);
    return factory;
  }
  const bool is_net = absl::StartsWith(spec, "net:");
  const bool is_run = absl::StartsWith(spec, "run:");
  if (!is_net && !is_run) {
    return SpecError(spec,
                     absl::StrCat("unknown player (known: ", kKnownSpecs, ")"));
  }
  // The path may itself hold ':', so only the last parts that read as
  // options are taken as options (applied left to right).
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(spec).substr(4), ':');
  size_t first_option = parts.size();
  while (first_option > 1 && IsSearchOption(parts[first_option - 1])) {
    --first_option;
  }
  std::string path = absl::StrJoin(
      parts.begin(), parts.begin() + first_option, ":");
  int sims = options.search.num_simulations;
  bool sims_set = false;
  engine::SearchParams params = options.search;
  for (size_t i = first_option; i < parts.size(); ++i) {
    if (absl::Status s =
            ApplySearchOption(spec, parts[i], 0, &sims, &sims_set, &params);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = CheckSearchable(spec, sims, params); !s.ok()) return s;
  if (path.empty()) {
    return SpecError(spec, is_net ? "net:PATH needs a checkpoint path"
                                  : "run:DIR needs a run directory");
  }
  if (is_run) {
    absl::StatusOr<std::string> latest = LatestCheckpoint(path);
    if (!latest.ok()) return WithSpec(spec, latest.status());
    path = *latest;
  }
  absl::StatusOr<nn::Checkpoint> checkpoint =
      nn::LoadCheckpointForGame(path, game);
  if (!checkpoint.ok()) return WithSpec(spec, checkpoint.status());
  absl::StatusOr<std::unique_ptr<nn::InferenceServer>> server =
      nn::InferenceServer::Create(*checkpoint, options.inference);
  if (!server.ok()) return WithSpec(spec, server.status());
  auto factory = make(Kind::kNet);
  factory->sims_ = sims;
  factory->spec_sets_sims_ = sims_set;
  factory->options_.search = params;
  factory->evaluator_ = std::move(*server);
  return factory;
}

std::unique_ptr<Player> PlayerFactory::NewPlayer() const {
  switch (kind_) {
    case Kind::kHuman:
      return std::make_unique<HumanPlayer>(game_, options_.input,
                                           options_.messages, options_.prompts);
    case Kind::kRandom:
      return std::make_unique<RandomPlayer>();
    case Kind::kSolver:
      return std::make_unique<SolverPlayer>(game_);
    case Kind::kMcts:
    case Kind::kNet: {
      if (sims_ == 0) {
        return std::make_unique<PolicyPlayer>(spec_, evaluator_,
                                              game_.NumActions());
      }
      engine::SearchParams params = options_.search;
      params.num_simulations = sims_;
      std::shared_ptr<engine::Evaluator> evaluator = evaluator_;
      engine::RolloutEvaluator* rollouts = nullptr;
      if (kind_ == Kind::kMcts) {
        // Its own playouts, reseeded every game (see SearchPlayer::Reset).
        auto own = std::make_shared<engine::RolloutEvaluator>(
            game_, options_.rollouts, options_.search.seed);
        rollouts = own.get();
        evaluator = std::move(own);
      }
      absl::StatusOr<std::unique_ptr<engine::Search>> search =
          engine::Search::Create(game_, evaluator.get(), params);
      // Create() checked these settings (CheckSearchable); a failure here
      // is a programmer error.
      CHECK(search.ok()) << search.status();
      return std::make_unique<SearchPlayer>(spec_, *std::move(search),
                                            std::move(evaluator),
                                            kind_ == Kind::kNet, rollouts);
    }
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<Player>> ParsePlayerSpec(
    const Game& game, absl::string_view spec, const PlayerOptions& options) {
  absl::StatusOr<std::unique_ptr<PlayerFactory>> factory =
      PlayerFactory::Create(game, spec, options);
  if (!factory.ok()) return factory.status();
  return (*factory)->NewPlayer();
}

}  // namespace az::selfplay
