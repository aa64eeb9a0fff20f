#include "analysis/hunt.h"

#include <functional>
#include <memory>

#include "base/hash.h"
#include "base/status_macros.h"
#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::analysis {
namespace {

// A synthetic player: on the positions `planted` picks its value is
// confidently wrong (the exact reward negated; +0.95 on a draw); elsewhere
// it is the solver (exact value, priors on the optimal moves), or, with
// `exact_elsewhere` false, the value 0, which is never confident (so the
// solver is asked only about planted positions), and a uniform prior
// everywhere (so its games are random play, whatever is planted).
class PlantedEvaluator final : public engine::Evaluator {
 public:
  PlantedEvaluator(const Game& game,
                   std::function<bool(const State&)> planted,
                   bool exact_elsewhere)
      : game_(game),
        planted_(std::move(planted)),
        exact_elsewhere_(exact_elsewhere),
        solver_(*engine::SolverEvaluator::Create(game)) {}

  std::string Name() const override { return "planted"; }

  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<engine::LeafEvaluation> results) override {
    const int n = game_.NumActions();
    for (size_t i = 0; i < states.size(); ++i) {
      const bool planted = planted_(*states[i]);
      float* p = priors.data() + i * n;
      engine::LeafEvaluation& r = results[i];
      if (planted || exact_elsewhere_) {
        const State* one[] = {states[i]};
        RETURN_IF_ERROR(solver_->Evaluate(
            one, absl::MakeSpan(p, n), absl::MakeSpan(&r, 1)));
      }
      if (!exact_elsewhere_) {
        std::vector<Action> legal = states[i]->LegalActions();
        std::fill(p, p + n, 0.0f);
        for (Action a : legal) p[a] = 1.0f / legal.size();
        if (!planted) r.value = {0.0f, 1.0f, 0.0f};
      }
      if (!planted) continue;
      r.exact.reset();
      const float z = r.value.Scalar();
      r.value = z > 0   ? engine::ValueEstimate{0.0f, 0.0f, 1.0f}
                : z < 0 ? engine::ValueEstimate{1.0f, 0.0f, 0.0f}
                        : engine::ValueEstimate{0.95f, 0.05f, 0.0f};
    }
    return absl::OkStatus();
  }

 private:
  const Game& game_;
  std::function<bool(const State&)> planted_;
  bool exact_elsewhere_;
  std::unique_ptr<engine::SolverEvaluator> solver_;
};

// Tic-tac-toe positions where the side to move's opponent holds two
// opposite corners (cells 1 and 9) and the centre is empty.
bool CornersWithoutCentre(const State& state) {
  std::vector<float> obs(state.game().GetObservationShape().size());
  state.EncodeObservation(obs.data());
  const float* theirs = obs.data() + 9;
  const float* mine = obs.data();
  return theirs[0] > 0 && theirs[8] > 0 && theirs[4] == 0 && mine[4] == 0;
}

std::unique_ptr<State> Replay(const Game& game,
                              const std::vector<Action>& actions) {
  std::unique_ptr<State> s = game.NewInitialState();
  for (Action a : actions) s->Apply(a);
  return s;
}

TEST(HuntTest, WilsonIntervalMatchesHandComputedValues) {
  // 10 of 100: p = 0.1, z = 1.96, centre 0.11480, half-width 0.05957.
  const Interval i = WilsonInterval(10, 100, 0.95);
  EXPECT_NEAR(i.lo, 0.05523, 1e-4);
  EXPECT_NEAR(i.hi, 0.17437, 1e-4);
  // None of 50: the lower end is 0, the upper z^2 / (n + z^2).
  const Interval none = WilsonInterval(0, 50, 0.95);
  EXPECT_DOUBLE_EQ(none.lo, 0.0);
  EXPECT_NEAR(none.hi, 3.8415 / 53.8415, 1e-4);
  const Interval empty = WilsonInterval(0, 0, 0.95);
  EXPECT_EQ(empty.lo, 0.0);
  EXPECT_EQ(empty.hi, 1.0);
}

TEST(HuntTest, ConfidentlyWrongNeedsTheWrongSignOrACalledDraw) {
  HuntOptions options;
  options.confident = 0.9;
  options.draw_confident = 0.8;
  EXPECT_TRUE(IsConfidentlyWrong(-0.95, TerminalReward::Win(), options));
  EXPECT_FALSE(IsConfidentlyWrong(-0.85, TerminalReward::Win(), options));
  EXPECT_FALSE(IsConfidentlyWrong(0.95, TerminalReward::Win(), options));
  EXPECT_TRUE(IsConfidentlyWrong(0.95, TerminalReward::Loss(), options));
  EXPECT_TRUE(IsConfidentlyWrong(-0.85, TerminalReward::Draw(), options));
  EXPECT_FALSE(IsConfidentlyWrong(0.75, TerminalReward::Draw(), options));
}

TEST(HuntTest, FindsPlantedFailuresAndNoOthers) {
  const Game& game = **FindGame("tictactoe");
  PlantedEvaluator player(game, CornersWithoutCentre, true);
  HuntOptions options;
  options.labels = 300;
  options.beam = 16;
  options.seed = 7;
  absl::StatusOr<HuntResult> result = Hunt(game, &player, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const StrategyResult& hunter = result->hunter;
  EXPECT_LE(hunter.labels, 300);
  EXPECT_GE(hunter.labels, 250);  // the budget is spent, near enough
  // Within 300 labels the hunter proves at least 60 planted positions
  // wrong, and every one it reports is planted and really wrong.
  EXPECT_GE(hunter.confident_wrong, 60);
  for (const FoundPosition& f : hunter.found) {
    std::unique_ptr<State> s = Replay(game, f.actions);
    EXPECT_TRUE(CornersWithoutCentre(*s)) << game.FormatMoves(f.actions);
    EXPECT_TRUE(IsConfidentlyWrong(f.v, f.exact.reward, options));
    ASSERT_TRUE(f.hunter.has_value());
    EXPECT_GT(f.player_line_probability, 0.0);
    EXPECT_LE(f.player_line_probability, 1.0);
    EXPECT_EQ(f.ply, static_cast<int>(f.actions.size()));
  }
  // The baselines, on the same budget, find fewer.
  ASSERT_TRUE(result->random.has_value());
  ASSERT_TRUE(result->self.has_value());
  EXPECT_EQ(result->random->labels, 300);
  EXPECT_EQ(result->self->labels, 300);
  EXPECT_GT(hunter.per_1000, 2 * result->random->per_1000);
  EXPECT_GT(hunter.per_1000, 2 * result->self->per_1000);
  for (const FoundPosition& f : result->random->found) {
    EXPECT_TRUE(CornersWithoutCentre(*Replay(game, f.actions)));
    EXPECT_FALSE(f.hunter.has_value());
  }
}

TEST(HuntTest, AnExactPlayerIsNeverWrong) {
  const Game& game = **FindGame("tictactoe");
  PlantedEvaluator exact(game, [](const State&) { return false; }, true);
  HuntOptions options;
  options.labels = 100;
  absl::StatusOr<HuntResult> result = Hunt(game, &exact, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->hunter.confident_wrong, 0);
  EXPECT_EQ(result->random->confident_wrong, 0);
  EXPECT_EQ(result->self->confident_wrong, 0);
  EXPECT_EQ(result->random->per_1000_interval.lo, 0.0);
}

// A tenth of all Connect Four positions (by a hash of the position) is
// planted: random play and the player's own games meet them at that rate,
// so the baselines' yields are near 100 per 1000, inside their intervals.
TEST(HuntTest, BaselineYieldsMatchAKnownRate) {
  const Game& game = **FindGame("connect4");
  PlantedEvaluator player(
      game,
      [](const State& s) {
        return s.MoveNumber() >= 14 && base::MixBits(s.Hash()) % 10 == 0;
      },
      false);
  HuntOptions options;
  options.labels = 400;
  options.min_ply = 14;
  options.seed = 3;
  for (auto run : {&RunRandomBaseline, &RunSelfBaseline}) {
    absl::StatusOr<StrategyResult> r = run(game, &player, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->labels, 400);
    EXPECT_LE(r->per_1000_interval.lo, 100.0);
    EXPECT_GE(r->per_1000_interval.hi, 100.0);
    EXPECT_GT(r->per_1000, 60.0);
    EXPECT_LT(r->per_1000, 140.0);
    EXPECT_NEAR(r->per_1000, 1000.0 * r->confident_wrong / r->labels, 1e-9);
    // Every confident value here is a planted one, so all are wrong.
    EXPECT_EQ(r->confident_labelled, r->confident_wrong);
  }
}

TEST(HuntTest, AGameWithoutASolverIsRefused) {
  const Game& game = **FindGame("othello");
  engine::UniformEvaluator uniform(game);
  absl::StatusOr<HuntResult> result = Hunt(game, &uniform, HuntOptions());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace az::analysis
