#include "engine/search_params.h"

#include <cmath>

#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::engine {
namespace {

void ExpectRejected(const SearchParams& params, const std::string& name) {
  absl::Status status = params.Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
  EXPECT_NE(status.message().find(name), std::string::npos) << status;
}

TEST(SearchParamsTest, DefaultsAreValidForEveryGame) {
  EXPECT_TRUE(SearchParams().Validate().ok());
  for (const std::string& name : GameNames()) {
    SearchParams params = DefaultSearchParams(**FindGame(name));
    EXPECT_TRUE(params.Validate().ok()) << name;
    EXPECT_GT(params.dirichlet_alpha, 0.0f);
    EXPECT_GT(params.temperature_moves, 0);
  }
}

TEST(SearchParamsTest, OutOfRangeValuesAreNamed) {
  SearchParams p;
  p.num_simulations = -5;
  ExpectRejected(p, "num_simulations");
  EXPECT_NE(p.Validate().message().find("-5"), std::string::npos);
  p = SearchParams();
  p.num_simulations = 0;
  ExpectRejected(p, "num_simulations");
  p = SearchParams();
  p.dirichlet_alpha = 0.0f;
  ExpectRejected(p, "dirichlet_alpha");
  p.dirichlet_alpha = -1.0f;
  ExpectRejected(p, "dirichlet_alpha");
  p = SearchParams();
  p.dirichlet_epsilon = 1.5f;
  ExpectRejected(p, "dirichlet_epsilon");
  p = SearchParams();
  p.c_init = 0.0f;
  ExpectRejected(p, "c_init");
  // Finite, but large enough to overflow the exploration term.
  p.c_init = 3e38f;
  ExpectRejected(p, "c_init");
  p.c_init = 1e6f;
  EXPECT_TRUE(p.Validate().ok());
  p = SearchParams();
  p.c_base = -1.0f;
  ExpectRejected(p, "c_base");
  p = SearchParams();
  p.temperature = -0.1f;
  ExpectRejected(p, "temperature");
  p = SearchParams();
  p.temperature_moves = -1;
  ExpectRejected(p, "temperature_moves");
  p = SearchParams();
  p.num_threads = 0;
  ExpectRejected(p, "num_threads");
  p = SearchParams();
  p.virtual_loss = 0;
  ExpectRejected(p, "virtual_loss");
  p = SearchParams();
  p.fpu_value = -0.5f;
  ExpectRejected(p, "fpu_value");
  p.fpu_mode = FpuMode::kAbsolute;
  EXPECT_TRUE(p.Validate().ok());
  p.fpu_value = 2.0f;
  ExpectRejected(p, "fpu_value");
  p = SearchParams();
  p.max_tree_nodes = 10;
  ExpectRejected(p, "max_tree_nodes");
}

TEST(SearchParamToFloatTest, RefusesWhatAFloatCannotHold) {
  EXPECT_EQ(*SearchParamToFloat("c_init", 1.25), 1.25f);
  EXPECT_EQ(*SearchParamToFloat("c_init", 0.0), 0.0f);
  EXPECT_EQ(*SearchParamToFloat("c_init", -3e38), -3e38f);
  for (double bad :
       {1e39, -1e39, 1e-50, -1e-50, 1e-45, HUGE_VAL, double{NAN}}) {
    absl::StatusOr<float> f = SearchParamToFloat("c_init", bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(f.status().message().rfind("c_init ", 0), 0) << f.status();
  }
}

}  // namespace
}  // namespace az::engine
