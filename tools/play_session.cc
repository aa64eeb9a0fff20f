#include "tools/play_session.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "base/hash.h"
#include "tools/command.h"

namespace az {
namespace {

const char* SideName(Player side) {
  return side == Player::kFirst ? "first" : "second";
}

// The search's value and whether it proved the result.
std::string SearchValueText(const engine::SearchResult& r,
                            bool value_is_learned) {
  if (r.simulations <= 0) {
    return "  (no search: the policy head alone chose the move)\n";
  }
  std::string text =
      absl::StrFormat("  search  q (%d simulations, side to move): %+.3f\n",
                      r.simulations, r.q);
  if (r.proven()) {
    absl::StrAppendFormat(
        &text, "  rules   proven: %s (grounded in terminal rewards)\n",
        r.exact->ToString());
  } else {
    absl::StrAppendFormat(
        &text,
        "  rules   not proven: %.0f%% of %d root visits rest on terminal "
        "rewards, %.0f%% on %s values\n",
        100.0 * r.reward_share(), r.root_visits,
        r.root_visits > 0 ? 100.0 * r.value_visits / r.root_visits : 0.0,
        value_is_learned ? "learned" : "rollout");
  }
  return text;
}

// The three most visited moves (the priors break ties).
std::string TopMovesText(const Game& game, const engine::SearchResult& r) {
  std::vector<engine::MoveStats> top = r.moves;
  std::sort(top.begin(), top.end(),
            [](const engine::MoveStats& a, const engine::MoveStats& b) {
              if (a.visits != b.visits) return a.visits > b.visits;
              return a.prior > b.prior;
            });
  if (top.size() > 3) top.resize(3);
  std::string text = "  top moves:";
  for (const engine::MoveStats& m : top) {
    std::string q = m.q.has_value() ? absl::StrFormat("%+.3f", *m.q) : "-";
    absl::StrAppendFormat(&text, "  %s (visits %d, prior %.1f%%, q %s%s%s)",
                          game.ActionToString(m.action), m.visits,
                          100.0 * m.prior, q, m.proven.has_value() ? ", " : "",
                          m.proven.has_value() ? m.proven->ToString() : "");
  }
  return text + "\n";
}

// One game at the terminal: the players, the position and the moves played
// since the start, which an undo takes back.
class TerminalGame {
 public:
  TerminalGame(const Game& game, const PlayOptions& options, std::ostream& out,
               std::vector<Action> start_moves,
               std::unique_ptr<selfplay::Player> players[2])
      : game_(game),
        options_(options),
        out_(out),
        start_moves_(std::move(start_moves)),
        start_(game.NewInitialState()),
        players_{std::move(players[0]), std::move(players[1])} {
    for (Action a : start_moves_) start_->Apply(a);
    state_ = start_->Clone();
  }

  absl::StatusOr<PlayedGame> Play();

 private:
  // What a person's turn came to.
  enum class Turn { kMoved, kAgain, kQuit };

  selfplay::Player& MoverIn(const State& state) const {
    return *players_[PlayerIndex(state.ToMove())];
  }
  // Every player starts its game anew, seeded by the undo generation.
  void ResetPlayers() {
    for (int i = 0; i < 2; ++i) {
      players_[i]->Reset(base::MixBits(options_.seed + 2 * generation_ + i));
    }
  }
  Turn HumanTurn(selfplay::HumanPlayer& human, Action* action);
  void Undo();
  absl::StatusOr<Action> EngineTurn(selfplay::Player& engine);
  void Apply(Action action);

  const Game& game_;
  const PlayOptions& options_;
  std::ostream& out_;
  std::vector<Action> start_moves_;
  std::unique_ptr<State> start_;  // the position after start_moves_
  std::unique_ptr<State> state_;
  std::unique_ptr<selfplay::Player> players_[2];
  std::vector<Action> moves_;  // played after the start
  int generation_ = 0;         // undos so far
};

absl::StatusOr<PlayedGame> TerminalGame::Play() {
  ResetPlayers();
  out_ << "\n" << state_->ToString() << std::flush;
  PlayedGame played;
  while (!state_->IsTerminal()) {
    selfplay::Player& mover = MoverIn(*state_);
    Action action = kNoAction;
    if (mover.IsHuman()) {
      const Turn turn =
          HumanTurn(static_cast<selfplay::HumanPlayer&>(mover), &action);
      if (turn == Turn::kAgain) continue;
      if (turn == Turn::kQuit) {
        played.quit = true;
        break;
      }
    } else {
      ASSIGN_OR_RETURN(action, EngineTurn(mover));
    }
    Apply(action);
  }
  played.moves = start_moves_;
  played.start_plies = static_cast<int>(start_moves_.size());
  played.moves.insert(played.moves.end(), moves_.begin(), moves_.end());
  if (!played.quit) played.outcome = state_->Outcome();
  return played;
}

TerminalGame::Turn TerminalGame::HumanTurn(selfplay::HumanPlayer& human,
                                           Action* action) {
  using Kind = selfplay::HumanPlayer::Command::Kind;
  const selfplay::HumanPlayer::Command command = human.ReadCommand(*state_);
  if (command.kind == Kind::kQuit) return Turn::kQuit;
  if (command.kind == Kind::kUndo) {
    if (moves_.empty()) {
      out_.flush();
      *options_.players.messages << "nothing to undo" << std::endl;
    } else {
      Undo();
    }
    return Turn::kAgain;
  }
  *action = command.action;
  out_ << "\n"
       << SideName(state_->ToMove()) << " (human) plays "
       << game_.ActionToString(*action) << "\n";
  return Turn::kMoved;
}

void TerminalGame::Undo() {
  // Take back moves until a person is to move again (their last move and
  // the engine's reply to it).
  std::unique_ptr<State> back;
  do {
    moves_.pop_back();
    back = start_->Clone();
    for (Action a : moves_) back->Apply(a);
  } while (!moves_.empty() && !MoverIn(*back).IsHuman());
  state_ = std::move(back);
  ++generation_;
  ResetPlayers();
  out_ << "\nundo: back to move " << state_->MoveNumber() + 1 << "\n"
       << state_->ToString() << std::flush;
}

absl::StatusOr<Action> TerminalGame::EngineTurn(selfplay::Player& engine) {
  selfplay::MoveInfo info;
  absl::StatusOr<Action> chosen = engine.ChooseMove(*state_, &info);
  if (!chosen.ok()) {
    return absl::Status(
        chosen.status().code(),
        absl::StrCat(engine.Name(), ": ", chosen.status().message()));
  }
  out_ << "\n"
       << SideName(state_->ToMove()) << " (" << engine.Name() << ") plays "
       << game_.ActionToString(*chosen) << "\n";
  if (options_.analysis) out_ << AnalysisText(game_, info);
  return *chosen;
}

void TerminalGame::Apply(Action action) {
  state_->Apply(action);
  moves_.push_back(action);
  players_[0]->Observe(action);
  players_[1]->Observe(action);
  out_ << state_->ToString() << std::flush;
}

}  // namespace

absl::StatusOr<PlayOptions> ResolvePlayOptions(const Game& game,
                                               const PlayFlagValues& flags) {
  absl::StatusOr<std::unique_ptr<State>> start =
      game.NewStateFromMoves(flags.start);
  if (!start.ok()) {
    return UsageError(absl::StrCat("--start: ", start.status().message()));
  }
  PlayOptions options;
  options.specs = absl::StrSplit(
      flags.players.empty() ? std::string("human,mcts") : flags.players, ',');
  if (options.specs.size() != 2) {
    return UsageError(
        absl::StrCat("--players needs two players, FIRST,SECOND (got \"",
                     flags.players, "\")"));
  }
  options.start = flags.start;
  options.analysis = flags.analysis;
  options.seed = flags.seed;
  return options;
}

absl::StatusOr<PlayedGame> PlayGame(const Game& game,
                                    const PlayOptions& options,
                                    std::ostream& out) {
  std::unique_ptr<selfplay::Player> players[2];
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<selfplay::Player>> player =
        selfplay::ParsePlayerSpec(game, options.specs[i], options.players);
    if (!player.ok()) return AsUsageError(player.status());
    players[i] = *std::move(player);
  }
  ASSIGN_OR_RETURN(std::vector<Action> start, game.ParseMoves(options.start));
  out << game.Name() << ": first " << options.specs[0] << ", second "
      << options.specs[1] << "\n";
  if (options.interactive && (players[0]->IsHuman() || players[1]->IsHuman())) {
    out << "Type moves in the game's notation; help, undo, quit.\n";
  }
  TerminalGame terminal(game, options, out, std::move(start), players);
  return terminal.Play();
}

std::string ResultText(const Game& game, const PlayOptions& options,
                       const PlayedGame& played) {
  std::string winner;
  if (played.outcome == GameOutcome::kFirstPlayerWins) {
    winner = absl::StrCat(" (", options.specs[0], ")");
  } else if (played.outcome == GameOutcome::kSecondPlayerWins) {
    winner = absl::StrCat(" (", options.specs[1], ")");
  }
  return absl::StrFormat("\nresult: %s%s after %d plies; moves: %s\n",
                         OutcomeName(played.outcome), winner,
                         played.moves.size(), game.FormatMoves(played.moves));
}

std::string QuitText(const PlayedGame& played) {
  const size_t after_start = played.moves.size() - played.start_plies;
  return absl::StrFormat("quit after %d move%s; no result", after_start,
                         after_start == 1 ? "" : "s");
}

std::string AnalysisText(const Game& game, const selfplay::MoveInfo& info) {
  std::string text;
  if (info.exact.has_value()) {
    absl::StrAppendFormat(&text,
                          "  rules   exact value (solver): %s, score %d\n",
                          info.exact->reward.ToString(), info.exact->score);
  }
  if (!info.search.has_value()) return text;
  const engine::SearchResult& r = *info.search;
  absl::StrAppendFormat(
      &text, "  %s v (%s, side to move): %+.3f\n",
      info.value_is_learned ? "learned" : "heuristic",
      info.value_is_learned ? "raw network value" : "random rollouts", r.v);
  absl::StrAppend(&text, SearchValueText(r, info.value_is_learned),
                  TopMovesText(game, r));
  return text;
}

}  // namespace az
