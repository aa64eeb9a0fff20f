#include "analysis/labels.h"

#include <glog/logging.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/parallel.h"
#include "base/crc32c.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "base/hash.h"
#include "games/solver.h"

namespace az::analysis {
namespace {

constexpr char kCacheMagic[] = "az-gap-labels 1";

RewardTarget ExactTarget(TerminalReward reward) {
  RewardTarget t;
  t.exact = true;
  // A ternary reward is one-hot; a graded payoff x the mix with mean x.
  const double x = reward.value();
  t.wdl = {std::max(x, 0.0), 1.0 - std::fabs(x), std::max(-x, 0.0)};
  return t;
}

// The sign of a reward as a move label: -1, 0 or +1.
int RewardSign(TerminalReward reward) {
  return reward.is_win() ? 1 : reward.is_loss() ? -1 : 0;
}

TerminalReward RewardOfScore(int score) {
  return score > 0   ? TerminalReward::Win()
         : score < 0 ? TerminalReward::Loss()
                     : TerminalReward::Draw();
}

// How the labels were made, as far as it changes them: the cache key.
std::string LabelKey(const Game& game, const LabelOptions& options,
                     bool has_solver) {
  std::string key = has_solver ? "solver" : "nosolver";
  // Labels of another reward spec are other labels (rules keys unchanged).
  if (!game.PlaysByRules()) {
    absl::StrAppend(&key, " reward=", game.RewardSpec().name);
  }
  if (has_solver && options.label_moves) absl::StrAppend(&key, "+moves");
  if (options.playout_games > 0 && options.playout_player != nullptr) {
    absl::StrAppend(&key, " playout=", options.playout_games,
                    " player=", options.playout_player->spec(),
                    " seed=", options.seed);
  }
  return key;
}

std::unique_ptr<State> StateOf(const Game& game, const SetPosition& p) {
  std::unique_ptr<State> state = game.NewInitialState();
  for (Action a : p.actions) state->Apply(a);
  return state;
}

// Plays `games` games on from `start` with two players of `factory` and
// returns the outcome frequencies for the side to move at `start`.
absl::StatusOr<Wdl> PlayOut(const State& start,
                            const selfplay::PlayerFactory& factory, int games,
                            uint64_t seed) {
  const Player mover = start.ToMove();
  std::unique_ptr<selfplay::Player> players[2] = {factory.NewPlayer(),
                                                  factory.NewPlayer()};
  Wdl freq{0, 0, 0};
  std::unique_ptr<State> state = start.Clone();
  for (int g = 0; g < games; ++g) {
    state->CopyFrom(start);
    for (int i = 0; i < 2; ++i) players[i]->Reset(base::HashPair(seed, g * 2 + i));
    while (!state->IsTerminal()) {
      selfplay::Player& player = *players[PlayerIndex(state->ToMove())];
      ASSIGN_OR_RETURN(const Action action, player.ChooseMove(*state, nullptr));
      for (auto& p : players) p->Observe(action);
      state->Apply(action);
    }
    const TerminalReward r = state->Reward(mover);
    (r.is_win() ? freq.win : r.is_loss() ? freq.loss : freq.draw) += 1;
  }
  freq.win /= games;
  freq.draw /= games;
  freq.loss /= games;
  return freq;
}

// The largest label cache that `expected_positions` positions labelled the
// `key` way can take: the header lines are short but for `key`.
size_t LabelCacheLimit(size_t expected_positions, const std::string& key) {
  size_t limit = 0;
  if (__builtin_mul_overflow(expected_positions, kMaxLabelCacheBytesPerPosition,
                             &limit) ||
      __builtin_add_overflow(limit, (size_t{64} << 10) + key.size(), &limit)) {
    return SIZE_MAX;
  }
  return limit;
}

absl::Status DamagedCache(const std::string& path, absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat(path, ": damaged label cache (", why, ")"));
}

// Where the checksum line of the label cache `text` (read from `path`)
// begins: it closes the file and covers everything before it.
absl::StatusOr<size_t> VerifyChecksum(const std::string& path,
                                      const std::string& text) {
  const size_t crc_at = text.rfind("crc32c ");
  if (crc_at == std::string::npos || (crc_at > 0 && text[crc_at - 1] != '\n')) {
    return DamagedCache(path, "no checksum line");
  }
  uint32_t stored = 0;
  std::string crc_text = text.substr(crc_at + 7);
  while (!crc_text.empty() && (crc_text.back() == '\n')) crc_text.pop_back();
  if (!absl::SimpleHexAtoi(crc_text, &stored) ||
      stored != base::Crc32c(text.data(), crc_at)) {
    return DamagedCache(path, "checksum mismatch");
  }
  return crc_at;
}

// The moves field of a label cache line ("-" or ACTION:REWARD,...) into
// *rewards; false if damaged.
bool ParseMoveRewards(const std::string& field,
                      std::vector<std::pair<Action, int>>* rewards) {
  if (field == "-") return true;
  for (absl::string_view move : absl::StrSplit(field, ',')) {
    std::pair<std::string, std::string> ar = absl::StrSplit(move, ':');
    int a = 0, r = 0;
    if (!absl::SimpleAtoi(ar.first, &a) || !absl::SimpleAtoi(ar.second, &r) ||
        r < -1 || r > 1) {
      return false;
    }
    rewards->emplace_back(a, r);
  }
  return true;
}

// One position's line of a label cache into *g; false if damaged.
bool ParseLabelLine(const std::string& line, GroundTruth* g) {
  std::vector<std::string> f = absl::StrSplit(line, ' ');
  int exact = 0, source = 0;
  if (f.size() != 7 || !absl::SimpleAtod(f[0], &g->target.wdl.win) ||
      !absl::SimpleAtod(f[1], &g->target.wdl.draw) ||
      !absl::SimpleAtod(f[2], &g->target.wdl.loss) ||
      !absl::SimpleAtoi(f[3], &exact) || !absl::SimpleAtoi(f[4], &source) ||
      source < 0 || source > 2) {
    return false;
  }
  g->target.exact = exact != 0;
  g->source = static_cast<LabelSource>(source);
  if (f[5] != "-") {
    int score = 0;
    if (!absl::SimpleAtoi(f[5], &score)) return false;
    g->score = score;
  }
  return ParseMoveRewards(f[6], &g->move_rewards);
}
// How many positions of `set` have no score in their file that counts
// (file scores are the rules' values: none counts under another spec).
int64_t CountUnscored(const PositionSet& set) {
  if (!set.game->PlaysByRules()) {
    return static_cast<int64_t>(set.positions.size());
  }
  int64_t unscored = 0;
  for (const SetPosition& p : set.positions) {
    if (!p.file_score.has_value()) ++unscored;
  }
  return unscored;
}

// How the labels are made, for reports: `unscored` of `total` positions
// have no file score and take the solver's value or a playout estimate.
std::string LabelDescription(int64_t unscored, int64_t total, bool has_solver,
                             bool label_moves, const LabelOptions& options) {
  return absl::StrCat(
      unscored < total ? "file scores" : "",
      unscored > 0 && unscored < total ? " + " : "",
      unscored == 0 ? ""
      : has_solver
          ? "solver (exact)"
          : absl::StrCat("playout estimate (", options.playout_games,
                         " games of ", options.playout_player->spec(), ")"),
      label_moves ? "; moves labelled by the solver" : "; moves not labelled");
}

// The labels in the cache at `path` if it holds this set's (`hash`)
// labelled the `key` way; otherwise nullopt, having logged why (a damaged
// cache as a warning, a missing one not at all).
std::optional<std::vector<GroundTruth>> CachedLabels(const std::string& path,
                                                     uint64_t hash,
                                                     const std::string& key,
                                                     size_t positions) {
  absl::StatusOr<std::vector<GroundTruth>> cached =
      ReadLabelCache(path, hash, key, positions);
  if (cached.ok()) return *std::move(cached);
  if (absl::IsDataLoss(cached.status())) {
    LOG(WARNING) << cached.status().message() << "; labelling again";
  } else if (!absl::IsNotFound(cached.status())) {
    LOG(INFO) << cached.status().message() << "; labelling again";
  }
  return std::nullopt;
}

// Labels every legal move of `state` with `solver` into g->move_rewards;
// the best of their values (nullopt where there is no legal move).
absl::StatusOr<std::optional<ExactValue>> LabelMoves(ExactSolver& solver,
                                                     const State& state,
                                                     GroundTruth* g) {
  ASSIGN_OR_RETURN(std::vector<MoveValue> moves, solver.SolveMoves(state));
  std::optional<ExactValue> best;
  for (const MoveValue& m : moves) {
    // Move labels are win/draw/loss: a graded spec's payoff by its sign.
    g->move_rewards.emplace_back(m.action, RewardSign(m.value.reward));
    if (!best.has_value() || IsBetterExactValue(m.value, *best)) {
      best = m.value;
    }
  }
  return best;
}

// The ground truth of position `index` of a set, `p`, into *g: its moves
// with the solver where `label_moves`; its value from the file's score,
// else from `solver` (null for a game without one), else from playouts.
absl::Status LabelPosition(const Game& game, const SetPosition& p, size_t index,
                           const LabelOptions& options, bool label_moves,
                           ExactSolver* solver, GroundTruth* g) {
  std::unique_ptr<State> state = StateOf(game, p);
  std::optional<ExactValue> exact;
  if (label_moves) {
    ASSIGN_OR_RETURN(exact, LabelMoves(*solver, *state, g));
  }
  if (p.file_score.has_value() && game.PlaysByRules()) {
    g->source = LabelSource::kFileScore;
    g->score = p.file_score;
    g->target = ExactTarget(RewardOfScore(*p.file_score));
    return absl::OkStatus();
  }
  if (solver != nullptr) {
    if (!exact.has_value()) {
      ASSIGN_OR_RETURN(exact, solver->Solve(*state));
    }
    g->source = LabelSource::kSolver;
    g->score = exact->score;
    g->target = ExactTarget(exact->reward);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(
      const Wdl freq,
      PlayOut(*state, *options.playout_player, options.playout_games,
              base::HashPair(options.seed, static_cast<uint64_t>(index))));
  g->source = LabelSource::kPlayout;
  g->target.exact = false;
  g->target.wdl = freq;
  return absl::OkStatus();
}

// Labels every position of `set` on options.threads threads, each with a
// solver of its own where the game has one.
absl::StatusOr<std::vector<GroundTruth>> ComputeLabels(
    const PositionSet& set, const LabelOptions& options, bool has_solver,
    bool label_moves) {
  const Game& game = *set.game;
  const int threads = std::max(1, options.threads);
  std::vector<std::unique_ptr<ExactSolver>> solvers(threads);
  std::vector<GroundTruth> labels(set.positions.size());
  // One position per chunk: a shallow position may take the solver far
  // longer than its neighbours.
  absl::Status status = base::ForChunks(
      set.positions.size(), 1, threads,
      [&](size_t i, size_t /*end*/, int t) -> absl::Status {
        if (has_solver && solvers[t] == nullptr) {
          solvers[t] = game.NewExactSolver();
        }
        return LabelPosition(game, set.positions[i], i, options, label_moves,
                             solvers[t].get(), &labels[i]);
      });
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("labelling ", set.name,
                                                    ": ", status.message()));
  }
  return labels;
}

// Writes the label cache of `set_name`; a failure is only a warning.
bool WriteLabelCache(const std::string& path, const std::string& set_name,
                     uint64_t hash, const std::string& key,
                     const std::vector<GroundTruth>& labels) {
  absl::Status written =
      base::WriteFileAtomically(path, EncodeLabelCache(hash, key, labels));
  if (!written.ok()) {
    LOG(WARNING) << "could not cache the labels of " << set_name << ": "
                 << written.message();
  }
  return written.ok();
}
}  // namespace

std::string LabelSourceName(LabelSource source) {
  switch (source) {
    case LabelSource::kFileScore:
      return "file score";
    case LabelSource::kSolver:
      return "solver";
    case LabelSource::kPlayout:
      return "playout estimate";
    case LabelSource::kRulesVerdict:
      return "rules verdict";
  }
  return "?";
}

std::optional<bool> IsMoveMistake(const GroundTruth& truth, Action action) {
  if (truth.move_rewards.empty()) return std::nullopt;
  int best = -2, chosen = -2;
  for (const auto& [a, r] : truth.move_rewards) {
    best = std::max(best, r);
    if (a == action) chosen = r;
  }
  if (chosen == -2) return true;  // not a legal move at all
  return chosen < best;
}

std::string EncodeLabelCache(uint64_t set_hash, const std::string& key,
                             const std::vector<GroundTruth>& labels) {
  std::string text =
      absl::StrCat(kCacheMagic, "\nset ", absl::Hex(set_hash, absl::kZeroPad16),
                   "\nlabeller ", key, "\npositions ", labels.size(), "\n");
  for (const GroundTruth& g : labels) {
    absl::StrAppendFormat(&text, "%.17g %.17g %.17g %d %d ", g.target.wdl.win,
                          g.target.wdl.draw, g.target.wdl.loss,
                          g.target.exact ? 1 : 0, static_cast<int>(g.source));
    absl::StrAppend(&text, g.score.has_value() ? absl::StrCat(*g.score) : "-",
                    " ");
    if (g.move_rewards.empty()) {
      absl::StrAppend(&text, "-");
    } else {
      for (size_t i = 0; i < g.move_rewards.size(); ++i) {
        absl::StrAppend(&text, i > 0 ? "," : "", g.move_rewards[i].first, ":",
                        g.move_rewards[i].second);
      }
    }
    absl::StrAppend(&text, "\n");
  }
  const uint32_t crc = base::Crc32c(text.data(), text.size());
  absl::StrAppend(&text, "crc32c ", absl::Hex(crc, absl::kZeroPad8), "\n");
  return text;
}

absl::StatusOr<std::vector<GroundTruth>> ReadLabelCache(
    const std::string& path, uint64_t set_hash, const std::string& key,
    size_t expected_positions) {
  absl::StatusOr<std::string> read =
      base::ReadFileBounded(path, LabelCacheLimit(expected_positions, key));
  if (absl::IsNotFound(read.status())) {
    return absl::NotFoundError(absl::StrCat(path, ": no label cache"));
  }
  if (!read.ok()) {
    return absl::Status(read.status().code(),
                        absl::StrCat("label cache: ", read.status().message()));
  }
  const std::string& text = *read;
  ASSIGN_OR_RETURN(const size_t crc_at, VerifyChecksum(path, text));
  std::vector<std::string> lines = absl::StrSplit(
      absl::string_view(text).substr(0, crc_at), '\n', absl::SkipEmpty());
  if (lines.size() < 4 || lines[0] != kCacheMagic) {
    return DamagedCache(path, "header");
  }
  if (lines[1] != absl::StrCat("set ", absl::Hex(set_hash, absl::kZeroPad16)) ||
      lines[2] != absl::StrCat("labeller ", key) ||
      lines[3] != absl::StrCat("positions ", expected_positions)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path,
        ": the label cache was made for other positions or another "
        "way of labelling"));
  }
  if (lines.size() != 4 + expected_positions) {
    return DamagedCache(path, "line count");
  }
  std::vector<GroundTruth> labels(expected_positions);
  for (size_t i = 0; i < expected_positions; ++i) {
    if (!ParseLabelLine(lines[4 + i], &labels[i])) {
      return DamagedCache(path, absl::StrCat("entry ", i + 1));
    }
  }
  return labels;
}

absl::StatusOr<std::vector<GroundTruth>> LabelPositions(
    const PositionSet& set, const LabelOptions& options, LabelStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  const Game& game = *set.game;
  const bool has_solver = game.NewExactSolver() != nullptr;
  const bool playouts =
      options.playout_games > 0 && options.playout_player != nullptr;
  const int64_t unscored = CountUnscored(set);
  if (unscored > 0 && !has_solver && !playouts) {
    return absl::FailedPreconditionError(absl::StrCat(
        game.Name(), " has no exact solver and ", unscored, " positions of ",
        set.name,
        " have no score; give --playout=N to estimate their value from N "
        "games played on"));
  }
  const bool label_moves = has_solver && options.label_moves;
  LabelStats local;
  LabelStats& st = stats != nullptr ? *stats : local;
  st = LabelStats();
  const std::string key = LabelKey(game, options, has_solver);
  const uint64_t hash = set.ContentHash();
  st.any_estimate = !has_solver && unscored > 0;
  st.description =
      LabelDescription(unscored, static_cast<int64_t>(set.positions.size()),
                       has_solver, label_moves, options);

  if (!options.cache_path.empty()) {
    std::optional<std::vector<GroundTruth>> cached =
        CachedLabels(options.cache_path, hash, key, set.positions.size());
    if (cached.has_value()) {
      st.from_cache = static_cast<int64_t>(cached->size());
      st.seconds = elapsed();
      return *std::move(cached);
    }
  }

  ASSIGN_OR_RETURN(std::vector<GroundTruth> labels,
                   ComputeLabels(set, options, has_solver, label_moves));
  st.computed = static_cast<int64_t>(labels.size());
  if (!options.cache_path.empty()) {
    st.cache_written =
        WriteLabelCache(options.cache_path, set.name, hash, key, labels);
  }
  st.seconds = elapsed();
  return labels;
}

namespace {

// The rules' ground truth of a position the real rules have already ended:
// their frozen verdict, for the side to move of `state`.
GroundTruth VerdictTruth(const State& state, const IntendedVerdict& verdict) {
  GroundTruth g;
  g.source = LabelSource::kRulesVerdict;
  g.target = ExactTarget(RewardFor(verdict.outcome, state.ToMove()));
  return g;
}

}  // namespace

absl::StatusOr<std::vector<GroundTruth>> LabelPositionsByRules(
    const PositionSet& set, const Game& rules, const LabelOptions& options,
    LabelStats* stats) {
  if (!rules.PlaysByRules() || rules.Name() != set.game->Name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the rules' labels of ", set.name, " need ", set.game->Name(),
        " played by its rules"));
  }
  std::vector<GroundTruth> labels(set.positions.size());
  std::vector<size_t> ongoing;  // where in `set` the rules' set's positions are
  PositionSet by_rules = set;
  by_rules.game = &rules;
  by_rules.positions.clear();
  for (size_t i = 0; i < set.positions.size(); ++i) {
    std::unique_ptr<State> state = StateOf(*set.game, set.positions[i]);
    const IntendedVerdict verdict = state->Verdict();
    if (verdict.decided()) {
      labels[i] = VerdictTruth(*state, verdict);
    } else {
      ongoing.push_back(i);
      by_rules.positions.push_back(set.positions[i]);
    }
  }
  LabelStats local;
  LabelStats& st = stats != nullptr ? *stats : local;
  st = LabelStats();
  if (!by_rules.positions.empty()) {
    ASSIGN_OR_RETURN(std::vector<GroundTruth> labelled,
                     LabelPositions(by_rules, options, &st));
    for (size_t k = 0; k < ongoing.size(); ++k) {
      labels[ongoing[k]] = std::move(labelled[k]);
    }
  }
  const size_t ended = set.positions.size() - ongoing.size();
  if (ended > 0) {
    absl::StrAppend(&st.description, st.description.empty() ? "" : "; ",
                    ended, " positions past the rules' end: their verdict");
  }
  return labels;
}

}  // namespace az::analysis
