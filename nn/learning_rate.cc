#include "nn/learning_rate.h"

#include <algorithm>
#include <cmath>

namespace az::nn {

double ScheduledLearningRate(const LearningRateSchedule& schedule,
                             double progress) {
  const double anneal = std::clamp(schedule.anneal_fraction, 0.0, 1.0);
  if (progress < 0 || anneal == 0) return schedule.base;
  const double start = 1.0 - anneal;
  progress = std::min(progress, 1.0);
  if (progress <= start) return schedule.base;
  // From 0 at the start of the anneal to 1 at the end of the budget.
  const double t = (progress - start) / anneal;
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * t));
  const double floor = schedule.final_fraction;
  return schedule.base * (floor + (1.0 - floor) * cosine);
}

}  // namespace az::nn
