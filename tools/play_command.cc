// `az play`: one game between two players in the terminal, usually a person
// against an engine or a checkpoint. The board is drawn after every move;
// the person types moves in the game's notation, `undo`, `help` or `quit`.
// With --analysis every engine move comes with what the network believes
// (its raw value, learned) beside what the search found and what it proved
// (grounded in the rules).
//
// When stdin is not a terminal no prompt is printed and explanations of bad
// input go to stderr, so stdout holds only boards, moves and the result and a
// session can be scripted. `quit` and the end of the input stop the game
// with exit code 0 (stderr says so); bad flags or players exit with 2.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "games/hash.h"
#include "games/registry.h"
#include "selfplay/player.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/players_flags.h"
#include "tools/search_flags.h"

DEFINE_bool(analysis, false,
            "After each engine move, show the network's raw value (learned), "
            "the search value, whether the search proved the result (rules) "
            "and the top moves with visits and priors.");

namespace az {
namespace {

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "az play: %s\n", std::string(message).c_str());
  return code;
}

const char* SideName(az::Player side) {
  return side == az::Player::kFirst ? "first" : "second";
}

void PrintAnalysis(const Game& game, const selfplay::Player& player,
                   const selfplay::MoveInfo& info) {
  if (info.exact.has_value()) {
    std::printf("  rules   exact value (solver): %s, score %d\n",
                info.exact->reward.ToString().c_str(), info.exact->score);
  }
  if (!info.search.has_value()) return;
  const engine::SearchResult& r = *info.search;
  const bool searched = r.simulations > 0;
  std::printf("  %s v (%s, side to move): %+.3f\n",
              info.value_is_learned ? "learned" : "heuristic",
              info.value_is_learned ? "raw network value" : "random rollouts",
              r.v);
  if (searched) {
    std::printf("  search  q (%d simulations, side to move): %+.3f\n",
                r.simulations, r.q);
    if (r.proven()) {
      std::printf("  rules   proven: %s (grounded in terminal rewards)\n",
                  r.exact->ToString().c_str());
    } else {
      std::printf(
          "  rules   not proven: %.0f%% of %d root visits rest on terminal "
          "rewards, %.0f%% on %s values\n",
          100.0 * r.reward_share(), r.root_visits,
          r.root_visits > 0 ? 100.0 * r.value_visits / r.root_visits : 0.0,
          info.value_is_learned ? "learned" : "rollout");
    }
  } else {
    std::printf("  (no search: the policy head alone chose the move)\n");
  }
  std::vector<engine::MoveStats> top = r.moves;
  std::sort(top.begin(), top.end(),
            [](const engine::MoveStats& a, const engine::MoveStats& b) {
              if (a.visits != b.visits) return a.visits > b.visits;
              return a.prior > b.prior;
            });
  if (top.size() > 3) top.resize(3);
  std::printf("  top moves:");
  for (const engine::MoveStats& m : top) {
    std::string q = m.q.has_value() ? absl::StrFormat("%+.3f", *m.q) : "-";
    std::printf("  %s (visits %d, prior %.1f%%, q %s%s%s)",
                game.ActionToString(m.action).c_str(), m.visits,
                100.0 * m.prior, q.c_str(), m.proven.has_value() ? ", " : "",
                m.proven.has_value() ? m.proven->ToString().c_str() : "");
  }
  std::printf("\n");
}

int RunPlay(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return Fail(2, absl::StrCat("unexpected argument '", args[1], "'"));
  }
  absl::StatusOr<const Game*> game_or = FindGame(FLAGS_game);
  if (!game_or.ok()) return Fail(2, game_or.status().message());
  const Game& game = **game_or;
  absl::StatusOr<std::unique_ptr<State>> start =
      game.NewStateFromMoves(FLAGS_start);
  if (!start.ok()) {
    return Fail(2, absl::StrCat("--start: ", start.status().message()));
  }
  std::vector<std::string> specs = absl::StrSplit(
      FLAGS_players.empty() ? std::string("human,mcts") : FLAGS_players, ',');
  if (specs.size() != 2) {
    return Fail(2, absl::StrCat("--players needs two players, FIRST,SECOND "
                                "(got \"",
                                FLAGS_players, "\")"));
  }
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) return Fail(2, params.status().message());
  // Play at full strength: no noise, always the most visited move.
  params->root_noise = false;
  params->temperature_moves = 0;

  const bool interactive = isatty(STDIN_FILENO);
  selfplay::PlayerOptions options;
  options.search = *params;
  absl::StatusOr<nn::InferenceServerOptions> inference =
      InferenceServerOptionsFromFlags(params->num_threads);
  if (!inference.ok()) return Fail(2, inference.status().message());
  options.inference = *inference;
  options.rollouts = FLAGS_rollouts;
  options.input = &std::cin;
  options.messages = interactive ? &std::cout : &std::cerr;
  options.prompts = interactive ? &std::cout : nullptr;

  std::unique_ptr<selfplay::Player> players[2];
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<selfplay::Player>> player =
        selfplay::ParsePlayerSpec(game, specs[i], options);
    if (!player.ok()) return Fail(2, player.status().message());
    players[i] = *std::move(player);
  }
  auto player_of = [&](const State& s) -> selfplay::Player& {
    return *players[PlayerIndex(s.ToMove())];
  };
  auto reset_all = [&](int generation) {
    for (int i = 0; i < 2; ++i) {
      players[i]->Reset(MixBits(FLAGS_seed + 2 * generation + i));
    }
  };

  std::printf("%s: first %s, second %s\n", game.Name().c_str(),
              specs[0].c_str(), specs[1].c_str());
  if (interactive && (players[0]->IsHuman() || players[1]->IsHuman())) {
    std::printf("Type moves in the game's notation; help, undo, quit.\n");
  }
  std::vector<Action> moves;  // played after --start
  std::unique_ptr<State> state = (*start)->Clone();
  int generation = 0;
  reset_all(generation);
  std::printf("\n%s", state->ToString().c_str());
  std::fflush(stdout);
  while (!state->IsTerminal()) {
    selfplay::Player& mover = player_of(*state);
    const az::Player side = state->ToMove();
    Action action = kNoAction;
    if (mover.IsHuman()) {
      auto& human = static_cast<selfplay::HumanPlayer&>(mover);
      selfplay::HumanPlayer::Command command = human.ReadCommand(*state);
      if (command.kind == selfplay::HumanPlayer::Command::Kind::kQuit) {
        std::fflush(stdout);
        std::fprintf(stderr, "az play: quit after %zu move%s; no result\n",
                     moves.size(), moves.size() == 1 ? "" : "s");
        return 0;
      }
      if (command.kind == selfplay::HumanPlayer::Command::Kind::kUndo) {
        if (moves.empty()) {
          std::fflush(stdout);
          *options.messages << "nothing to undo" << std::endl;
          continue;
        }
        // Take back moves until a person is to move again (their last move
        // and the engine's reply to it).
        std::unique_ptr<State> back;
        do {
          moves.pop_back();
          back = (*start)->Clone();
          for (Action a : moves) back->Apply(a);
        } while (!moves.empty() && !player_of(*back).IsHuman());
        state = std::move(back);
        reset_all(++generation);
        std::printf("\nundo: back to move %d\n%s", state->MoveNumber() + 1,
                    state->ToString().c_str());
        std::fflush(stdout);
        continue;
      }
      action = command.action;
      std::printf("\n%s (human) plays %s\n", SideName(side),
                  game.ActionToString(action).c_str());
    } else {
      selfplay::MoveInfo info;
      absl::StatusOr<Action> chosen = mover.ChooseMove(*state, &info);
      if (!chosen.ok()) {
        return Fail(
            1, absl::StrCat(mover.Name(), ": ", chosen.status().message()));
      }
      action = *chosen;
      std::printf("\n%s (%s) plays %s\n", SideName(side), mover.Name().c_str(),
                  game.ActionToString(action).c_str());
      if (FLAGS_analysis) PrintAnalysis(game, mover, info);
    }
    state->Apply(action);
    moves.push_back(action);
    players[0]->Observe(action);
    players[1]->Observe(action);
    std::printf("%s", state->ToString().c_str());
    std::fflush(stdout);
  }
  const GameOutcome outcome = state->Outcome();
  std::string winner;
  if (outcome == GameOutcome::kFirstPlayerWins) {
    winner = absl::StrCat(" (", specs[0], ")");
  } else if (outcome == GameOutcome::kSecondPlayerWins) {
    winner = absl::StrCat(" (", specs[1], ")");
  }
  std::printf("\nresult: %s%s after %d plies; moves: %s\n",
              OutcomeName(outcome).c_str(), winner.c_str(), state->MoveNumber(),
              game.FormatMoves([&] {
                    std::vector<Action> all = *game.ParseMoves(FLAGS_start);
                    all.insert(all.end(), moves.begin(), moves.end());
                    return all;
                  }())
                  .c_str());
  return 0;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    play, "play", "play a game in the terminal against an engine or network",
    "az play --game=G --players=FIRST,SECOND [--start=MOVES] [--analysis] "
    "(players: human, random, mcts[:OPTS], solver, net:PATH[:OPTS], "
    "run:DIR[:OPTS], OPTS among sims=N, c_init=X, fpu=X, raw; quit or end "
    "of input stops with exit code 0)",
    az::RunPlay, "players", "search", "network");
