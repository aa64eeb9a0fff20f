#include "base/random.h"

#include <random>

namespace az::base {

void SampleDirichlet(float alpha, int n, Rng& rng, float* out) {
  std::gamma_distribution<double> gamma(alpha, 1.0);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    double g = gamma(rng);
    out[i] = static_cast<float>(g);
    sum += g;
  }
  if (sum <= 0.0) {
    // Every sample underflowed (tiny alpha): the limit of the distribution
    // puts all the mass on one component.
    for (int i = 0; i < n; ++i) out[i] = 0.0f;
    out[rng.Below(n)] = 1.0f;
    return;
  }
  for (int i = 0; i < n; ++i) out[i] = static_cast<float>(out[i] / sum);
}

}  // namespace az::base
