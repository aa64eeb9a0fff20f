#include "analysis/agreement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/hash.h"

namespace az::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The additive sums of one block (game), in this order.
enum Sum {
  kCount,
  kAbsDifference,
  kDisagreements,
  kErrorDisagree,
  kErrorAgree,
  kX,   // |v_a - v_b|
  kY,   // mean error
  kXX,
  kYY,
  kXY,
  kSums
};
constexpr int kFigures = 5;

double Ratio(double num, double den) { return den > 0.0 ? num / den : kNaN; }

void Figures(const double* s, double* out) {
  const double n = s[kCount];
  out[0] = Ratio(s[kAbsDifference], n);
  out[1] = Ratio(s[kDisagreements], n);
  out[2] = Ratio(s[kErrorDisagree], s[kDisagreements]);
  out[3] = Ratio(s[kErrorAgree], n - s[kDisagreements]);
  const double vx = n * s[kXX] - s[kX] * s[kX];
  const double vy = n * s[kYY] - s[kY] * s[kY];
  // Rounding can leave a tiny negative variance for constant inputs.
  out[4] = vx > 1e-12 && vy > 1e-12
               ? (n * s[kXY] - s[kX] * s[kY]) / std::sqrt(vx * vy)
               : kNaN;
}

bool OppositeSigns(double a, double b, double band) {
  return (a > band && b < -band) || (a < -band && b > band);
}

// The player a result belongs to, without a run checkpoint's "@step-N".
std::string PlayerOf(const GapResult& r) {
  return r.step < 0 ? r.player : r.player.substr(0, r.player.rfind('@'));
}

// Whether `r` is the newest checkpoint of its player on its set.
bool Newest(const std::vector<GapResult>& results, const GapResult& r) {
  for (const GapResult& o : results) {
    if (o.set_name == r.set_name && o.truth_spec == r.truth_spec &&
        PlayerOf(o) == PlayerOf(r) && o.step > r.step) {
      return false;
    }
  }
  return true;
}

// For each position of `a`, the index of the same position in `b` (the
// same game and moves), or -1. Both sets are usually the same positions;
// they differ where the two players' ground truths end games at different
// plies (held-out games of a proxy run, seen by the rules).
std::vector<int> SharedPositions(const GapResult& a, const GapResult& b) {
  std::map<std::pair<int64_t, std::string>, int> in_b;
  for (size_t i = 0; i < b.position_results.size(); ++i) {
    const PositionResult& p = b.position_results[i];
    in_b.emplace(std::make_pair(p.game_id, p.moves), static_cast<int>(i));
  }
  std::vector<int> shared(a.position_results.size(), -1);
  for (size_t i = 0; i < shared.size(); ++i) {
    const PositionResult& p = a.position_results[i];
    auto it = in_b.find(std::make_pair(p.game_id, p.moves));
    if (it != in_b.end()) shared[i] = it->second;
  }
  return shared;
}

// The input of one stratum of a pair: shared positions with `keep` true.
template <typename Keep>
AgreementInput InputOf(const GapResult& a, const GapResult& b,
                       const std::vector<int>& shared, Keep keep) {
  AgreementInput in;
  for (size_t i = 0; i < a.position_results.size(); ++i) {
    const PositionResult& p = a.position_results[i];
    if (shared[i] < 0 || !keep(p)) continue;
    in.v_a.push_back(p.raw.v.value);
    in.v_b.push_back(b.position_results[shared[i]].raw.v.value);
    in.reward.push_back(p.truth.target.Value());
    in.game.push_back(p.game_id);
  }
  return in;
}

// The pair's strata: every shared position, then the strata of `a`. Empty
// when the two share no position.
PairAgreement MeasurePair(const GapResult& a, const GapResult& b,
                          AgreementOptions options) {
  PairAgreement pair;
  const std::vector<int> shared = SharedPositions(a, b);
  const uint64_t seed = options.bootstrap.seed;
  options.bootstrap.seed = base::HashPair(seed, 0);
  AgreementInput all =
      InputOf(a, b, shared, [](const PositionResult&) { return true; });
  if (all.v_a.empty()) return pair;
  pair.strata.push_back(MeasureAgreement("all", -1, all, options));
  int k = 1;
  for (const StratumResult& s : a.strata) {
    if (s.name == "all") continue;
    options.bootstrap.seed = base::HashPair(seed, k++);
    AgreementInput in = InputOf(
        a, b, shared, [&](const PositionResult& p) { return InStratum(s, p); });
    if (in.v_a.empty()) continue;
    pair.strata.push_back(MeasureAgreement(s.name, s.stage, in, options));
  }
  return pair;
}

}  // namespace

const std::vector<std::string>& AgreementFigureNames() {
  static const std::vector<std::string> names = {
      "mean_abs_v_difference", "sign_disagreement", "error_where_disagree",
      "error_where_agree", "difference_error_correlation"};
  return names;
}

std::vector<Figure> FiguresOf(const AgreementStratum& s) {
  return {s.mean_abs_difference, s.sign_disagreement, s.error_where_disagree,
          s.error_where_agree, s.difference_error_correlation};
}

AgreementStratum MeasureAgreement(const std::string& name, int stage,
                                  const AgreementInput& input,
                                  const AgreementOptions& options) {
  // One row of sums per game, in order of first appearance.
  std::map<int64_t, size_t> row_of;
  std::vector<double> blocks;
  for (size_t i = 0; i < input.v_a.size(); ++i) {
    auto [it, added] = row_of.emplace(input.game[i], row_of.size());
    if (added) blocks.resize(blocks.size() + kSums, 0.0);
    double* s = blocks.data() + it->second * kSums;
    const double x = std::abs(input.v_a[i] - input.v_b[i]);
    const double y = (std::abs(input.v_a[i] - input.reward[i]) +
                      std::abs(input.v_b[i] - input.reward[i])) /
                     2.0;
    const bool disagree =
        OppositeSigns(input.v_a[i], input.v_b[i], options.sign_band);
    s[kCount] += 1.0;
    s[kAbsDifference] += x;
    s[disagree ? kErrorDisagree : kErrorAgree] += y;
    s[kDisagreements] += disagree ? 1.0 : 0.0;
    s[kX] += x;
    s[kY] += y;
    s[kXX] += x * x;
    s[kYY] += y * y;
    s[kXY] += x * y;
  }
  double total[kSums] = {};
  for (size_t i = 0; i < blocks.size(); ++i) total[i % kSums] += blocks[i];
  double point[kFigures];
  Figures(total, point);
  const std::vector<double> replicates = BootstrapReplicates(
      blocks, kSums, [](const double* s, double* out) { Figures(s, out); },
      kFigures, options.bootstrap);
  Figure figures[kFigures];
  for (int k = 0; k < kFigures; ++k) {
    const Interval ci = ReplicateInterval(replicates, kFigures, k,
                                          options.bootstrap.level);
    figures[k] = {point[k], ci.lo, ci.hi};
  }
  AgreementStratum r;
  r.name = name;
  r.stage = stage;
  r.positions = static_cast<int64_t>(total[kCount]);
  r.games = static_cast<int64_t>(row_of.size());
  r.sign_disagreements = static_cast<int64_t>(total[kDisagreements]);
  r.mean_abs_difference = figures[0];
  r.sign_disagreement = figures[1];
  r.error_where_disagree = figures[2];
  r.error_where_agree = figures[3];
  r.difference_error_correlation = figures[4];
  return r;
}

absl::StatusOr<std::vector<PairAgreement>> ComputeAgreement(
    const std::vector<GapResult>& results, const AgreementOptions& options) {
  std::vector<PairAgreement> pairs;
  for (size_t a = 0; a < results.size(); ++a) {
    if (!Newest(results, results[a])) continue;
    for (size_t b = a + 1; b < results.size(); ++b) {
      if (results[b].set_name != results[a].set_name ||
          results[b].truth_spec != results[a].truth_spec ||
          PlayerOf(results[b]) == PlayerOf(results[a]) ||
          !Newest(results, results[b])) {
        continue;
      }
      PairAgreement pair = MeasurePair(results[a], results[b], options);
      if (pair.strata.empty()) continue;
      pair.a = a;
      pair.b = b;
      pairs.push_back(std::move(pair));
    }
  }
  // By set (in order of first appearance), then by player: one set's
  // pairs read together.
  std::vector<std::string> sets;
  for (const GapResult& r : results) {
    if (std::find(sets.begin(), sets.end(), r.set_name) == sets.end()) {
      sets.push_back(r.set_name);
    }
  }
  auto set_index = [&](const PairAgreement& p) {
    return std::find(sets.begin(), sets.end(), results[p.a].set_name) -
           sets.begin();
  };
  std::stable_sort(pairs.begin(), pairs.end(),
                   [&](const PairAgreement& x, const PairAgreement& y) {
                     return set_index(x) < set_index(y);
                   });
  return pairs;
}

}  // namespace az::analysis
