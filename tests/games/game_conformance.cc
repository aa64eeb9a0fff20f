#include "tests/games/game_conformance.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::testing {
namespace {

std::vector<float> Observe(const State& s) {
  std::vector<float> obs(s.game().GetObservationShape().size(), -123.0f);
  s.EncodeObservation(obs.data());
  return obs;
}

// Checks the reward spec's payoff and the intended verdict of `s`, whose
// real rules (the same moves played by the rules) say `rules_verdict`.
void CheckRewardAndVerdict(const State& s,
                           const IntendedVerdict& rules_verdict) {
  const Game& game = s.game();
  const RewardSpecInfo& spec = game.RewardSpec();
  EXPECT_EQ(s.Verdict(), rules_verdict)
      << VerdictName(s.Verdict()) << " vs " << VerdictName(rules_verdict);
  if (game.PlaysByRules()) {
    // Played by the rules, the verdict is the outcome at the end.
    const IntendedVerdict expected =
        s.IsTerminal() ? IntendedVerdict{s.Outcome(), s.MoveNumber()}
                       : IntendedVerdict{};
    EXPECT_EQ(s.Verdict(), expected);
  }
  // No spec here ends a game that the rules let go on.
  if (s.IsTerminal()) {
    EXPECT_TRUE(s.Verdict().decided());
  }
  if (!s.IsTerminal()) return;
  // Terminal rewards are zero-sum, in range, and consistent with the
  // outcome; a ternary spec pays only +1, 0, -1; the rules pay the rules.
  TerminalReward first = s.Reward(Player::kFirst);
  TerminalReward second = s.Reward(Player::kSecond);
  EXPECT_EQ(first.value(), -second.value());
  EXPECT_EQ(first, second.ForOpponent());
  EXPECT_GE(first.value(), -1.0f);
  EXPECT_LE(first.value(), 1.0f);
  if (spec.ternary) {
    EXPECT_TRUE(first.is_ternary()) << first.ToString();
  }
  if (game.PlaysByRules()) {
    EXPECT_EQ(first, RewardFor(s.Outcome(), Player::kFirst));
  }
  EXPECT_EQ(first.is_win(), s.Outcome() == GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(first.is_loss(), s.Outcome() == GameOutcome::kSecondPlayerWins);
  EXPECT_EQ(first.is_draw(), s.Outcome() == GameOutcome::kDraw);
}

// Checks one non-final or final position; returns false at the first failure.
bool CheckState(const State& s, const std::vector<Action>& history,
                const IntendedVerdict& rules_verdict,
                absl::flat_hash_map<uint64_t, std::string>* seen) {
  const Game& game = s.game();
  const int n = game.NumActions();
  std::string where = "after moves \"" + game.FormatMoves(history) + "\"";
  SCOPED_TRACE(where);

  // Legal actions: sorted, unique, in range, and agreeing with IsLegal.
  std::vector<Action> legal = s.LegalActions();
  EXPECT_TRUE(std::is_sorted(legal.begin(), legal.end()));
  EXPECT_EQ(std::adjacent_find(legal.begin(), legal.end()), legal.end());
  std::vector<bool> is_legal(n, false);
  for (Action a : legal) {
    if (a < 0 || a >= n) {
      ADD_FAILURE() << "action " << a << " out of range";
      return false;
    }
    is_legal[a] = true;
  }
  for (Action a = 0; a < n; ++a) {
    if (s.IsLegal(a) != is_legal[a]) {
      ADD_FAILURE() << "IsLegal(" << a << ") disagrees with LegalActions()";
      return false;
    }
  }
  EXPECT_FALSE(s.IsLegal(-1));
  EXPECT_FALSE(s.IsLegal(n));
  EXPECT_EQ(s.IsTerminal(), legal.empty());
  EXPECT_EQ(s.IsTerminal(), s.Outcome() != GameOutcome::kOngoing);
  EXPECT_EQ(s.MoveNumber(), static_cast<int>(history.size()));
  EXPECT_LE(s.MoveNumber(), game.MaxGameLength());

  CheckRewardAndVerdict(s, rules_verdict);

  // Notation round trips: every legal action, and the whole game so far.
  for (Action a : legal) {
    absl::StatusOr<Action> parsed = game.ParseAction(game.ActionToString(a));
    if (!parsed.ok() || *parsed != a) {
      ADD_FAILURE() << "action " << a << " does not round-trip through \""
                    << game.ActionToString(a) << "\"";
      return false;
    }
  }
  absl::StatusOr<std::unique_ptr<State>> replayed =
      game.NewStateFromMoves(game.FormatMoves(history));
  if (!replayed.ok()) {
    ADD_FAILURE() << "replaying the game failed: " << replayed.status();
    return false;
  }
  EXPECT_EQ((*replayed)->Hash(), s.Hash());
  EXPECT_EQ((*replayed)->ToString(), s.ToString());
  EXPECT_EQ((*replayed)->Verdict(), s.Verdict());

  // Copies are equal; equal hashes mean equal positions (no collisions seen).
  std::unique_ptr<State> clone = s.Clone();
  EXPECT_EQ(clone->Hash(), s.Hash());
  EXPECT_EQ(clone->Verdict(), s.Verdict());
  std::unique_ptr<State> copy = game.NewInitialState();
  copy->CopyFrom(s);
  EXPECT_EQ(copy->Hash(), s.Hash());
  EXPECT_EQ(copy->LegalActions(), legal);
  EXPECT_EQ(copy->Verdict(), s.Verdict());
  EXPECT_EQ(&copy->game(), &game);
  // The observation plus the side to move identifies a position.
  std::vector<float> key_obs = Observe(s);
  std::string key(reinterpret_cast<const char*>(key_obs.data()),
                  key_obs.size() * sizeof(float));
  key.push_back(static_cast<char>(s.ToMove()));
  auto [it, inserted] = seen->emplace(s.Hash(), key);
  if (!inserted && it->second != key) {
    ADD_FAILURE() << "hash collision: two different positions share a hash";
    return false;
  }

  // Observation: the declared size, finite values, fully written.
  std::vector<float> obs = Observe(s);
  for (float v : obs) {
    if (!std::isfinite(v) || v == -123.0f) {
      ADD_FAILURE() << "observation has an unwritten or non-finite value";
      return false;
    }
  }

  // Symmetries: the transformed position's observation is the permuted
  // observation, legal moves map to legal moves, the outcome is kept, and
  // playing a mapped move commutes with the symmetry.
  const std::vector<Symmetry>& syms = game.Symmetries();
  if (syms.empty()) {
    ADD_FAILURE() << "a game has at least the identity symmetry";
    return false;
  }
  for (size_t k = 0; k < syms.size(); ++k) {
    const Symmetry& sym = syms[k];
    SCOPED_TRACE("symmetry " + sym.name);
    if (sym.observation_source.size() != obs.size() ||
        static_cast<int>(sym.action_map.size()) != n) {
      ADD_FAILURE() << "symmetry tables have the wrong size";
      return false;
    }
    if (history.empty()) {
      // Both tables must be permutations (each index exactly once).
      std::vector<int> obs_sorted = sym.observation_source;
      std::sort(obs_sorted.begin(), obs_sorted.end());
      std::vector<Action> act_sorted = sym.action_map;
      std::sort(act_sorted.begin(), act_sorted.end());
      for (size_t i = 0; i < obs_sorted.size(); ++i) {
        EXPECT_EQ(obs_sorted[i], static_cast<int>(i)) << "observation table";
      }
      for (int i = 0; i < n; ++i) {
        EXPECT_EQ(act_sorted[i], i) << "action table";
      }
    }
    std::unique_ptr<State> t = s.Transformed(static_cast<int>(k));
    std::vector<float> tobs = Observe(*t);
    for (size_t i = 0; i < obs.size(); ++i) {
      if (tobs[i] != obs[sym.observation_source[i]]) {
        ADD_FAILURE() << "observation of the transformed state differs at "
                      << i;
        return false;
      }
    }
    std::vector<Action> mapped;
    for (Action a : legal) mapped.push_back(sym.action_map[a]);
    std::sort(mapped.begin(), mapped.end());
    EXPECT_EQ(t->LegalActions(), mapped);
    EXPECT_EQ(t->Outcome(), s.Outcome());
    EXPECT_EQ(t->Verdict(), s.Verdict());
    EXPECT_EQ(t->ToMove(), s.ToMove());
    EXPECT_EQ(t->MoveNumber(), s.MoveNumber());
    if (k == 0) {
      EXPECT_EQ(t->Hash(), s.Hash());
    }
    if (!legal.empty()) {
      Action a = legal[(history.size() * 7 + k) % legal.size()];
      std::unique_ptr<State> s2 = s.Clone();
      s2->Apply(a);
      t->Apply(sym.action_map[a]);
      EXPECT_EQ(s2->Transformed(static_cast<int>(k))->Hash(), t->Hash());
    }
  }
  return !::testing::Test::HasFailure();
}

}  // namespace

void CheckRandomGames(const Game& game, int num_games, uint64_t seed) {
  SCOPED_TRACE("reward spec " + game.RewardSpec().name);
  // The same moves played by the real rules, until they end the game, give
  // the verdict the spec's game must report.
  absl::StatusOr<const Game*> rules = FindGame(game.Name());
  ASSERT_TRUE(rules.ok()) << rules.status();
  std::mt19937_64 rng(seed);
  absl::flat_hash_map<uint64_t, std::string> seen;
  int finished = 0;
  for (int g = 0; g < num_games; ++g) {
    std::unique_ptr<State> s = game.NewInitialState();
    std::unique_ptr<State> by_rules = (*rules)->NewInitialState();
    IntendedVerdict verdict;
    std::vector<Action> history;
    bool ok = CheckState(*s, history, verdict, &seen);
    while (ok && !s->IsTerminal()) {
      if (static_cast<int>(history.size()) > game.MaxGameLength()) {
        ADD_FAILURE() << "game longer than MaxGameLength()";
        return;
      }
      std::vector<Action> legal = s->LegalActions();
      Action a = legal[rng() % legal.size()];
      s->Apply(a);
      history.push_back(a);
      if (!verdict.decided()) {
        by_rules->Apply(a);
        if (by_rules->IsTerminal()) {
          verdict = {by_rules->Outcome(), by_rules->MoveNumber()};
        }
      }
      ok = CheckState(*s, history, verdict, &seen);
    }
    if (!ok) return;
    ++finished;
  }
  EXPECT_EQ(finished, num_games);
}

void CheckRandomGamesEverySpec(const std::string& name, int num_games,
                               uint64_t seed, int num_proxy_games) {
  absl::StatusOr<const Game*> rules = FindGame(name);
  ASSERT_TRUE(rules.ok()) << rules.status();
  for (const std::string& spec : RewardSpecNames(**rules)) {
    absl::StatusOr<const Game*> game = FindGameWithReward(name, spec);
    ASSERT_TRUE(game.ok()) << game.status();
    EXPECT_EQ((*game)->RewardSpec().name, spec);
    const bool rules_spec = spec == kRulesSpec;
    CheckRandomGames(**game,
                     rules_spec || num_proxy_games < 0 ? num_games
                                                       : num_proxy_games,
                     seed);
  }
}

}  // namespace az::testing
