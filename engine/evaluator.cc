#include "engine/evaluator.h"

#include <algorithm>

namespace az::engine {

ValueEstimate ValueEstimate::FromScalar(float v) {
  v = std::clamp(v, -1.0f, 1.0f);
  return ValueEstimate{(1.0f + v) / 2.0f, 0.0f, (1.0f - v) / 2.0f};
}

}  // namespace az::engine
