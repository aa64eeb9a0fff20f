#include "analysis/bootstrap.h"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/random.h"

namespace az::analysis {

std::vector<double> BootstrapReplicates(const std::vector<double>& block_sums,
                                        int dims,
                                        const SumsStatistic& statistic,
                                        int num_outputs,
                                        const BootstrapOptions& options) {
  CHECK_GT(dims, 0);
  CHECK_EQ(block_sums.size() % dims, 0u);
  const size_t num_blocks = block_sums.size() / dims;
  std::vector<double> replicates(
      static_cast<size_t>(options.resamples) * num_outputs,
      std::numeric_limits<double>::quiet_NaN());
  if (num_blocks == 0) return replicates;
  base::Rng rng(options.seed);
  std::vector<double> sums(dims);
  for (int r = 0; r < options.resamples; ++r) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (size_t i = 0; i < num_blocks; ++i) {
      const double* row =
          block_sums.data() + static_cast<size_t>(rng.Below(num_blocks)) * dims;
      for (int d = 0; d < dims; ++d) sums[d] += row[d];
    }
    statistic(sums.data(),
              replicates.data() + static_cast<size_t>(r) * num_outputs);
  }
  return replicates;
}

Interval PercentileInterval(std::vector<double> values, double level) {
  values.erase(std::remove_if(values.begin(), values.end(),
                              [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  std::sort(values.begin(), values.end());
  // Linear interpolation between order statistics (type 7 quantiles).
  auto quantile = [&](double p) {
    const double pos = p * (values.size() - 1);
    const size_t i = static_cast<size_t>(std::floor(pos));
    const size_t j = std::min(i + 1, values.size() - 1);
    return values[i] + (pos - i) * (values[j] - values[i]);
  };
  const double tail = (1.0 - level) / 2.0;
  return {quantile(tail), quantile(1.0 - tail)};
}

Interval ReplicateInterval(const std::vector<double>& replicates,
                           int num_outputs, int column, double level) {
  std::vector<double> values;
  values.reserve(replicates.size() / num_outputs);
  for (size_t i = column; i < replicates.size(); i += num_outputs) {
    values.push_back(replicates[i]);
  }
  return PercentileInterval(std::move(values), level);
}

}  // namespace az::analysis
