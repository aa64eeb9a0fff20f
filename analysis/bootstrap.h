// The percentile bootstrap over blocks: every figure of `az gap` gets a 95%
// interval by resampling whole games (blocks) with replacement, since
// positions of one game are correlated and resampling them one by one would
// give intervals that are too narrow.
//
// Figures are functions of additive sums (analysis/measures.h), so the
// caller reduces each block to its vector of sums once, and a resample is a
// sum of block vectors: thousands of resamples of thousands of games take a
// fraction of a second.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace az::analysis {

struct BootstrapOptions {
  int resamples = 1000;
  uint64_t seed = 1;
  double level = 0.95;  // coverage of the percentile interval
};

struct Interval {
  double lo = 0.0;
  double hi = 0.0;
};

// Computes `num_outputs` figures from `dims` summed values.
using SumsStatistic = std::function<void(const double* sums, double* out)>;

// The figures of `options.resamples` bootstrap resamples. `block_sums` holds
// one row of `dims` sums per block (num_blocks x dims, row-major); each
// resample draws num_blocks blocks with replacement, adds their rows and
// applies `statistic`. Returns resamples x num_outputs values (row-major).
// Repeatable for a seed.
std::vector<double> BootstrapReplicates(const std::vector<double>& block_sums,
                                        int dims,
                                        const SumsStatistic& statistic,
                                        int num_outputs,
                                        const BootstrapOptions& options);

// The percentile interval of `values` at `level` (NaNs ignored; a NaN
// interval when all are NaN).
Interval PercentileInterval(std::vector<double> values, double level);

// The interval of output `column` of a replicate matrix.
Interval ReplicateInterval(const std::vector<double>& replicates,
                           int num_outputs, int column, double level);

}  // namespace az::analysis
