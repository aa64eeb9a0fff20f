// Where trained values agree and where they part ways. Many value functions
// fit the same training data; they may differ wherever training never
// looked. For every pair of players measured on the same set of positions,
// per stratum: the mean |v_a - v_b| of their raw values, the share of
// positions where they disagree in sign (one calls it won, the other lost),
// and how that disagreement relates to the error against the ground truth:
// the players' mean |v - reward| where they disagree and where they agree,
// and the correlation between |v_a - v_b| and that mean error. Each figure
// has a bootstrap interval over whole games, as every figure of az gap.
//
// Only the raw values `v` are compared: a search value mixes in the search
// and its budget, which is the same for both and says nothing about what the
// two networks learned.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/bootstrap.h"
#include "analysis/gap.h"

namespace az::analysis {

struct AgreementOptions {
  // A value within this distance of 0 calls neither side: a sign
  // disagreement needs one value above +sign_band and the other below
  // -sign_band.
  double sign_band = 0.1;
  BootstrapOptions bootstrap;
};

// The figures of one pair in one stratum (NaN where a figure has no
// positions, e.g. the error where they disagree when they never do).
struct AgreementStratum {
  std::string name;  // as the gap results name it: "all", "quiet", a stage
  int stage = -1;
  int64_t positions = 0;
  int64_t games = 0;
  int64_t sign_disagreements = 0;  // positions, not a share
  Figure mean_abs_difference;      // mean |v_a - v_b|
  Figure sign_disagreement;        // share of positions
  Figure error_where_disagree;     // mean of (|v_a - r| + |v_b - r|) / 2
  Figure error_where_agree;
  Figure difference_error_correlation;  // Pearson, |v_a - v_b| vs that error
};

// The two players' results are indices into the list given to
// ComputeAgreement (GapReport::results).
struct PairAgreement {
  size_t a = 0;
  size_t b = 0;
  std::vector<AgreementStratum> strata;
};

// The names of AgreementStratum's figures, in the order of FiguresOf().
const std::vector<std::string>& AgreementFigureNames();
std::vector<Figure> FiguresOf(const AgreementStratum& s);

// One result per player, set and ground truth (the rules, or a reward spec
// under az gap --reward) takes part: for a run measured at several
// checkpoints, the newest. Every pair of distinct players on the same set
// against the same ground truth gets one entry, ordered by set (as the sets
// first appear), then by the order of the results. A pair is measured on
// the positions both results hold (the same game and moves): all of them
// when az gap measured both on one set, fewer where one player's game ends
// sooner (a proxy run's held-out games seen by the rules); a pair that
// shares none is left out.
absl::StatusOr<std::vector<PairAgreement>> ComputeAgreement(
    const std::vector<GapResult>& results, const AgreementOptions& options);

// The agreement of two players on explicit per-position values, for tests
// and for callers without GapResults: v_a, v_b and the reward of each
// position, its game (block) and its membership in each stratum.
struct AgreementInput {
  std::vector<double> v_a, v_b, reward;
  std::vector<int64_t> game;
};
AgreementStratum MeasureAgreement(const std::string& name, int stage,
                                  const AgreementInput& input,
                                  const AgreementOptions& options);

}  // namespace az::analysis
