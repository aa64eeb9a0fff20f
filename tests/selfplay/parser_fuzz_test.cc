// Feeds random and mutated text to the notation parsers of every registered
// game: they must never crash, must reject bad input with an InvalidArgument
// that says where the problem is, and must accept only what replays and
// round-trips through FormatMoves. The player spec parser (selfplay/player.h)
// gets the same treatment: any spec is either refused with one clear line
// naming it, or makes a player that can search.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/search.h"
#include "games/game.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/player.h"

namespace az {
namespace {

constexpr int kStringsPerKind = 5000;

bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r';
}

// Text that can be shown in one line of a terminal.
bool IsPrintable(absl::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// The number written after `label` in `message`, or -1.
int64_t NumberAfter(absl::string_view message, absl::string_view label) {
  size_t at = message.find(label);
  if (at == absl::string_view::npos) return -1;
  size_t begin = at + label.size(), end = begin;
  while (end < message.size() && message[end] >= '0' && message[end] <= '9') {
    ++end;
  }
  int64_t n;
  if (!absl::SimpleAtoi(message.substr(begin, end - begin), &n)) return -1;
  return n;
}

// For display in failure messages.
std::string Escaped(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (IsPrintable(absl::string_view(&c, 1))) {
      out += c;
    } else {
      absl::StrAppend(
          &out, "\\x",
          absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    }
  }
  return out;
}

// Every check on one input; returns whether the text was a valid game.
bool CheckText(const Game& game, absl::string_view text) {
  SCOPED_TRACE(absl::StrCat(game.Name(), " input \"", Escaped(text), "\""));

  // A single action, read without a position.
  absl::StatusOr<Action> action = game.ParseAction(text);
  if (action.ok()) {
    EXPECT_GE(*action, 0);
    EXPECT_LT(*action, game.NumActions());
    absl::StatusOr<Action> again =
        game.ParseAction(game.ActionToString(*action));
    EXPECT_TRUE(again.ok() && *again == *action);
  } else {
    EXPECT_EQ(action.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(action.status().message().empty());
  }
  if (!text.empty() && !IsSeparator(text[0])) {
    game.MoveTokenLength(text);  // only must not crash on any text
  }

  // A whole sequence: ParseMoves and NewStateFromMoves agree.
  absl::StatusOr<std::vector<Action>> actions = game.ParseMoves(text);
  absl::StatusOr<std::unique_ptr<State>> state = game.NewStateFromMoves(text);
  EXPECT_EQ(actions.ok(), state.ok());
  if (!actions.ok()) {
    const absl::Status& error = actions.status();
    EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument) << error;
    absl::string_view message = error.message();
    EXPECT_FALSE(message.empty());
    EXPECT_TRUE(IsPrintable(message)) << Escaped(message);
    const int64_t move = NumberAfter(message, "move ");
    const int64_t character = NumberAfter(message, "character ");
    EXPECT_GE(move, 1) << message;
    EXPECT_LE(move, static_cast<int64_t>(text.size())) << message;
    // The character points at the start of the offending token.
    EXPECT_GE(character, 1) << message;
    EXPECT_LE(character, static_cast<int64_t>(text.size())) << message;
    if (character >= 1 && character <= static_cast<int64_t>(text.size())) {
      EXPECT_FALSE(IsSeparator(text[character - 1])) << message;
    }
    if (!state.ok()) {
      EXPECT_EQ(state.status(), error);
    }
    return false;
  }
  if (!state.ok()) return false;  // already reported above

  // What was accepted replays, and its written form reads back the same.
  EXPECT_EQ((*state)->MoveNumber(), static_cast<int>(actions->size()));
  const std::string formatted = game.FormatMoves(*actions);
  absl::StatusOr<std::vector<Action>> reparsed = game.ParseMoves(formatted);
  EXPECT_TRUE(reparsed.ok()) << formatted << ": " << reparsed.status();
  if (reparsed.ok()) {
    EXPECT_EQ(*reparsed, *actions) << formatted;
  }
  absl::StatusOr<std::unique_ptr<State>> replayed =
      game.NewStateFromMoves(formatted);
  EXPECT_TRUE(replayed.ok()) << formatted << ": " << replayed.status();
  if (replayed.ok()) {
    EXPECT_EQ((*replayed)->Hash(), (*state)->Hash());
  }
  return true;
}

// The characters a game's notation uses, with separators: random strings
// over them are often valid, unlike random bytes.
std::string NotationAlphabet(const Game& game) {
  std::string alphabet = " ,";
  for (Action a = 0; a < game.NumActions(); ++a) {
    for (char c : game.ActionToString(a)) {
      if (alphabet.find(c) == std::string::npos) alphabet += c;
    }
  }
  return alphabet;
}

// A random game (possibly unfinished) and its written form.
std::vector<Action> RandomGame(const Game& game, std::mt19937_64& rng) {
  std::unique_ptr<State> s = game.NewInitialState();
  std::vector<Action> actions;
  const int stop = rng() % (game.MaxGameLength() + 2);
  while (!s->IsTerminal() && static_cast<int>(actions.size()) < stop) {
    std::vector<Action> legal = s->LegalActions();
    Action a = legal[rng() % legal.size()];
    s->Apply(a);
    actions.push_back(a);
  }
  return actions;
}

// The actions written with a random separator style.
std::string WriteMoves(const Game& game, const std::vector<Action>& actions,
                       std::mt19937_64& rng) {
  switch (rng() % 3) {
    case 0:
      return game.FormatMoves(actions);
    case 1: {
      std::string out;
      for (Action a : actions)
        absl::StrAppend(&out, game.ActionToString(a), " ");
      return out;
    }
    default: {
      std::string out;
      for (Action a : actions) {
        absl::StrAppend(&out, out.empty() ? "" : ", ", game.ActionToString(a));
      }
      return out;
    }
  }
}

std::string RandomBytes(std::mt19937_64& rng) {
  std::string s(rng() % 24, '\0');
  for (char& c : s) c = static_cast<char>(rng() % 256);  // NUL and high bytes
  return s;
}

std::string RandomFrom(absl::string_view alphabet, size_t max_length,
                       std::mt19937_64& rng) {
  std::string s(rng() % (max_length + 1), ' ');
  for (char& c : s) c = alphabet[rng() % alphabet.size()];
  return s;
}

// A valid sequence damaged in one of several ways.
std::string Mutated(const Game& game, std::mt19937_64& rng) {
  std::vector<Action> actions = RandomGame(game, rng);
  switch (rng() % 6) {
    case 0: {  // swap two moves
      if (actions.size() >= 2) {
        size_t i = rng() % actions.size(), j = rng() % actions.size();
        std::swap(actions[i], actions[j]);
      }
      return WriteMoves(game, actions, rng);
    }
    case 1: {  // repeat a move
      if (!actions.empty()) {
        size_t i = rng() % actions.size();
        actions.insert(actions.begin() + i, actions[i]);
      }
      return WriteMoves(game, actions, rng);
    }
    case 2: {  // a move past the end, or any action appended
      actions.push_back(rng() % game.NumActions());
      return WriteMoves(game, actions, rng);
    }
    default:
      break;
  }
  std::string text = WriteMoves(game, actions, rng);
  const size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
  switch (rng() % 4) {
    case 0:  // truncated
      return text.substr(0, at);
    case 1:  // a byte inserted
      return text.insert(at, 1, static_cast<char>(rng() % 256));
    case 2:  // a byte deleted
      if (at < text.size()) text.erase(at, 1);
      return text;
    default:  // a byte replaced by a printable one
      if (at < text.size()) text[at] = static_cast<char>(0x20 + rng() % 95);
      return text;
  }
}

class ParserFuzzTest : public ::testing::TestWithParam<std::string> {
 protected:
  const Game& game() const { return **FindGame(GetParam()); }
};

TEST_P(ParserFuzzTest, EveryActionRoundTrips) {
  for (Action a = 0; a < game().NumActions(); ++a) {
    const std::string text = game().ActionToString(a);
    absl::StatusOr<Action> parsed = game().ParseAction(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, a) << text;
    EXPECT_EQ(game().MoveTokenLength(text), text.size()) << text;
  }
}

TEST_P(ParserFuzzTest, RandomBytes) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < kStringsPerKind; ++i) CheckText(game(), RandomBytes(rng));
  // Bytes that often end strings early or confuse signed char handling.
  for (absl::string_view text :
       {absl::string_view("\0", 1), absl::string_view("a\0b", 3),
        absl::string_view("\xff\xfe"), absl::string_view("\x80"),
        absl::string_view("")}) {
    CheckText(game(), text);
  }
}

TEST_P(ParserFuzzTest, RandomPrintableText) {
  std::mt19937_64 rng(2);
  std::string printable;
  for (char c = 0x20; c < 0x7f; ++c) printable += c;
  for (int i = 0; i < kStringsPerKind; ++i) {
    CheckText(game(), RandomFrom(printable, 30, rng));
  }
}

TEST_P(ParserFuzzTest, RandomTextInTheGamesAlphabet) {
  std::mt19937_64 rng(3);
  const std::string alphabet = NotationAlphabet(game());
  int valid = 0;
  for (int i = 0; i < kStringsPerKind; ++i) {
    valid += CheckText(game(), RandomFrom(alphabet, 12, rng));
  }
  EXPECT_GT(valid, 0) << "the sample never reached the accepting paths";
}

TEST_P(ParserFuzzTest, MutatedGames) {
  std::mt19937_64 rng(4);
  int valid = 0;
  for (int i = 0; i < kStringsPerKind; ++i) {
    valid += CheckText(game(), Mutated(game(), rng));
  }
  for (int i = 0; i < 100; ++i) {
    const std::vector<Action> actions = RandomGame(game(), rng);
    EXPECT_TRUE(CheckText(game(), WriteMoves(game(), actions, rng)));
  }
  EXPECT_GT(valid, 0);
  EXPECT_LT(valid, kStringsPerKind);
}

INSTANTIATE_TEST_SUITE_P(AllGames, ParserFuzzTest,
                         ::testing::ValuesIn(GameNames()),
                         [](const auto& info) { return info.param; });

TEST(GameRegistryTest, KnownNamesAreFound) {
  ASSERT_FALSE(GameNames().empty());
  for (const std::string& name : GameNames()) {
    absl::StatusOr<const Game*> game = FindGame(name);
    ASSERT_TRUE(game.ok()) << name << ": " << game.status();
    EXPECT_EQ((*game)->Name(), name);
  }
}

TEST(GameRegistryTest, UnknownNamesListTheKnownGames) {
  std::mt19937_64 rng(5);
  std::vector<std::string> names = {"", "chess", "Othello", "tictactoe ",
                                    std::string("tictactoe\0", 10)};
  for (int i = 0; i < 200; ++i) names.push_back(RandomBytes(rng));
  for (const std::string& name : names) {
    absl::StatusOr<const Game*> game = FindGame(name);
    ASSERT_FALSE(game.ok()) << Escaped(name);
    EXPECT_EQ(game.status().code(), absl::StatusCode::kNotFound);
    absl::string_view message = game.status().message();
    EXPECT_TRUE(IsPrintable(message)) << Escaped(message);
    for (const std::string& known : GameNames()) {
      EXPECT_TRUE(absl::StrContains(message, known)) << message;
    }
  }
}

// --- Player specs --------------------------------------------------------

// Numbers that overflow a float, underflow it to 0 or a denormal, are not
// numbers at all, or are only just in range.
const char* const kExtremeNumbers[] = {"1e39",
                                       "-1e39",
                                       "1e-50",
                                       "-1e-50",
                                       "3.4e38",
                                       "3.5e38",
                                       "1e308",
                                       "1e309",
                                       "1e-38",
                                       "1e-45",
                                       "4.9e-324",
                                       "0",
                                       "-0",
                                       "0.0",
                                       "inf",
                                       "-inf",
                                       "nan",
                                       "0x1p128",
                                       "1e6",
                                       "1",
                                       "0.5",
                                       "2147483647",
                                       "2147483648",
                                       "-2147483649",
                                       "99999999999999999999",
                                       "",
                                       "1e",
                                       "+",
                                       " 1",
                                       "1 ",
                                       "1.5",
                                       "-1"};

// One spec through PlayerFactory::Create. A refusal is InvalidArgument (or
// NotFound for the missing checkpoint), one printable line naming the spec;
// an acceptance gives settings the search takes, so that making a player
// cannot fail (it CHECKs that).
void CheckPlayerSpec(const Game& game, const std::string& spec,
                     absl::string_view field) {
  SCOPED_TRACE(absl::StrCat("player spec \"", Escaped(spec), "\""));
  selfplay::PlayerOptions options;
  options.search = engine::DefaultSearchParams(game);
  options.search.num_simulations = 8;
  absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> factory =
      selfplay::PlayerFactory::Create(game, spec, options);
  if (!factory.ok()) {
    const absl::Status& error = factory.status();
    EXPECT_TRUE(error.code() == absl::StatusCode::kInvalidArgument ||
                error.code() == absl::StatusCode::kNotFound)
        << error;
    absl::string_view message = error.message();
    EXPECT_TRUE(IsPrintable(message)) << Escaped(message);
    EXPECT_TRUE(absl::StrContains(message, spec)) << message;
    if (error.code() == absl::StatusCode::kInvalidArgument && !field.empty()) {
      EXPECT_TRUE(absl::StrContains(message, field)) << message;
    }
    return;
  }
  engine::SearchParams params = (*factory)->search_params();
  if ((*factory)->simulations() == 0) return;  // the policy head alone
  params.num_simulations = (*factory)->simulations();
  absl::Status valid = params.Validate();
  ASSERT_TRUE(valid.ok()) << "accepted, but the search refuses it: " << valid;
  if (params.num_simulations > 1000) return;  // valid, but slow to play
  std::unique_ptr<selfplay::Player> player = (*factory)->NewPlayer();
  ASSERT_NE(player, nullptr);
  player->Reset(1);
  std::unique_ptr<State> state = game.NewInitialState();
  absl::StatusOr<Action> move = player->ChooseMove(*state, nullptr);
  ASSERT_TRUE(move.ok()) << move.status();
  EXPECT_TRUE(state->CheckLegal(*move).ok());
}

TEST(PlayerSpecFuzzTest, ExtremeNumbersInEveryOptionOfEverySearchingPlayer) {
  const Game& game = **FindGame("tictactoe");
  // The options are read before the checkpoint, so a missing one shows
  // whether the network players' options were checked.
  for (absl::string_view prefix :
       {"mcts:", "net:/missing.ckpt:", "run:/missing-run:"}) {
    for (absl::string_view key : {"sims", "c_init", "fpu"}) {
      for (const char* number : kExtremeNumbers) {
        CheckPlayerSpec(game, absl::StrCat(prefix, key, "=", number), key);
        // After another option, so that the last one is not the only one
        // checked.
        CheckPlayerSpec(game, absl::StrCat(prefix, "sims=4:", key, "=", number),
                        key);
      }
    }
  }
}

TEST(PlayerSpecFuzzTest, RandomSpecs) {
  const Game& game = **FindGame("tictactoe");
  std::mt19937_64 rng(6);
  const char* const kinds[] = {
      "mcts", "mcts:", "net:/missing.ckpt:", "random", "solver", "human", ""};
  const char* const keys[] = {"sims=", "c_init=", "fpu=", "raw", "x=", ""};
  for (int i = 0; i < 2000; ++i) {
    std::string spec = kinds[rng() % std::size(kinds)];
    const int options = rng() % 4;
    for (int k = 0; k < options; ++k) {
      absl::StrAppend(&spec, k == 0 && absl::EndsWith(spec, ":") ? "" : ":",
                      keys[rng() % std::size(keys)],
                      rng() % 2
                          ? kExtremeNumbers[rng() % std::size(kExtremeNumbers)]
                          : RandomFrom("0123456789.e-+x", 6, rng));
    }
    CheckPlayerSpec(game, spec, "");
  }
}

}  // namespace
}  // namespace az
