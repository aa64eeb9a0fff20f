#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "base/file.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "nn/network_config.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"
#include "tests/selfplay/random_records.h"
#include "tests/test_util.h"

namespace az {
namespace {

using az::testing::RunAz;
using Json = nlohmann::json;

const Game& TicTacToe() { return **FindGame("tictactoe"); }

// A small random network for `game` at `path`.
void WriteNet(const std::string& game_name, const std::string& path,
              uint64_t seed, int64_t step = 0) {
  const Game& game = **FindGame(game_name);
  auto checkpoint =
      nn::NewRandomCheckpoint(nn::NetworkConfig::ForGame(game, 1, 8), seed);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  checkpoint->metadata.training_step = step;
  ASSERT_TRUE(nn::SaveCheckpoint(*checkpoint, path).ok());
}

// A run directory as the trainer leaves it: checkpoints at two steps and
// held-out games.
std::string MakeRun(const std::string& name) {
  const std::string run = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(run);
  selfplay::RunPaths paths(run);
  std::filesystem::create_directories(paths.checkpoints());
  for (int64_t step : {0, 50}) {
    WriteNet("tictactoe",
             paths.checkpoints() + "/" + selfplay::CheckpointFileName(step),
             7 + step, step);
  }
  EXPECT_TRUE(
      selfplay::WriteLatestPointer(run, selfplay::CheckpointFileName(50)).ok());
  auto store = selfplay::ReplayStore::Open(paths.heldout(), "tictactoe", 4);
  EXPECT_TRUE(store.ok());
  for (int g = 0; g < 8; ++g) {
    EXPECT_TRUE(
        (*store)
            ->Append(selfplay::testing::RandomGameRecord(TicTacToe(), g))
            .ok());
  }
  EXPECT_TRUE((*store)->Flush().ok());
  return run;
}

Json ParseJson(const std::string& out) {
  Json j = Json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

TEST(GapCommandTest, SolverHasZeroGap) {
  auto r = RunAz(
      "gap --game=tictactoe --players=solver --generate=random:120 "
      "--budgets=0,10 --resamples=200 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  ASSERT_EQ(j["sets"].size(), 1u);
  const Json& s = j["sets"][0];
  EXPECT_EQ(s["name"], "random:120");
  EXPECT_EQ(s["player"], "solver");
  EXPECT_EQ(s["positions"], 120);
  for (const char* source : {"value", "search_10"}) {
    EXPECT_EQ(s[source]["mse"], 0.0) << source;
    EXPECT_EQ(s[source]["mse_hi"], 0.0) << source;
    EXPECT_EQ(s[source]["accuracy"], 1.0) << source;
    EXPECT_EQ(s[source]["accuracy_lo"], 1.0) << source;
    EXPECT_EQ(s[source]["confident_wrong_rate"], 0.0) << source;
    EXPECT_EQ(s[source]["move_mistake_rate"], 0.0) << source;
    EXPECT_EQ(s[source]["ece"], 0.0) << source;
  }
  EXPECT_FALSE(s.contains("search_0"));
}

TEST(GapCommandTest, NetworkOnAFileSetWithTable) {
  const std::string net = ::testing::TempDir() + "/gap_command_test_ttt.net";
  WriteNet("tictactoe", net, 3);
  const std::string file = az::testing::WriteTempFile(
      "gap_ttt_positions", "# a few positions\n5\n51\n1425\n159 \n");
  auto r = RunAz("gap --game=tictactoe --players=net:" + net +
                 ":raw,uniform --sets=" + file +
                 " --label_cache=off --resamples=200 --worst=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "4 positions from 4 games")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "player net:" + net + ":raw")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "player uniform")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "worst positions")) << r.out;
  // :raw measures the value alone; uniform gets the default budget.
  const std::string net_part = r.out.substr(0, r.out.find("player uniform"));
  EXPECT_FALSE(absl::StrContains(net_part, "search_")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "search_50")) << r.out;
}

TEST(GapCommandTest, SpecOptionsSetThatPlayersSearches) {
  // sims=N anywhere among the options replaces --budgets; c_init reaches
  // the searches (two exploration rates, two different search values).
  auto r = RunAz(
      "gap --game=tictactoe --players=mcts:sims=12:c_init=0.01,"
      "mcts:c_init=100:sims=12 --generate=random:60 --budgets=0,40 "
      "--resamples=100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  ASSERT_EQ(j["sets"].size(), 2u) << r.out;
  for (const Json& s : j["sets"]) {
    EXPECT_TRUE(s.contains("search_12")) << s["player"];
    EXPECT_FALSE(s.contains("search_40")) << s["player"];
  }
  EXPECT_NE(j["sets"][0]["search_12"]["mse"], j["sets"][1]["search_12"]["mse"]);
}

TEST(GapCommandTest, RunInTrainingOrderWithReportDirectory) {
  const std::string run = MakeRun("gap_run");
  const std::string out = ::testing::TempDir() + "/gap_run_report";
  std::filesystem::remove_all(out);
  auto r = RunAz("gap --game=tictactoe --run=" + run +
                 " --generate=random:40 --budgets=8 --resamples=200 --json "
                 "--out=" +
                 out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  // Two checkpoints x (heldout:RUN, random:40), in training order.
  ASSERT_EQ(j["sets"].size(), 4u);
  EXPECT_EQ(j["sets"][0]["name"], "heldout:" + run);
  EXPECT_EQ(j["sets"][0]["step"], 0);
  EXPECT_EQ(j["sets"][0]["in_distribution"], true);
  EXPECT_EQ(j["sets"][3]["step"], 50);
  EXPECT_EQ(j["sets"][1]["name"], "random:40");
  const Json& diff = j["sets"][1]["in_minus_out"];
  EXPECT_EQ(diff["reference"], "heldout:" + run);
  const double d = diff["all"]["value"]["mse"];
  EXPECT_NEAR(d,
              j["sets"][0]["value"]["mse"].get<double>() -
                  j["sets"][1]["value"]["mse"].get<double>(),
              1e-9);
  EXPECT_LE(diff["all"]["value"]["mse_lo"].get<double>(), d);
  EXPECT_GE(diff["all"]["value"]["mse_hi"].get<double>(), d);
  // Held-out positions come from games: fewer games than positions.
  EXPECT_LT(j["sets"][0]["games"].get<int>(),
            j["sets"][0]["positions"].get<int>());
  for (const char* name : {"figures.csv", "positions.csv", "differences.csv",
                           "report.md", "steps-mse.gp"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + name)) << name;
  }
  // The labels of the held-out set are cached beside it.
  EXPECT_TRUE(std::filesystem::exists(run + "/heldout/gap-labels"));
}

// Several players: every pair on every set gets an agreement table, in the
// JSON, agreement.csv and report.md; a player against itself is no pair.
TEST(GapCommandTest, AgreementOfEveryPairOnEverySet) {
  const std::string a = ::testing::TempDir() + "/gap_agree_a.net";
  const std::string b = ::testing::TempDir() + "/gap_agree_b.net";
  WriteNet("tictactoe", a, 11);
  WriteNet("tictactoe", b, 12);
  const std::string run = MakeRun("gap_agree_run");
  const std::string out = ::testing::TempDir() + "/gap_agree_report";
  std::filesystem::remove_all(out);
  auto r = RunAz("gap --game=tictactoe --players=net:" + a + ":raw,net:" + b +
                 ":raw,solver --sets=heldout:" + run +
                 " --generate=random:50 --resamples=100 --json --out=" + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  ASSERT_EQ(j["agreement"].size(), 6u) << r.out;  // 3 pairs x 2 sets
  int in_distribution = 0;
  for (const Json& p : j["agreement"]) {
    EXPECT_NE(p["player_a"], p["player_b"]);
    in_distribution += p["in_distribution"].get<bool>();
    const Json& all = p["strata"]["all"];
    const double share = all["sign_disagreement"]["value"];
    EXPECT_NEAR(share,
                all["sign_disagreements"].get<double>() /
                    all["positions"].get<double>(),
                1e-12);
    EXPECT_GT(all["mean_abs_v_difference"]["value"].get<double>(), 0.0);
  }
  EXPECT_EQ(in_distribution, 3);
  std::ifstream csv(out + "/agreement.csv");
  std::string line;
  int rows = -1;  // the header
  while (std::getline(csv, line)) ++rows;
  EXPECT_GE(rows, 6 * 5);  // at least the "all" stratum's five figures
  std::stringstream md;
  md << std::ifstream(out + "/report.md").rdbuf();
  EXPECT_TRUE(absl::StrContains(md.str(), "## Agreement between players"));
  // --agreement_band reaches the table.
  auto band = RunAz("gap --game=tictactoe --players=solver,uniform "
                    "--generate=random:20 --resamples=100 --budgets=0 "
                    "--agreement_band=0.25 --json");
  ASSERT_EQ(band.exit_code, 0) << band.err;
  EXPECT_EQ(ParseJson(band.out)["agreement"][0]["sign_band"], 0.25);
  // The same player twice is one player: no pair.
  auto same = RunAz("gap --game=tictactoe --players=solver --generate=random:20 "
                    "--resamples=100 --json");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(ParseJson(same.out)["agreement"].size(), 0u);
}

// --reward measures against a reward spec's exact values and, since the
// spec is not the rules, decomposes: the no_diagonals solver's value is its
// reward (inner 0), so its whole error against the rules is outer.
TEST(GapCommandTest, RewardDecomposesIntoInnerOuterAndTotal) {
  const std::string out = ::testing::TempDir() + "/gap_reward_report";
  std::filesystem::remove_all(out);
  auto r = RunAz(
      "gap --game=tictactoe --players=solver --reward=no_diagonals "
      "--generate=random:100 --budgets=0 --resamples=200 --json --out=" +
      out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  ASSERT_EQ(j["sets"].size(), 2u) << r.out;
  const Json& inner = j["sets"][0];
  const Json& total = j["sets"][1];
  EXPECT_EQ(inner["ground_truth"], "reward:no_diagonals");
  EXPECT_EQ(total["ground_truth"], "rules");
  EXPECT_EQ(inner["positions"], total["positions"]);
  EXPECT_EQ(inner["value"]["mse"], 0.0);
  const double total_mse = total["value"]["mse"];
  EXPECT_GT(total_mse, 0.0);
  ASSERT_TRUE(inner.contains("decomposition")) << inner.dump();
  EXPECT_FALSE(total.contains("decomposition"));
  const Json& all = inner["decomposition"]["strata"]["all"];
  EXPECT_EQ(inner["decomposition"]["reward"], "no_diagonals");
  EXPECT_EQ(all["inner_value_vs_reward"]["value"]["mse"], 0.0);
  EXPECT_EQ(all["total_value_vs_rules"]["value"]["mse"], total_mse);
  const Json& outer = all["outer_reward_vs_rules"];
  EXPECT_GT(outer["mean_abs_difference"].get<double>(), 0.0);
  EXPECT_GT(outer["sign_disagreement_rate"].get<double>(), 0.0);
  EXPECT_LE(outer["sign_disagreement_rate_lo"].get<double>(),
            outer["sign_disagreement_rate"].get<double>());
  EXPECT_GT(outer["reward_best_move_rules_mistake_rate"].get<double>(), 0.0);
  EXPECT_GT(all["total_value_vs_rules"]["value"]["move_mistake_rate"]
                .get<double>(),
            0.0);
  for (const char* name : {"decomposition.csv", "report.md", "figures.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + name)) << name;
  }
  std::ifstream md(out + "/report.md");
  std::stringstream page;
  page << md.rdbuf();
  EXPECT_TRUE(absl::StrContains(page.str(), "## Inner, outer and total"));
  EXPECT_TRUE(absl::StrContains(
      page.str(), "### random:100, player solver: reward no_diagonals vs the "
                  "rules"));
  std::ifstream csv(out + "/decomposition.csv");
  std::stringstream text;
  text << csv.rdbuf();
  EXPECT_TRUE(absl::StartsWith(
      text.str(),
      "set,player,step,trained_on,reward,stratum,positions,games,part,"
      "source,measure,value,lo,hi\n"));
  for (const char* part : {",inner_value_vs_reward,", ",outer_reward_vs_rules,",
                           ",total_value_vs_rules,"}) {
    EXPECT_TRUE(absl::StrContains(text.str(), part)) << part;
  }
  // The table says it, too.
  auto table = RunAz(
      "gap --game=tictactoe --players=solver --reward=no_diagonals "
      "--generate=random:30 --budgets=0 --resamples=100");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(absl::StrContains(table.out, "ground truth (reward:no_diagonals)"))
      << table.out;
  EXPECT_TRUE(absl::StrContains(table.out, "ground truth (rules)")) << table.out;
  EXPECT_TRUE(absl::StrContains(
      table.out, "inner / outer / total: random:30, player solver: reward "
                 "no_diagonals vs the rules"))
      << table.out;
}

TEST(GapCommandTest, TheRulesAsRewardAddNoDecomposition) {
  auto r = RunAz(
      "gap --game=tictactoe --players=solver --reward=rules "
      "--generate=random:20 --budgets=0 --resamples=100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  ASSERT_EQ(j["sets"].size(), 1u);
  EXPECT_EQ(j["sets"][0]["ground_truth"], "rules");
  EXPECT_FALSE(j["sets"][0].contains("decomposition"));
}

// A run player is measured against the reward its RUN/config records.
TEST(GapCommandTest, ARunIsMeasuredAgainstItsOwnReward) {
  const std::string run = MakeRun("gap_reward_run");
  ASSERT_TRUE(base::WriteFileAtomically(selfplay::RunPaths(run).config(),
                                        "--reward=no_diagonals\n")
                  .ok());
  auto r = RunAz("gap --game=tictactoe --players=run:" + run +
                 " --generate=random:20 --budgets=0 --resamples=100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  ASSERT_EQ(j["sets"].size(), 2u) << r.out;
  EXPECT_EQ(j["sets"][0]["ground_truth"], "reward:no_diagonals");
  EXPECT_EQ(j["sets"][0]["trained_on"], "no_diagonals");
  EXPECT_EQ(j["sets"][1]["ground_truth"], "rules");
  // --reward overrides the run's own.
  auto rules = RunAz("gap --game=tictactoe --players=run:" + run +
                     " --reward=rules --generate=random:20 --budgets=0 "
                     "--resamples=100 --json");
  ASSERT_EQ(rules.exit_code, 0) << rules.err;
  Json k = ParseJson(rules.out);
  ASSERT_EQ(k["sets"].size(), 1u);
  EXPECT_EQ(k["sets"][0]["ground_truth"], "rules");
  EXPECT_EQ(k["sets"][0]["trained_on"], "no_diagonals");
  // A config naming a spec the game lacks is one line.
  ASSERT_TRUE(base::WriteFileAtomically(selfplay::RunPaths(run).config(),
                                        "--reward=discs\n")
                  .ok());
  auto bad = az::testing::ExpectOneLineError(
      "gap --game=tictactoe --players=run:" + run + " --generate=random:5",
      "--reward=discs");
  EXPECT_TRUE(absl::StrContains(bad.err, "its specs: rules")) << bad.err;
}

TEST(GapCommandTest, HelpListsTheFlags) {
  auto r = RunAz("help gap");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* flag :
       {"--sets", "--generate", "--budgets", "--run", "--playout", "--worst",
        "--label_cache", "--players", "--max_batch", "--reward"}) {
    EXPECT_TRUE(absl::StrContains(r.out, flag)) << flag;
  }
}

void ExpectError(const std::string& args, const std::string& fragment) {
  auto r = az::testing::ExpectOneLineError(args, fragment);
  EXPECT_TRUE(absl::StrContains(r.err, "az gap: ")) << r.err;
}

TEST(GapCommandTest, BadInputsAreClearErrors) {
  const std::string c4net = ::testing::TempDir() + "/gap_command_test_c4.net";
  WriteNet("connect4", c4net, 1);
  const std::string empty =
      az::testing::WriteTempFile("gap_empty", "# nothing\n");
  const std::string corrupt =
      az::testing::WriteTempFile("gap_corrupt", "12\n5x5\n");
  ExpectError("gap --game=tictactoe --players=solver --sets=/nonexistent/set",
              "/nonexistent/set");
  ExpectError("gap --game=tictactoe --players=solver --sets=" + empty,
              "no positions");
  ExpectError("gap --game=tictactoe --players=solver --sets=" + corrupt, ":2:");
  ExpectError("gap --game=othello --players=uniform --generate=random:3",
              "no exact solver");
  ExpectError(
      "gap --game=tictactoe --players=net:" + c4net + " --generate=random:3",
      "connect4");
  ExpectError("gap --game=tictactoe --players=solver --generate=uniform:3",
              "unknown generator");
  ExpectError("gap --game=tictactoe --generate=random:3", "nothing to measure");
  ExpectError("gap --game=tictactoe --players=random --generate=random:3",
              "no value to measure");
  ExpectError("gap --game=tictactoe --players=solver", "no position set");
  ExpectError(
      "gap --game=tictactoe --players=solver --generate=random:3 "
      "--reward=discs",
      "--reward=discs: tictactoe has no such reward spec");
  ExpectError(
      "gap --game=tictactoe --players=solver --generate=random:3 "
      "--budgets=ten",
      "--budgets");
  ExpectError("gap --game=tictactoe --run=/nonexistent/run",
              "/nonexistent/run");
  ExpectError(
      "gap --game=othello --players=solver --generate=random:3 "
      "--playout=2",
      "no exact solver");
}

TEST(GapCommandTest, PlayoutLabelsAreMarkedAsEstimates) {
  auto r = RunAz(
      "gap --game=othello --players=uniform --generate=random:6:plies=54-56 "
      "--playout=4 --budgets=0 --resamples=100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = ParseJson(r.out);
  EXPECT_EQ(j["sets"][0]["labels_estimated"], true);
  EXPECT_TRUE(absl::StrContains(j["sets"][0]["labels"].get<std::string>(),
                                "playout estimate"));
  EXPECT_TRUE(j["sets"][0]["value"]["move_mistake_rate"].is_null());
}

}  // namespace
}  // namespace az
