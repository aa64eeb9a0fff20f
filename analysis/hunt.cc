#include "analysis/hunt.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "analysis/position_set.h"
#include "base/parallel.h"
#include "base/random.h"
#include "base/status_macros.h"

namespace az::analysis {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The player's judgement of one position: its value for the side to move
// and its policy over every action of the game.
struct Judgement {
  double v = 0.0;
  std::vector<float> policy;
};

// Evaluates `states` (none finished) with `player` in batches, on the
// options' threads; counts them in *evaluations.
absl::StatusOr<std::vector<Judgement>> Judge(
    const Game& game, engine::Evaluator* player,
    const std::vector<const State*>& states, const EvaluationOptions& options,
    int64_t* evaluations) {
  const int num_actions = game.NumActions();
  std::vector<Judgement> out(states.size());
  RETURN_IF_ERROR(base::ForChunks(
      states.size(), std::max(1, options.batch), std::max(1, options.threads),
      [&](size_t begin, size_t end, int) -> absl::Status {
        const size_t n = end - begin;
        std::vector<float> priors(n * num_actions);
        std::vector<engine::LeafEvaluation> results(n);
        RETURN_IF_ERROR(player->Evaluate(
            absl::MakeConstSpan(states.data() + begin, n),
            absl::MakeSpan(priors), absl::MakeSpan(results)));
        for (size_t i = 0; i < n; ++i) {
          out[begin + i].v = results[i].value.Scalar();
          out[begin + i].policy.assign(priors.begin() + i * num_actions,
                                       priors.begin() + (i + 1) * num_actions);
        }
        return absl::OkStatus();
      }));
  *evaluations += static_cast<int64_t>(states.size());
  return out;
}

// The player's move in `state` under its policy, and that move's
// probability under the policy (renormalized over the legal moves).
Action PlayerMove(const State& state, const std::vector<float>& policy,
                  PlayerMoves mode, base::Rng& rng, double* probability) {
  const std::vector<Action> legal = state.LegalActions();
  double total = 0.0;
  for (Action a : legal) total += std::max(0.0f, policy[a]);
  if (total <= 0.0) {  // a policy with no mass on legal moves: uniform
    *probability = 1.0 / legal.size();
    return legal[rng.Below(legal.size())];
  }
  Action chosen = legal[0];
  if (mode == PlayerMoves::kBest) {
    for (Action a : legal) {
      if (policy[a] > policy[chosen]) chosen = a;
    }
  } else {
    double x = rng.Uniform() * total;
    for (Action a : legal) {
      chosen = a;
      x -= std::max(0.0f, policy[a]);
      if (x < 0.0) break;
    }
  }
  *probability = std::max(0.0f, policy[chosen]) / total;
  return chosen;
}

// Exact labels from the game's solver, one solver per thread, charged per
// position labelled.
class ExactLabels {
 public:
  static absl::StatusOr<ExactLabels> Create(const Game& game, int threads) {
    ExactLabels labels;
    for (int t = 0; t < std::max(1, threads); ++t) {
      std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
      if (solver == nullptr) {
        return absl::FailedPreconditionError(absl::StrCat(
            game.Name(),
            " has no exact solver: its values cannot be proved wrong"));
      }
      labels.solvers_.push_back(std::move(solver));
    }
    return labels;
  }

  absl::StatusOr<std::vector<ExactValue>> Label(
      const std::vector<const State*>& states) {
    std::vector<ExactValue> out(states.size());
    RETURN_IF_ERROR(base::ForChunks(
        states.size(), 1, static_cast<int>(solvers_.size()),
        [&](size_t begin, size_t end, int t) -> absl::Status {
          for (size_t i = begin; i < end; ++i) {
            ASSIGN_OR_RETURN(out[i], solvers_[t]->Solve(*states[i]));
          }
          return absl::OkStatus();
        }));
    spent_ += static_cast<int64_t>(states.size());
    return out;
  }

  int64_t spent() const { return spent_; }

 private:
  ExactLabels() = default;
  std::vector<std::unique_ptr<ExactSolver>> solvers_;
  int64_t spent_ = 0;
};

// `actions` and then `next`.
std::vector<Action> Extended(const std::vector<Action>& actions, Action next) {
  std::vector<Action> out(actions);
  out.push_back(next);
  return out;
}

// The smallest magnitude at which a value can be confidently wrong.
double CandidateThreshold(const HuntOptions& options) {
  return std::min(options.confident, options.draw_confident);
}

// A labelled position, as a strategy reports it.
struct Labelled {
  std::vector<Action> actions;
  double v = 0.0;
  std::optional<Player> hunter;
  double player_line_probability = 1.0;
};

// Labels `positions` (states alongside) and adds them to `result`.
absl::StatusOr<std::vector<ExactValue>> LabelInto(
    ExactLabels& labels, const std::vector<const State*>& states,
    std::vector<Labelled> positions, const HuntOptions& options,
    StrategyResult* result) {
  ASSIGN_OR_RETURN(std::vector<ExactValue> exact, labels.Label(states));
  for (size_t i = 0; i < positions.size(); ++i) {
    Labelled& p = positions[i];
    if (std::abs(p.v) > CandidateThreshold(options)) {
      ++result->confident_labelled;
    }
    if (!IsConfidentlyWrong(p.v, exact[i].reward, options)) continue;
    FoundPosition found;
    found.ply = static_cast<int>(p.actions.size());
    found.actions = std::move(p.actions);
    found.v = p.v;
    found.exact = exact[i];
    found.hunter = p.hunter;
    found.player_line_probability = p.player_line_probability;
    result->found.push_back(std::move(found));
  }
  result->labels = labels.spent();
  return exact;
}

// Fills the yield of `result` from its counts.
void FinishYield(const HuntOptions& options, StrategyResult* result) {
  result->confident_wrong = static_cast<int64_t>(result->found.size());
  const Interval share = WilsonInterval(result->confident_wrong,
                                        result->labels, options.level);
  result->per_1000 = result->labels > 0 ? 1000.0 * result->confident_wrong /
                                              result->labels
                                        : 0.0;
  result->per_1000_interval = {1000.0 * share.lo, 1000.0 * share.hi};
}

}  // namespace

std::string HuntStrategyName(HuntStrategy strategy) {
  switch (strategy) {
    case HuntStrategy::kHunter:
      return "hunter";
    case HuntStrategy::kRandom:
      return "random";
    case HuntStrategy::kSelf:
      return "self";
  }
  return "?";
}

bool IsConfidentlyWrong(double v, TerminalReward reward,
                        const HuntOptions& options) {
  if (reward.is_draw()) return std::abs(v) > options.draw_confident;
  if (reward.is_win()) return v < -options.confident;
  return v > options.confident;
}

Interval WilsonInterval(int64_t successes, int64_t trials, double level) {
  if (trials <= 0) return {0.0, 1.0};
  // z with erf(z / sqrt 2) = level, by bisection.
  double lo = 0.0, hi = 10.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::erf(mid / std::sqrt(2.0)) < level ? lo : hi) = mid;
  }
  const double z = 0.5 * (lo + hi);
  const double n = static_cast<double>(trials);
  const double p = successes / n;
  const double denominator = 1.0 + z * z / n;
  const double centre = (p + z * z / (2.0 * n)) / denominator;
  const double half =
      z * std::sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

absl::StatusOr<StrategyResult> RunRandomBaseline(const Game& game,
                                                 engine::Evaluator* player,
                                                 const HuntOptions& options) {
  const auto start = Clock::now();
  StrategyResult result;
  result.strategy = HuntStrategy::kRandom;
  ASSIGN_OR_RETURN(ExactLabels labels,
                   ExactLabels::Create(game, options.evaluation.threads));
  GeneratorSpec spec;
  spec.kind = "random";
  spec.count = static_cast<int>(options.labels);
  spec.min_ply = std::min(options.min_ply, game.MaxGameLength() - 1);
  spec.max_ply = game.MaxGameLength() - 1;
  spec.seed = base::HashPair(options.seed, 0x72616e64);
  spec.text = absl::StrCat("random:", spec.count);
  ASSIGN_OR_RETURN(PositionSet set, GeneratePositionSet(game, spec));
  std::vector<std::unique_ptr<State>> owned;
  std::vector<const State*> states;
  for (const SetPosition& p : set.positions) {
    std::unique_ptr<State> s = game.NewInitialState();
    for (Action a : p.actions) s->Apply(a);
    states.push_back(s.get());
    owned.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(std::vector<Judgement> judged,
                   Judge(game, player, states, options.evaluation,
                         &result.evaluations));
  std::vector<Labelled> positions(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    positions[i].actions = std::vector<Action>(set.positions[i].actions);
    positions[i].v = judged[i].v;
    positions[i].player_line_probability = 0.0;  // the player made no move
  }
  RETURN_IF_ERROR(
      LabelInto(labels, states, std::move(positions), options, &result)
          .status());
  FinishYield(options, &result);
  result.seconds = SecondsSince(start);
  return result;
}

namespace {

// One game of the player against itself, played alongside others.
struct SelfGame {
  std::unique_ptr<State> state;
  std::vector<Action> actions;
  // Every position of the game so far, with its value and the probability
  // of the moves that led to it.
  std::vector<Labelled> positions;
  double probability = 1.0;
};

// Plays `count` games of the player against itself to the end, all
// positions kept.
absl::StatusOr<std::vector<SelfGame>> PlaySelfGames(
    const Game& game, engine::Evaluator* player, int count,
    const HuntOptions& options, base::Rng& rng, int64_t* evaluations) {
  std::vector<SelfGame> games(count);
  for (SelfGame& g : games) g.state = game.NewInitialState();
  while (true) {
    std::vector<SelfGame*> active;
    std::vector<const State*> states;
    for (SelfGame& g : games) {
      if (g.state->IsTerminal()) continue;
      active.push_back(&g);
      states.push_back(g.state.get());
    }
    if (active.empty()) return games;
    ASSIGN_OR_RETURN(std::vector<Judgement> judged,
                     Judge(game, player, states, options.evaluation,
                           evaluations));
    for (size_t i = 0; i < active.size(); ++i) {
      SelfGame& g = *active[i];
      g.positions.push_back({g.actions, judged[i].v, std::nullopt,
                             g.probability});
      double p = 1.0;
      const Action a = PlayerMove(*g.state, judged[i].policy,
                                  options.player_moves, rng, &p);
      g.probability *= p;
      g.state->Apply(a);
      g.actions.push_back(a);
    }
  }
}

}  // namespace

absl::StatusOr<StrategyResult> RunSelfBaseline(const Game& game,
                                               engine::Evaluator* player,
                                               const HuntOptions& options) {
  const auto start = Clock::now();
  StrategyResult result;
  result.strategy = HuntStrategy::kSelf;
  ASSIGN_OR_RETURN(ExactLabels labels,
                   ExactLabels::Create(game, options.evaluation.threads));
  base::Rng rng(base::HashPair(options.seed, 0x73656c66));
  int64_t games_without_position = 0;
  while (labels.spent() < options.labels) {
    const int count = static_cast<int>(
        std::min<int64_t>(256, options.labels - labels.spent()));
    ASSIGN_OR_RETURN(std::vector<SelfGame> games,
                     PlaySelfGames(game, player, count, options, rng,
                                   &result.evaluations));
    // One position a game, uniformly among those deep enough.
    std::vector<std::unique_ptr<State>> owned;
    std::vector<const State*> states;
    std::vector<Labelled> chosen;
    for (SelfGame& g : games) {
      std::vector<Labelled*> deep;
      for (Labelled& p : g.positions) {
        if (static_cast<int>(p.actions.size()) >= options.min_ply) {
          deep.push_back(&p);
        }
      }
      if (deep.empty()) {
        if (++games_without_position > 1000 + 10 * options.labels) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the player's games rarely last ", options.min_ply, " plies"));
        }
        continue;
      }
      Labelled& p = *deep[rng.Below(deep.size())];
      std::unique_ptr<State> s = game.NewInitialState();
      for (Action a : p.actions) s->Apply(a);
      states.push_back(s.get());
      owned.push_back(std::move(s));
      chosen.push_back(std::move(p));
    }
    RETURN_IF_ERROR(
        LabelInto(labels, states, std::move(chosen), options, &result)
            .status());
  }
  FinishYield(options, &result);
  result.seconds = SecondsSince(start);
  return result;
}

namespace {

// One line of the hunter's: a game in progress with the hunter to move.
struct Line {
  std::unique_ptr<State> state;
  std::vector<Action> actions;
  Player hunter = Player::kFirst;
  double probability = 1.0;  // of the player's moves so far
  double v = 0.0;            // the player's value of `state`
  // Evidence that the player misjudges this line: large where positions
  // of it were proved confidently wrong, fading over moves without such
  // proof.
  double heat = 0.0;
  int64_t root = 0;  // the number of the fresh line it grew from
};

// A position the hunter considers labelling: `state` after one of its
// moves (the player to move) or after the player's reply (the hunter to
// move).
struct Candidate {
  std::unique_ptr<State> state;
  std::vector<Action> actions;
  int line = 0;        // index of the line it grew from
  bool reply = false;  // after the player's reply
  int parent = -1;     // a reply: the index of the move it answers
  double v = 0.0;
  double parent_v = 0.0;  // the value of the position before the move
  double probability = 1.0;
  // How much the player's value moved against itself on the way here.
  double jump = 0.0;
  std::vector<float> policy;
};

// A confident position waiting for a label, most suspicious first.
struct Suspect {
  std::unique_ptr<State> state;
  std::vector<Action> actions;
  Player hunter = Player::kFirst;
  double probability = 1.0;
  double v = 0.0;
  double priority = 0.0;
  // How far v is from the player's one-move lookahead, and the move whose
  // value makes the lookahead (kNoAction: a move that ends the game).
  double residual = 0.0;
  Action blamed = kNoAction;
  double blamed_v = 0.0;
  // The player's policy here (for the probability of a blamed move).
  std::vector<float> policy;
};

bool LessSuspicious(const Suspect& a, const Suspect& b) {
  return a.priority < b.priority;
}

// Tunings of the hunter.
constexpr double kHeatOfWrong = 0.5;    // heat a proved error gives a line
constexpr double kHeatFade = 0.75;      // heat kept over one move pair
constexpr double kHeatFadeRight = 0.4;  // ... when a label found no error
constexpr int kLinesPerParent = 3;      // children a line may keep
constexpr double kTieBreak = 0.05;      // random share of a priority
// Suspects below this priority wait for better ones ...
constexpr double kSuspicion = 0.6;
// ... for at most this many rounds without a label.
constexpr int kPatience = 8;
constexpr size_t kMaxSuspects = 200000;  // the rest are forgotten

class Hunter {
 public:
  Hunter(const Game& game, engine::Evaluator* player,
         const HuntOptions& options, ExactLabels labels,
         StrategyResult* result)
      : game_(game),
        player_(player),
        options_(options),
        labels_(std::move(labels)),
        result_(result),
        rng_(base::HashPair(options.seed, 0x68756e74)) {}

  absl::Status Run();

 private:
  absl::Status Refill();
  void PlayOne(Line& line, const std::vector<float>& policy);
  absl::Status JudgeCandidates(std::vector<Candidate>& candidates);
  absl::StatusOr<std::vector<Candidate>> Expand();
  absl::Status AddSuspects(const std::vector<Candidate>& candidates);
  absl::Status AddLookahead(std::vector<Suspect>& suspects);
  void Push(Suspect suspect);
  absl::Status LabelSuspects(bool any);
  double NextHeat(double heat, const Candidate& move,
                  const Candidate& reply) const;
  void NextBeam(std::vector<Candidate>& candidates);

  const Game& game_;
  engine::Evaluator* player_;
  const HuntOptions& options_;
  ExactLabels labels_;
  StrategyResult* result_;
  base::Rng rng_;
  std::vector<Line> beam_;
  std::vector<Suspect> suspects_;  // a heap by LessSuspicious
  // Every position judged a suspect (so none is queued twice), and for
  // those labelled whether their value was confidently wrong.
  std::unordered_set<uint64_t> queued_;
  std::unordered_map<uint64_t, bool> labelled_;
  int64_t lines_started_ = 0;
};

absl::Status Hunter::Run() {
  int idle_rounds = 0;
  int rounds_without_suspects = 0;
  while (labels_.spent() < options_.labels) {
    RETURN_IF_ERROR(Refill());
    const int64_t before = labels_.spent();
    const size_t queued = queued_.size();
    ASSIGN_OR_RETURN(std::vector<Candidate> candidates, Expand());
    RETURN_IF_ERROR(AddSuspects(candidates));
    RETURN_IF_ERROR(LabelSuspects(idle_rounds >= kPatience));
    NextBeam(candidates);
    idle_rounds = labels_.spent() > before ? 0 : idle_rounds + 1;
    rounds_without_suspects =
        queued_.size() > queued || !suspects_.empty()
            ? 0
            : rounds_without_suspects + 1;
    // The player's values are nowhere confident: nothing can be labelled.
    if (rounds_without_suspects > 200) break;
  }
  return absl::OkStatus();
}

// Tops the beam up with fresh lines: the hunter's moves at random, the
// player's from its policy, up to a ply near min_ply with the hunter to
// move.
absl::Status Hunter::Refill() {
  std::vector<Line> fresh;
  const int wanted = options_.beam - static_cast<int>(beam_.size());
  for (int i = 0; i < wanted; ++i) {
    Line line;
    line.state = game_.NewInitialState();
    line.hunter = (lines_started_ % 2 == 0) ? Player::kFirst : Player::kSecond;
    line.root = lines_started_++;
    fresh.push_back(std::move(line));
  }
  const int target_lo = std::max(0, options_.min_ply - 4);
  std::vector<int> target(fresh.size());
  for (int& t : target) t = target_lo + rng_.Below(5);
  while (true) {
    std::vector<Line*> moving;
    std::vector<const State*> states;
    for (size_t i = 0; i < fresh.size(); ++i) {
      Line& l = fresh[i];
      if (l.state->IsTerminal()) {  // start again from the initial position
        l.state = game_.NewInitialState();
        l.actions.clear();
        l.probability = 1.0;
      }
      if (l.state->MoveNumber() >= target[i] &&
          l.state->ToMove() == l.hunter) {
        continue;
      }
      moving.push_back(&l);
      states.push_back(l.state.get());
    }
    if (moving.empty()) break;
    ASSIGN_OR_RETURN(std::vector<Judgement> judged,
                     Judge(game_, player_, states, options_.evaluation,
                           &result_->evaluations));
    for (size_t i = 0; i < moving.size(); ++i) {
      PlayOne(*moving[i], judged[i].policy);
    }
  }
  std::vector<const State*> states;
  for (const Line& l : fresh) states.push_back(l.state.get());
  ASSIGN_OR_RETURN(std::vector<Judgement> judged,
                   Judge(game_, player_, states, options_.evaluation,
                         &result_->evaluations));
  for (size_t i = 0; i < fresh.size(); ++i) {
    fresh[i].v = judged[i].v;
    beam_.push_back(std::move(fresh[i]));
  }
  return absl::OkStatus();
}

// One move of a fresh line: the hunter's at random, the player's from its
// policy.
void Hunter::PlayOne(Line& l, const std::vector<float>& policy) {
  Action a;
  if (l.state->ToMove() == l.hunter) {
    const std::vector<Action> legal = l.state->LegalActions();
    a = legal[rng_.Below(legal.size())];
  } else {
    double p = 1.0;
    a = PlayerMove(*l.state, policy, options_.player_moves, rng_, &p);
    l.probability *= p;
  }
  l.state->Apply(a);
  l.actions.push_back(a);
}

// Judges `candidates` and sets their values, policies and jumps (measured
// from each one's parent_v).
absl::Status Hunter::JudgeCandidates(std::vector<Candidate>& candidates) {
  std::vector<const State*> states;
  for (const Candidate& c : candidates) states.push_back(c.state.get());
  ASSIGN_OR_RETURN(std::vector<Judgement> judged,
                   Judge(game_, player_, states, options_.evaluation,
                         &result_->evaluations));
  for (size_t i = 0; i < candidates.size(); ++i) {
    Candidate& c = candidates[i];
    c.v = judged[i].v;
    c.policy = std::move(judged[i].policy);
    // After the hunter's move the player's value may fall below what it
    // gave the line (the hunter chose), but not rise above: a rise is the
    // value disagreeing with itself. After the player's own favoured reply
    // its value should carry over, so any change counts.
    c.jump = c.reply ? std::abs(c.v + c.parent_v)
                     : std::max(0.0, -c.v - c.parent_v);
  }
  return absl::OkStatus();
}

// Every hunter move of every line, then the player's reply to each.
absl::StatusOr<std::vector<Candidate>> Hunter::Expand() {
  std::vector<Candidate> moves;
  for (size_t li = 0; li < beam_.size(); ++li) {
    const Line& l = beam_[li];
    for (Action a : l.state->LegalActions()) {
      Candidate c;
      c.state = l.state->Clone();
      c.state->Apply(a);
      if (c.state->IsTerminal()) continue;
      c.actions = Extended(l.actions, a);
      c.line = static_cast<int>(li);
      c.probability = l.probability;
      c.parent_v = l.v;
      moves.push_back(std::move(c));
    }
  }
  RETURN_IF_ERROR(JudgeCandidates(moves));
  std::vector<Candidate> replies;
  for (size_t i = 0; i < moves.size(); ++i) {
    const Candidate& c = moves[i];
    Candidate r;
    double p = 1.0;
    const Action b =
        PlayerMove(*c.state, c.policy, options_.player_moves, rng_, &p);
    r.state = c.state->Clone();
    r.state->Apply(b);
    if (r.state->IsTerminal()) continue;
    r.actions = Extended(c.actions, b);
    r.line = c.line;
    r.reply = true;
    r.parent = static_cast<int>(i);
    r.probability = c.probability * p;
    r.parent_v = c.v;
    replies.push_back(std::move(r));
  }
  RETURN_IF_ERROR(JudgeCandidates(replies));
  for (Candidate& r : replies) moves.push_back(std::move(r));
  return moves;
}

// The confident candidates deep enough and not seen before become
// suspects, ranked by the heat of their line, the jump of the value on the
// way there and the disagreement with the player's own lookahead.
absl::Status Hunter::AddSuspects(const std::vector<Candidate>& candidates) {
  std::vector<Suspect> fresh;
  for (const Candidate& c : candidates) {
    if (static_cast<int>(c.actions.size()) < options_.min_ply) continue;
    if (std::abs(c.v) <= CandidateThreshold(options_)) continue;
    if (!queued_.insert(c.state->Hash()).second) continue;
    Suspect s;
    s.state = c.state->Clone();
    s.actions = c.actions;
    s.hunter = beam_[c.line].hunter;
    s.probability = c.probability;
    s.v = c.v;
    s.policy = c.policy;
    s.priority =
        beam_[c.line].heat + c.jump + kTieBreak * rng_.Uniform();
    fresh.push_back(std::move(s));
  }
  RETURN_IF_ERROR(AddLookahead(fresh));
  for (Suspect& s : fresh) Push(std::move(s));
  return absl::OkStatus();
}

void Hunter::Push(Suspect suspect) {
  suspects_.push_back(std::move(suspect));
  std::push_heap(suspects_.begin(), suspects_.end(), LessSuspicious);
  if (suspects_.size() > kMaxSuspects) {
    // Forget the least suspicious half (rarely: a long hunt).
    std::sort_heap(suspects_.begin(), suspects_.end(), LessSuspicious);
    suspects_.erase(suspects_.begin(),
                    suspects_.begin() + suspects_.size() / 2);
    std::make_heap(suspects_.begin(), suspects_.end(), LessSuspicious);
  }
}

// How far each suspect's value is from the player's own one-move
// lookahead: the best over its moves of the negated value after the move,
// with the rules' reward after a move that ends the game. A value that its
// own lookahead contradicts is a likely error; an exact one never is.
absl::Status Hunter::AddLookahead(std::vector<Suspect>& suspects) {
  std::vector<std::unique_ptr<State>> children;
  std::vector<const State*> states;
  std::vector<Action> moves;
  std::vector<std::pair<size_t, size_t>> ranges;  // into children
  std::vector<double> backup(suspects.size(), -2.0);
  for (size_t i = 0; i < suspects.size(); ++i) {
    const State& s = *suspects[i].state;
    const size_t first = children.size();
    for (Action a : s.LegalActions()) {
      std::unique_ptr<State> child = s.Clone();
      child->Apply(a);
      if (child->IsTerminal()) {
        backup[i] = std::max<double>(backup[i],
                                     child->Reward(s.ToMove()).value());
        continue;
      }
      states.push_back(child.get());
      children.push_back(std::move(child));
      moves.push_back(a);
    }
    ranges.push_back({first, children.size()});
  }
  ASSIGN_OR_RETURN(std::vector<Judgement> judged,
                   Judge(game_, player_, states, options_.evaluation,
                         &result_->evaluations));
  for (size_t i = 0; i < suspects.size(); ++i) {
    Suspect& s = suspects[i];
    for (size_t k = ranges[i].first; k < ranges[i].second; ++k) {
      if (-judged[k].v > backup[i]) {
        backup[i] = -judged[k].v;
        s.blamed = moves[k];
        s.blamed_v = judged[k].v;
      }
    }
    s.residual = std::abs(s.v - backup[i]);
    s.priority += s.residual;
  }
  return absl::OkStatus();
}

// Labels the most suspicious suspects, at most a beam's worth: those above
// kSuspicion, or with `any` the best there are. A suspect proved right
// whose lookahead disagreed with it passes the suspicion to the position
// its lookahead rests on.
absl::Status Hunter::LabelSuspects(bool any) {
  std::vector<Suspect> chosen;
  const int64_t room = std::min<int64_t>(options_.labels - labels_.spent(),
                                         std::max(1, options_.beam));
  while (static_cast<int64_t>(chosen.size()) < room && !suspects_.empty() &&
         (any || suspects_.front().priority >= kSuspicion)) {
    std::pop_heap(suspects_.begin(), suspects_.end(), LessSuspicious);
    chosen.push_back(std::move(suspects_.back()));
    suspects_.pop_back();
  }
  if (chosen.empty()) return absl::OkStatus();
  std::vector<const State*> states;
  std::vector<Labelled> positions;
  for (const Suspect& s : chosen) {
    states.push_back(s.state.get());
    positions.push_back({s.actions, s.v, s.hunter, s.probability});
  }
  ASSIGN_OR_RETURN(std::vector<ExactValue> exact,
                   LabelInto(labels_, states, std::move(positions), options_,
                             result_));
  for (size_t i = 0; i < chosen.size(); ++i) {
    Suspect& s = chosen[i];
    const bool wrong = IsConfidentlyWrong(s.v, exact[i].reward, options_);
    labelled_[s.state->Hash()] = wrong;
    if (wrong || s.residual < kSuspicion || s.blamed == kNoAction) continue;
    std::unique_ptr<State> child = s.state->Clone();
    child->Apply(s.blamed);
    if (static_cast<int>(s.actions.size()) + 1 < options_.min_ply ||
        std::abs(s.blamed_v) <= CandidateThreshold(options_) ||
        !queued_.insert(child->Hash()).second) {
      continue;
    }
    Suspect blamed;
    blamed.actions = Extended(s.actions, s.blamed);
    blamed.state = std::move(child);
    blamed.hunter = s.hunter;
    blamed.probability = s.probability;
    if (s.state->ToMove() != s.hunter) {  // the blamed move is the player's
      double total = 0.0;
      for (Action a : s.state->LegalActions()) total += s.policy[a];
      blamed.probability *= total > 0 ? s.policy[s.blamed] / total : 0.0;
    }
    blamed.v = s.blamed_v;
    blamed.priority = s.residual;
    Push(std::move(blamed));
  }
  return absl::OkStatus();
}

// The heat a reply candidate's line carries on: a proved error on the way
// sets it, a label that found none cools it faster.
double Hunter::NextHeat(double heat, const Candidate& move,
                        const Candidate& reply) const {
  bool checked = false;
  for (const Candidate* c : {&move, &reply}) {
    auto it = labelled_.find(c->state->Hash());
    if (it == labelled_.end()) continue;
    if (it->second) return kHeatOfWrong;
    checked = true;
  }
  return heat * (checked ? kHeatFadeRight : kHeatFade);
}

// The lines of the next round: the hottest replies, a few per line and
// per fresh start, so that one family of errors cannot take the whole
// beam.
void Hunter::NextBeam(std::vector<Candidate>& candidates) {
  struct Choice {
    Candidate* reply;
    double heat;
    double priority;
  };
  std::vector<Choice> choices;
  for (Candidate& r : candidates) {
    if (!r.reply) continue;
    const Candidate& move = candidates[r.parent];
    const double heat = NextHeat(beam_[r.line].heat, move, r);
    choices.push_back(
        {&r, heat, heat + r.jump + move.jump + kTieBreak * rng_.Uniform()});
  }
  std::sort(choices.begin(), choices.end(),
            [](const Choice& a, const Choice& b) {
              return a.priority > b.priority;
            });
  std::unordered_map<int, int> per_line;
  std::unordered_map<int64_t, int> per_root;
  std::unordered_set<uint64_t> seen;
  const int per_root_cap = std::max(2, options_.beam / 4);
  std::vector<Line> next;
  for (const Choice& c : choices) {
    if (static_cast<int>(next.size()) >= options_.beam) break;
    Candidate& r = *c.reply;
    const Line& parent = beam_[r.line];
    if (per_line[r.line] >= kLinesPerParent ||
        per_root[parent.root] >= per_root_cap ||
        !seen.insert(r.state->Hash()).second) {
      continue;
    }
    ++per_line[r.line];
    ++per_root[parent.root];
    Line l;
    l.state = std::move(r.state);
    l.actions = std::move(r.actions);
    l.hunter = parent.hunter;
    l.root = parent.root;
    l.probability = r.probability;
    l.v = r.v;
    l.heat = c.heat;
    next.push_back(std::move(l));
  }
  beam_ = std::move(next);
}

// The search value q of every found position, where a budget was given.
absl::Status AddSearchValues(const Game& game, engine::Evaluator* player,
                             const HuntOptions& options,
                             StrategyResult* result) {
  if (options.search_budget <= 0 || result->found.empty()) {
    return absl::OkStatus();
  }
  std::vector<std::unique_ptr<State>> owned;
  std::vector<const State*> states;
  for (const FoundPosition& f : result->found) {
    std::unique_ptr<State> s = game.NewInitialState();
    for (Action a : f.actions) s->Apply(a);
    states.push_back(s.get());
    owned.push_back(std::move(s));
  }
  engine::SearchParams params = options.search;
  params.num_simulations = options.search_budget;
  ASSIGN_OR_RETURN(std::vector<SearchEvaluation> searched,
                   EvaluateSearch(game, player, params, states,
                                  options.evaluation));
  for (size_t i = 0; i < searched.size(); ++i) {
    result->found[i].q = searched[i].q.value;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StrategyResult> RunHunter(const Game& game,
                                         engine::Evaluator* player,
                                         const HuntOptions& options) {
  const auto start = Clock::now();
  StrategyResult result;
  result.strategy = HuntStrategy::kHunter;
  ASSIGN_OR_RETURN(ExactLabels labels,
                   ExactLabels::Create(game, options.evaluation.threads));
  Hunter hunter(game, player, options, std::move(labels), &result);
  RETURN_IF_ERROR(hunter.Run());
  FinishYield(options, &result);
  result.seconds = SecondsSince(start);
  return result;
}

absl::StatusOr<HuntResult> Hunt(const Game& game, engine::Evaluator* player,
                                const HuntOptions& options) {
  const auto start = Clock::now();
  if (game.NewExactSolver() == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        game.Name(), " has no exact solver: its values cannot be proved wrong"));
  }
  HuntResult result;
  ASSIGN_OR_RETURN(result.hunter, RunHunter(game, player, options));
  RETURN_IF_ERROR(AddSearchValues(game, player, options, &result.hunter));
  if (options.baselines) {
    ASSIGN_OR_RETURN(result.random, RunRandomBaseline(game, player, options));
    RETURN_IF_ERROR(AddSearchValues(game, player, options, &*result.random));
    ASSIGN_OR_RETURN(result.self, RunSelfBaseline(game, player, options));
    RETURN_IF_ERROR(AddSearchValues(game, player, options, &*result.self));
  }
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace az::analysis
