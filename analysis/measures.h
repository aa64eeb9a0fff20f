// The measures of `az gap`: how well a learned value (the raw network value
// `v`, or a search value `q`) predicts the ground truth of a position (the
// exact terminal reward under perfect play, or an estimate of it).
//
// Every measure is a mean over positions of something computed per position,
// or (for the calibration error) a function of per-bin sums. So each set of
// positions reduces to one vector of additive sums (MeasureSums): the sums of
// two disjoint sets add, which is what lets the bootstrap resample whole
// games by adding their precomputed sums instead of revisiting positions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace az::analysis {

// Win/draw/loss probabilities for the side to move.
struct Wdl {
  double win = 0.0;
  double draw = 1.0;
  double loss = 0.0;
  // The expected reward, P(win) - P(loss).
  double Value() const { return win - loss; }
};

// The distribution with expectation `value` and no draw probability,
// {(1 + value) / 2, 0, (1 - value) / 2}: what a scalar-only value (a search
// value q) is taken to predict.
Wdl DrawFreeWdl(double value);

// The three outcome classes of the 3-class accuracy.
enum class OutcomeClass { kLoss = 0, kDraw = 1, kWin = 2 };

// What a learned value (never a reward) predicts for one position.
struct ValuePrediction {
  double value = 0.0;  // in [-1, 1], for the side to move
  Wdl wdl;             // the predicted distribution
  // Whether `wdl` came from the evaluator (a network's WDL head, rollout
  // frequencies, an exact value): then the predicted class is its argmax.
  // Otherwise `wdl` is DrawFreeWdl(value) and the class comes from
  // thresholds on the value (see PredictedClass).
  bool has_wdl = false;
};

// The ground truth of one position: a one-hot distribution when it is the
// exact reward under perfect play, outcome frequencies when it is estimated
// from games played on.
struct RewardTarget {
  Wdl wdl;
  bool exact = true;
  double Value() const { return wdl.Value(); }
};

// The class a prediction names: the argmax of its WDL where it has one
// (ties go to draw, then win), else win above +1/3, loss below -1/3, draw
// between.
OutcomeClass PredictedClass(const ValuePrediction& prediction);
// The class of a target: for an exact target the sign of its reward (a
// graded payoff's too), for an estimate its expected reward with the same
// thresholds.
OutcomeClass TargetClass(const RewardTarget& target);

// A value beyond this magnitude counts as confident.
constexpr double kConfidentValue = 0.9;
// Probabilities are clipped below at this before their logarithm.
constexpr double kLogLossFloor = 1e-6;
// Equal-width bins of the value on [-1, 1] for calibration.
constexpr int kCalibrationBins = 15;

// One position scored: the prediction against the truth, and whether the
// move the predictor would play loses value (nullopt where unknown).
struct ScoredPosition {
  ValuePrediction prediction;
  RewardTarget target;
  std::optional<bool> move_mistake;
};

// The additive sums behind every measure (see the file comment).
struct MeasureSums {
  enum Index {
    kCount = 0,
    kSquaredError,
    kCorrect,
    kConfidentWrong,
    kLogLoss,
    kBrier,
    kMovesLabelled,
    kMoveMistakes,
    kValueSum,
    kTargetSum,
    kFirstBin,  // then kCalibrationBins x {count, value sum, target sum}
  };
  static constexpr int kSize = kFirstBin + 3 * kCalibrationBins;

  std::array<double, kSize> sums{};

  void Add(const ScoredPosition& position);
  MeasureSums& operator+=(const MeasureSums& other);
};

// The calibration bin of a value in [-1, 1].
int CalibrationBin(double value);

// One bin of a reliability diagram.
struct ReliabilityBin {
  double lo = 0.0, hi = 0.0;  // the bin's value range
  int64_t positions = 0;
  double mean_value = 0.0;   // mean predicted value in the bin
  double mean_target = 0.0;  // mean ground-truth reward in the bin
};

struct Measures {
  int64_t positions = 0;
  // Mean of (value - target value)^2.
  double mse = 0.0;
  // Share of positions whose predicted class is the target's.
  double accuracy = 0.0;
  // Share of positions with |value| > kConfidentValue whose outcome is not
  // the one the value is confident of (a value above 0.9 where the truth is
  // a draw or a loss, below -0.9 where it is a draw or a win).
  double confident_wrong_rate = 0.0;
  // Mean of -sum_k t_k log(max(p_k, kLogLossFloor)) over the three classes.
  double log_loss = 0.0;
  // Mean of sum_k (p_k - t_k)^2 over the three classes (0 to 2).
  double brier = 0.0;
  // Expected calibration error of the value: sum over bins of
  // (bin share) * |mean value - mean target value|.
  double ece = 0.0;
  // Share of move-labelled positions where the chosen move is a mistake;
  // NaN where no position has move labels.
  double move_mistake_rate = 0.0;
  int64_t moves_labelled = 0;
  double mean_value = 0.0;
  double mean_target = 0.0;
};

// The measures of the sums in `sums` (MeasureSums::kSize values). With no
// position every measure is NaN.
Measures MeasuresFromSums(const double* sums);
inline Measures MeasuresFromSums(const MeasureSums& sums) {
  return MeasuresFromSums(sums.sums.data());
}
std::vector<ReliabilityBin> ReliabilityFromSums(const double* sums);

// The measures over a list of positions.
Measures ComputeMeasures(const std::vector<ScoredPosition>& positions);

// The names of the figures reported per value source, in output order, as
// they appear in JSON and CSV: "mse", "accuracy", "confident_wrong_rate",
// "log_loss", "brier", "ece", "move_mistake_rate".
const std::vector<std::string>& MeasureNames();
// The figure of `m` named MeasureNames()[index].
double MeasureByIndex(const Measures& m, int index);

}  // namespace az::analysis
