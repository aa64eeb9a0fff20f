// The learning rate over a training run with a known budget: constant, then
// annealed along a half cosine over the last part of the budget. A run that
// knows when it ends (az train --max_minutes or --max_steps) finishes on
// small steps, which averages out the noise of the last updates; a run
// without a budget keeps the base rate.
#pragma once

namespace az::nn {

struct LearningRateSchedule {
  double base = 2e-3;
  // Share of the budget, at its end, over which the rate falls (0: never).
  double anneal_fraction = 0.0;
  // The rate at the end of the budget, as a share of `base`.
  double final_fraction = 0.1;
};

// The rate at `progress`, the share of the budget used so far (clamped to
// [0, 1]; a negative progress means "no budget" and gives `base`).
double ScheduledLearningRate(const LearningRateSchedule& schedule,
                             double progress);

}  // namespace az::nn
