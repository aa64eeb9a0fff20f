// The commands that run a network, through the binary: analyze with a
// checkpoint, the inference benchmark (which loads the LibTorch plugin), and
// every bad network input.
#include <unistd.h>

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using az::testing::RunAz;
using Json = nlohmann::json;

std::string Temp(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/netcmd_", getpid(), "_", name);
}

class NetworkCommandsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    c4_ = new std::string(Temp("c4.net"));
    auto r = RunAz("init --game=connect4 --blocks=1 --channels=16 --out=" + *c4_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::string* c4_;
};
std::string* NetworkCommandsTest::c4_ = nullptr;

TEST_F(NetworkCommandsTest, AnalyzeSearchesWithTheNetwork) {
  auto r = RunAz("analyze --game=connect4 --position=4453 --evaluator=net:" +
                 *c4_ + " --sims=200 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  int total = 0;
  for (auto& [move, count] : j["visits"].items()) total += count.get<int>();
  EXPECT_EQ(total, 199);
  // A network's value is a learned estimate in [-1, 1], never an exact value.
  EXPECT_GE(j["v"].get<double>(), -1.0);
  EXPECT_LE(j["v"].get<double>(), 1.0);
  EXPECT_FALSE(j["proven"].get<bool>());
  // Several search threads share the server and still count every visit.
  auto t = RunAz("analyze --game=connect4 --position=4453 --evaluator=net:" +
                 *c4_ + " --sims=200 --threads=2 --json");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  total = 0;
  Json threaded = Json::parse(t.out);
  for (auto& [move, count] : threaded["visits"].items()) {
    total += count.get<int>();
  }
  EXPECT_EQ(total, 199);
}

TEST_F(NetworkCommandsTest, InferenceBenchPrintsItsFigures) {
  // LeakSanitizer (asan preset) crashes at exit in a process that has
  // dlopen'ed LibTorch (seen with its OpenMP threads); leaks of az's own
  // code are still checked by every other command test.
  setenv("ASAN_OPTIONS", "detect_leaks=0", /*overwrite=*/0);
  auto r = RunAz("bench --what=inference --game=connect4 --blocks=1 "
                 "--channels=8 --batch=16 --seconds=0.05 --clients=2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  for (const char* key : {"naive_evals_per_s", "bare_evals_per_s",
                          "server_evals_per_s", "ratio", "batch", "device",
                          "max_value_diff", "max_policy_diff"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_GT(j["naive_evals_per_s"].get<double>(), 0);
  EXPECT_GT(j["bare_evals_per_s"].get<double>(), 0);
  EXPECT_GT(j["server_evals_per_s"].get<double>(), 0);
  EXPECT_EQ(j["batch"], 16);
  // The fast forward computes the same function as LibTorch's fp32 forward.
  EXPECT_LT(j["max_value_diff"].get<double>(), 1e-4);
  EXPECT_LT(j["max_policy_diff"].get<double>(), 1e-4);
}

TEST_F(NetworkCommandsTest, BadNetworkInputIsOneLineAndNonZero) {
  std::string garbage = Temp("garbage.net");
  std::ofstream(garbage) << "AZCKPT\r\n but then nothing sensible";
  for (const std::string& args : {
           "analyze --game=tictactoe --position=1 --evaluator=net:" + *c4_,
           std::string("analyze --game=connect4 --position=4 --evaluator=net:/nonexistent"),
           "analyze --game=connect4 --position=4 --evaluator=net:" + garbage,
           std::string("analyze --game=connect4 --position=4 --evaluator=net:"),
           "analyze --game=connect4 --position=4 --device=tpu --evaluator=net:" + *c4_,
           "analyze --game=connect4 --position=4 --precision=fp8 --evaluator=net:" + *c4_,
           "analyze --game=connect4 --position=4 --backend=fast --precision=fp16 --evaluator=net:" + *c4_,
           "analyze --game=connect4 --position=4 --kernels=avx1024 --evaluator=net:" + *c4_,
           "analyze --game=connect4 --position=4 --max_batch=0 --evaluator=net:" + *c4_,
           "bench --what=inference --game=connect4 --net=" + garbage,
           std::string("bench --what=inference --game=connect4 --batch=0"),
           std::string("solve --game=connect4 --positions=x --device=cpu"),
       }) {
    testing::ExpectOneLineError(args, "az ", testing::kAnyFailure);
  }
}

}  // namespace
}  // namespace az
