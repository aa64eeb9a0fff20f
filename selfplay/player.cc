#include "selfplay/player.h"

#include <glog/logging.h>

#include <algorithm>
#include <istream>
#include <ostream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "engine/evaluators.h"
#include "base/random.h"

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
  base::Rng rng_{1};
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
    ASSIGN_OR_RETURN(std::vector<MoveValue> moves, solver_->SolveMoves(state));
    if (moves.empty()) {
      return absl::InvalidArgumentError("no legal move: the game is over");
    }
    ExactValue best = moves[0].value;
    for (const MoveValue& m : moves) {
      if (IsBetterExactValue(m.value, best)) best = m.value;
    }
    std::vector<Action> optimal;
    for (const MoveValue& m : moves) {
      if (!IsBetterExactValue(best, m.value)) optimal.push_back(m.action);
    }
    if (info != nullptr) info->exact = best;
    return optimal[rng_.Below(optimal.size())];
  }

 private:
  const Game& game_;
  std::unique_ptr<ExactSolver> solver_;
  base::Rng rng_{1};
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
      RETURN_IF_ERROR(search_->SetPosition(state));
      synced_ = true;
    }
    ASSIGN_OR_RETURN(engine::SearchResult result, search_->Run());
    Action action = search_->ChooseMove(result);
    if (info != nullptr) {
      info->search = std::move(result);
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
    RETURN_IF_ERROR(evaluator_->Evaluate(states, absl::MakeSpan(priors_),
                                         absl::MakeSpan(&evaluation, 1)));
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

PlayerFactory::PlayerFactory(const Game& game, Spec spec,
                             const PlayerOptions& options)
    : game_(game), spec_(std::move(spec)), options_(options) {}

absl::StatusOr<std::unique_ptr<PlayerFactory>> PlayerFactory::Create(
    const Game& game, absl::string_view spec, const PlayerOptions& options) {
  ASSIGN_OR_RETURN(Spec parsed, ParseSpec(spec, SpecRole::kPlayer));
  std::unique_ptr<PlayerFactory> factory(
      new PlayerFactory(game, std::move(parsed), options));
  RETURN_IF_ERROR(factory->Prepare());
  return factory;
}

absl::Status PlayerFactory::Prepare() {
  switch (spec_.kind) {
    case SpecKind::kHuman:
      if (options_.input == nullptr || options_.messages == nullptr) {
        return spec_.Error(absl::InvalidArgumentError(
            "a human player needs a terminal to type in"));
      }
      return absl::OkStatus();
    case SpecKind::kSolver:
      if (game_.NewExactSolver() == nullptr) {
        return spec_.Error(absl::InvalidArgumentError(
            absl::StrCat(game_.Name(), " has no exact solver")));
      }
      return absl::OkStatus();
    case SpecKind::kMcts:
    case SpecKind::kNet:
    case SpecKind::kRun: {
      // Every setting, the spec's and PlayerOptions::search's, is checked
      // here, so that NewPlayer() never has to CHECK.
      ASSIGN_OR_RETURN(options_.search,
                       SearchParamsOfSpec(spec_, options_.search));
      EvaluatorOptions evaluation;
      evaluation.rollouts = options_.rollouts;
      evaluation.seed = options_.search.seed;
      evaluation.inference = options_.inference;
      ASSIGN_OR_RETURN(evaluator_, MakeEvaluator(game_, spec_, evaluation));
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

std::unique_ptr<Player> PlayerFactory::NewPlayer() const {
  switch (spec_.kind) {
    case SpecKind::kHuman:
      return std::make_unique<HumanPlayer>(game_, options_.input,
                                           options_.messages, options_.prompts);
    case SpecKind::kRandom:
      return std::make_unique<RandomPlayer>();
    case SpecKind::kSolver:
      return std::make_unique<SolverPlayer>(game_);
    case SpecKind::kMcts:
    case SpecKind::kNet:
    case SpecKind::kRun:
      return NewSearchingPlayer();
    case SpecKind::kUniform:
    case SpecKind::kRollout:
      break;  // not players: ParseSpec refuses them in SpecRole::kPlayer
  }
  return nullptr;
}

std::unique_ptr<Player> PlayerFactory::NewSearchingPlayer() const {
  if (simulations() == 0) {
    return std::make_unique<PolicyPlayer>(spec_.text, evaluator_,
                                          game_.NumActions());
  }
  std::shared_ptr<engine::Evaluator> evaluator = evaluator_;
  engine::RolloutEvaluator* rollouts = nullptr;
  if (spec_.kind == SpecKind::kMcts) {
    // Its own playouts, reseeded every game (see SearchPlayer::Reset).
    auto own = std::make_shared<engine::RolloutEvaluator>(
        game_, options_.rollouts, options_.search.seed);
    rollouts = own.get();
    evaluator = std::move(own);
  }
  absl::StatusOr<std::unique_ptr<engine::Search>> search =
      engine::Search::Create(game_, evaluator.get(), options_.search);
  // Prepare() checked these settings (SearchParamsOfSpec); a failure here
  // is a programmer error.
  CHECK(search.ok()) << search.status();
  return std::make_unique<SearchPlayer>(spec_.text, *std::move(search),
                                        std::move(evaluator), spec_.learned(),
                                        rollouts);
}

absl::StatusOr<std::unique_ptr<Player>> ParsePlayerSpec(
    const Game& game, absl::string_view spec, const PlayerOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<PlayerFactory> factory,
                   PlayerFactory::Create(game, spec, options));
  return factory->NewPlayer();
}

}  // namespace az::selfplay
