#include <nlohmann/json.hpp>
#include <string>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using az::testing::RunAz;
using az::testing::ExpectOneLineError;
using Json = nlohmann::json;

Json ParseJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not one JSON object: " << text;
  return j;
}

TEST(AnalyzeCommandTest, JsonHasTheDocumentedKeys) {
  auto r = RunAz(
      "analyze --game=connect4 --position=4453 --evaluator=uniform "
      "--sims=300 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  for (const char* key : {"best_move", "q", "v", "proven", "exact", "visits",
                          "pv", "reward_share", "moves"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_TRUE(j["proven"].is_boolean());
  EXPECT_FALSE(j["proven"].get<bool>());
  EXPECT_TRUE(j["exact"].is_null());
  int total = 0;
  for (auto& [move, count] : j["visits"].items()) {
    EXPECT_EQ(move.size(), 1u);
    total += count.get<int>();
  }
  EXPECT_EQ(total, 299);
  EXPECT_EQ(j["visits"].size(), 7u);
  std::string best = j["best_move"];
  EXPECT_TRUE(best >= "1" && best <= "7") << best;
}

TEST(AnalyzeCommandTest, SolverProvesTheRoot) {
  // X (first) holds 1 and 5, O holds 2 and 9: X wins with 4 or 7.
  auto r = RunAz(
      "analyze --game=tictactoe --position=1259 --evaluator=solver "
      "--sims=200 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  EXPECT_TRUE(j["proven"].get<bool>());
  EXPECT_EQ(j["exact"], 1);
  EXPECT_TRUE(j["best_move"] == "4" || j["best_move"] == "7") << j["best_move"];
  EXPECT_DOUBLE_EQ(j["v"].get<double>(), 1.0);
}

TEST(AnalyzeCommandTest, RolloutsWithThreadsAndReadableText) {
  auto r = RunAz(
      "analyze --game=connect4 --position=44 --evaluator=rollout "
      "--rollouts=2 --sims=2000 --threads=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text :
       {"best move:", "q (search value", "v (evaluator", "proven: no",
        "reward/value share", "principal variation:", "visits"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
}

TEST(AnalyzeCommandTest, BadInputIsOneClearLineAndExitTwo) {
  ExpectOneLineError("analyze --game=connect4 --position=4489", "move 3");
  ExpectOneLineError("analyze --game=connect4 --position=1111111",
                   "not a legal move");
  ExpectOneLineError("analyze --game=chess", "unknown game");
  ExpectOneLineError("analyze --game=connect4 --evaluator=oracle",
                   "unknown evaluator");
  ExpectOneLineError("analyze --game=connect4 --sims=-5", "num_simulations");
  ExpectOneLineError("analyze --game=connect4 --threads=-2", "num_threads");
  ExpectOneLineError("analyze --game=connect4 --evaluator=rollout --rollouts=0",
                   "rollouts");
  ExpectOneLineError("analyze --game=connect4 --evaluator=rollout:x",
                   "rollout:K");
  ExpectOneLineError("analyze --game=tictactoe --position=14253", "already over");
  ExpectOneLineError("analyze --game=connect4 --c_init=0", "c_init");
  ExpectOneLineError("analyze --game=connect4 --json extra", "unexpected");
}

TEST(AnalyzeCommandTest, LogsStayOffStdout) {
  auto r = RunAz("analyze --game=tictactoe --sims=50 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;
  ParseJson(r.out);
}

}  // namespace
}  // namespace az
