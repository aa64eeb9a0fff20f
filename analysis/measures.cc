#include "analysis/measures.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace az::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kClassThreshold = 1.0 / 3.0;

OutcomeClass ClassOfValue(double value) {
  if (value > kClassThreshold) return OutcomeClass::kWin;
  if (value < -kClassThreshold) return OutcomeClass::kLoss;
  return OutcomeClass::kDraw;
}

}  // namespace

Wdl DrawFreeWdl(double value) {
  value = std::clamp(value, -1.0, 1.0);
  return {(1.0 + value) / 2.0, 0.0, (1.0 - value) / 2.0};
}

OutcomeClass PredictedClass(const ValuePrediction& prediction) {
  if (!prediction.has_wdl) return ClassOfValue(prediction.value);
  const Wdl& p = prediction.wdl;
  OutcomeClass best = OutcomeClass::kDraw;
  double best_p = p.draw;
  if (p.win > best_p) {
    best = OutcomeClass::kWin;
    best_p = p.win;
  }
  if (p.loss > best_p) best = OutcomeClass::kLoss;
  return best;
}

OutcomeClass TargetClass(const RewardTarget& target) {
  // An exact target's outcome is its sign, a graded payoff's too.
  if (target.exact) {
    const double v = target.Value();
    return v > 0 ? OutcomeClass::kWin
           : v < 0 ? OutcomeClass::kLoss
                   : OutcomeClass::kDraw;
  }
  return ClassOfValue(target.Value());
}

int CalibrationBin(double value) {
  const double x = (std::clamp(value, -1.0, 1.0) + 1.0) / 2.0;
  return std::min(kCalibrationBins - 1, static_cast<int>(x * kCalibrationBins));
}

void MeasureSums::Add(const ScoredPosition& position) {
  const ValuePrediction& p = position.prediction;
  const RewardTarget& t = position.target;
  const double value = p.value;
  const double target = t.Value();
  sums[kCount] += 1;
  sums[kSquaredError] += (value - target) * (value - target);
  const OutcomeClass target_class = TargetClass(t);
  if (PredictedClass(p) == target_class) sums[kCorrect] += 1;
  if (value > kConfidentValue && target_class != OutcomeClass::kWin) {
    sums[kConfidentWrong] += 1;
  } else if (value < -kConfidentValue && target_class != OutcomeClass::kLoss) {
    sums[kConfidentWrong] += 1;
  }
  const double pw[3] = {p.wdl.win, p.wdl.draw, p.wdl.loss};
  const double tw[3] = {t.wdl.win, t.wdl.draw, t.wdl.loss};
  for (int k = 0; k < 3; ++k) {
    if (tw[k] > 0) {
      sums[kLogLoss] -= tw[k] * std::log(std::max(pw[k], kLogLossFloor));
    }
    sums[kBrier] += (pw[k] - tw[k]) * (pw[k] - tw[k]);
  }
  if (position.move_mistake.has_value()) {
    sums[kMovesLabelled] += 1;
    if (*position.move_mistake) sums[kMoveMistakes] += 1;
  }
  sums[kValueSum] += value;
  sums[kTargetSum] += target;
  const int bin = kFirstBin + 3 * CalibrationBin(value);
  sums[bin] += 1;
  sums[bin + 1] += value;
  sums[bin + 2] += target;
}

MeasureSums& MeasureSums::operator+=(const MeasureSums& other) {
  for (int i = 0; i < kSize; ++i) sums[i] += other.sums[i];
  return *this;
}

Measures MeasuresFromSums(const double* s) {
  Measures m;
  const double n = s[MeasureSums::kCount];
  m.positions = static_cast<int64_t>(n);
  m.moves_labelled = static_cast<int64_t>(s[MeasureSums::kMovesLabelled]);
  m.move_mistake_rate =
      m.moves_labelled > 0
          ? s[MeasureSums::kMoveMistakes] / s[MeasureSums::kMovesLabelled]
          : kNaN;
  if (n <= 0) {
    m.mse = m.accuracy = m.confident_wrong_rate = m.log_loss = m.brier = m.ece =
        m.mean_value = m.mean_target = kNaN;
    return m;
  }
  m.mse = s[MeasureSums::kSquaredError] / n;
  m.accuracy = s[MeasureSums::kCorrect] / n;
  m.confident_wrong_rate = s[MeasureSums::kConfidentWrong] / n;
  m.log_loss = s[MeasureSums::kLogLoss] / n;
  m.brier = s[MeasureSums::kBrier] / n;
  m.mean_value = s[MeasureSums::kValueSum] / n;
  m.mean_target = s[MeasureSums::kTargetSum] / n;
  double ece = 0.0;
  for (int b = 0; b < kCalibrationBins; ++b) {
    const double* bin = s + MeasureSums::kFirstBin + 3 * b;
    if (bin[0] > 0) ece += std::fabs(bin[1] - bin[2]) / n;
  }
  m.ece = ece;
  return m;
}

std::vector<ReliabilityBin> ReliabilityFromSums(const double* s) {
  std::vector<ReliabilityBin> bins(kCalibrationBins);
  for (int b = 0; b < kCalibrationBins; ++b) {
    const double* sums = s + MeasureSums::kFirstBin + 3 * b;
    ReliabilityBin& bin = bins[b];
    bin.lo = -1.0 + 2.0 * b / kCalibrationBins;
    bin.hi = -1.0 + 2.0 * (b + 1) / kCalibrationBins;
    bin.positions = static_cast<int64_t>(sums[0]);
    bin.mean_value = sums[0] > 0 ? sums[1] / sums[0] : kNaN;
    bin.mean_target = sums[0] > 0 ? sums[2] / sums[0] : kNaN;
  }
  return bins;
}

Measures ComputeMeasures(const std::vector<ScoredPosition>& positions) {
  MeasureSums sums;
  for (const ScoredPosition& p : positions) sums.Add(p);
  return MeasuresFromSums(sums);
}

const std::vector<std::string>& MeasureNames() {
  static const auto* names = new std::vector<std::string>{
      "mse",   "accuracy", "confident_wrong_rate", "log_loss",
      "brier", "ece",      "move_mistake_rate"};
  return *names;
}

double MeasureByIndex(const Measures& m, int index) {
  switch (index) {
    case 0:
      return m.mse;
    case 1:
      return m.accuracy;
    case 2:
      return m.confident_wrong_rate;
    case 3:
      return m.log_loss;
    case 4:
      return m.brier;
    case 5:
      return m.ece;
    case 6:
      return m.move_mistake_rate;
  }
  return kNaN;
}

}  // namespace az::analysis
