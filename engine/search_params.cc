#include "engine/search_params.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace az::engine {
namespace {

absl::Status OutOfRange(absl::string_view name, absl::string_view rule,
                        double value) {
  return absl::InvalidArgumentError(absl::StrCat(
      "search parameter ", name, " must be ", rule, " (got ", value, ")"));
}

}  // namespace

absl::Status SearchParams::Validate() const {
  if (num_simulations < 1) {
    return OutOfRange("num_simulations", "at least 1", num_simulations);
  }
  // Bounded so that c * P * sqrt(N) stays finite for any tree this search
  // can hold (an inf times a zero prior would make the scores NaN).
  if (!(c_init > 0.0f && c_init <= kMaxCInit)) {
    return OutOfRange("c_init", "in (0, 1e6]", c_init);
  }
  if (!(c_base > 0.0f) || !std::isfinite(c_base)) {
    return OutOfRange("c_base", "positive and finite", c_base);
  }
  if (fpu_mode == FpuMode::kReduction &&
      (!(fpu_value >= 0.0f) || !std::isfinite(fpu_value))) {
    return OutOfRange("fpu_value", "a finite reduction >= 0", fpu_value);
  }
  if (fpu_mode == FpuMode::kAbsolute &&
      !(fpu_value >= -1.0f && fpu_value <= 1.0f)) {
    return OutOfRange("fpu_value", "an absolute value in [-1, 1]", fpu_value);
  }
  if (!(dirichlet_alpha > 0.0f) || !std::isfinite(dirichlet_alpha)) {
    return OutOfRange("dirichlet_alpha", "positive and finite",
                      dirichlet_alpha);
  }
  if (!(dirichlet_epsilon >= 0.0f && dirichlet_epsilon <= 1.0f)) {
    return OutOfRange("dirichlet_epsilon", "in [0, 1]", dirichlet_epsilon);
  }
  if (!(temperature >= 0.0f) || !std::isfinite(temperature)) {
    return OutOfRange("temperature", ">= 0 and finite", temperature);
  }
  if (temperature_moves < 0) {
    return OutOfRange("temperature_moves", ">= 0", temperature_moves);
  }
  if (num_threads < 1 || num_threads > 256) {
    return OutOfRange("num_threads", "in [1, 256]", num_threads);
  }
  if (virtual_loss < 1 || virtual_loss > 1000) {
    return OutOfRange("virtual_loss", "in [1, 1000]", virtual_loss);
  }
  if (max_tree_nodes < 1000 || max_tree_nodes > (int64_t{1} << 31)) {
    return OutOfRange("max_tree_nodes", "in [1000, 2^31]",
                      static_cast<double>(max_tree_nodes));
  }
  return absl::OkStatus();
}

absl::StatusOr<float> SearchParamToFloat(absl::string_view name, double value) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be a finite number (got ", value, ")"));
  }
  // Compared as doubles: converting a double beyond a float's range is
  // undefined behaviour, not just inf.
  if (std::fabs(value) > std::numeric_limits<float>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " is too large for a float (got ", value,
                     "; at most ", std::numeric_limits<float>::max(), ")"));
  }
  if (value != 0.0 && std::fabs(value) < std::numeric_limits<float>::min()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " is too close to 0 for a float (got ", value, "; 0 or at least ",
        std::numeric_limits<float>::min(), " in size)"));
  }
  return static_cast<float>(value);
}

SearchParams DefaultSearchParams(const Game& game) {
  SearchParams params;
  // alpha * (number of moves) ~ 10, as KataGo and AlphaZero's values for
  // chess (0.3) and go (0.03) suggest; capped at 1 for small games.
  params.dirichlet_alpha =
      std::clamp(10.0f / std::max(1, game.NumActions()), 0.03f, 1.0f);
  // Sample the opening: about the first sixth of the longest game.
  params.temperature_moves = std::max(2, game.MaxGameLength() / 6);
  return params;
}

SearchParams FullStrength(SearchParams params, int threads) {
  params.root_noise = false;
  params.temperature_moves = 0;
  params.num_threads = threads;
  return params;
}

SearchParams SelfPlay(SearchParams params) {
  params.root_noise = params.dirichlet_epsilon > 0;
  params.num_threads = 1;
  return params;
}

}  // namespace az::engine
