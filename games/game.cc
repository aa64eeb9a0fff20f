#include "games/game.h"

#include "absl/strings/str_cat.h"
#include "games/solver.h"

namespace az {
namespace {

bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r';
}

// Printable form of user text in an error message.
std::string Quoted(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    }
  }
  return out + "\"";
}

}  // namespace

const std::vector<RewardSpecInfo>& Game::RewardSpecs() const {
  static const std::vector<RewardSpecInfo>* rules_only =
      new std::vector<RewardSpecInfo>{RulesSpecInfo()};
  return *rules_only;
}

const RewardSpecInfo& Game::RewardSpec() const { return RewardSpecs()[0]; }

std::unique_ptr<ExactSolver> Game::NewExactSolver() const { return nullptr; }

absl::StatusOr<std::vector<Action>> Game::ParseMoves(
    absl::string_view moves) const {
  std::vector<Action> actions;
  std::unique_ptr<State> state = NewInitialState();
  size_t pos = 0;
  while (pos < moves.size()) {
    if (IsSeparator(moves[pos])) {
      ++pos;
      continue;
    }
    absl::string_view rest = moves.substr(pos);
    size_t length = MoveTokenLength(rest);
    if (length == 0) length = 1;
    if (length > rest.size()) length = rest.size();
    absl::string_view token = rest.substr(0, length);
    auto where = [&] {
      return absl::StrCat(Name(), ": move ", actions.size() + 1, " ",
                          Quoted(token), " at character ", pos + 1, ": ");
    };
    absl::StatusOr<Action> action = ParseAction(token);
    if (!action.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), action.status().message()));
    }
    absl::Status legal = state->CheckLegal(*action);
    if (!legal.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where(), legal.message()));
    }
    state->Apply(*action);
    actions.push_back(*action);
    pos += length;
  }
  return actions;
}

absl::StatusOr<std::unique_ptr<State>> Game::NewStateFromMoves(
    absl::string_view moves) const {
  absl::StatusOr<std::vector<Action>> actions = ParseMoves(moves);
  if (!actions.ok()) return actions.status();
  std::unique_ptr<State> state = NewInitialState();
  for (Action a : *actions) state->Apply(a);
  return state;
}

std::string Game::FormatMoves(const std::vector<Action>& actions) const {
  std::string out;
  for (Action a : actions) out += ActionToString(a);
  return out;
}

std::vector<Action> State::LegalActions() const {
  std::vector<Action> actions(game().NumActions());
  actions.resize(FillLegalActions(actions.data()));
  return actions;
}

absl::Status State::CheckLegal(Action action) const {
  if (IsTerminal()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the game is already over (", OutcomeName(Outcome()),
                     ")"));
  }
  if (action < 0 || action >= game().NumActions() || !IsLegal(action)) {
    std::string reason = IllegalMoveReason(action);
    return absl::InvalidArgumentError(absl::StrCat(
        game().ActionToString(action), " is not a legal move in this position",
        reason.empty() ? "" : " (", reason, reason.empty() ? "" : ")"));
  }
  return absl::OkStatus();
}

}  // namespace az
