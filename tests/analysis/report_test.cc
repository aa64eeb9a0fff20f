#include "analysis/report.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az::analysis {
namespace {

using ::az::testing::ReadFileBytes;

GapReport MakeReport() {
  const Game& game = **FindGame("tictactoe");
  GapReport report;
  report.game = "tictactoe";
  report.bootstrap.resamples = 200;
  auto spec = ParseGeneratorSpec("random:60", game, 1);
  PositionSet set = *GeneratePositionSet(game, *spec);
  LabelStats stats;
  auto labels = *LabelPositions(set, LabelOptions(), &stats);
  static engine::UniformEvaluator* uniform = new engine::UniformEvaluator(game);
  GapOptions options;
  options.search = engine::DefaultSearchParams(game);
  options.bootstrap = report.bootstrap;
  for (int step : {0, 100}) {
    PlayerUnderTest player{"run:R@step-" + std::to_string(step),
                           uniform,
                           false,
                           step,
                           {10},
                           std::nullopt};
    PositionSet heldout = set;
    heldout.kind = SetKind::kHeldout;
    heldout.name = "heldout:R";
    report.results.push_back(
        *MeasureGap(heldout, labels, stats, player, options));
    report.results.push_back(*MeasureGap(set, labels, stats, player, options));
  }
  ComputeDifferences(&report);
  return report;
}

TEST(ReportTest, DifferencesPairTheHeldoutSetWithTheOthers) {
  GapReport report = MakeReport();
  ASSERT_EQ(report.differences.size(), 2u);
  EXPECT_EQ(report.differences[0].in, 0u);
  EXPECT_EQ(report.differences[0].out, 1u);
  EXPECT_EQ(report.differences[1].in, 2u);
}

TEST(ReportTest, JsonNamesEveryMeasureWithItsInterval) {
  nlohmann::json j = ReportJson(MakeReport());
  ASSERT_EQ(j["sets"].size(), 4u);
  const nlohmann::json& s = j["sets"][1];
  EXPECT_EQ(s["name"], "random:60");
  EXPECT_EQ(s["positions"], 60);
  EXPECT_EQ(s["step"], 0);
  for (const char* source : {"value", "search_10"}) {
    for (const std::string& m : MeasureNames()) {
      EXPECT_TRUE(s[source].contains(m)) << source << m;
      EXPECT_TRUE(s[source].contains(m + "_lo")) << source << m;
      EXPECT_TRUE(s[source].contains(m + "_hi")) << source << m;
    }
  }
  EXPECT_TRUE(s["search_10"].contains("mse_ratio_to_value"));
  EXPECT_TRUE(s["strata"].contains("plies 0-2"));
  EXPECT_EQ(s["in_minus_out"]["reference"], "heldout:R");
  EXPECT_EQ(s["in_minus_out"]["all"]["value"]["mse"], 0.0);
  EXPECT_FALSE(s["worst"].empty());
  EXPECT_TRUE(s["worst"][0].contains("moves"));
  EXPECT_TRUE(s["worst"][0].contains("v"));
  EXPECT_TRUE(s["worst"][0].contains("reward"));
}

TEST(ReportTest, TableShowsSetsAndWorstPositions) {
  const std::string table = FormatTable(MakeReport());
  EXPECT_TRUE(absl::StrContains(table, "random:60: 60 positions"));
  EXPECT_TRUE(absl::StrContains(table, "worst positions"));
  EXPECT_TRUE(
      absl::StrContains(table, "in minus out: heldout:R minus random:60"));
}

TEST(ReportTest, DirectoryWithoutAPlottingProgram) {
  const std::string dir = ::testing::TempDir() + "/gap_report_noplot";
  std::filesystem::remove_all(dir);
  auto files = WriteReportDirectory(MakeReport(), dir, "/nonexistent/gnuplot");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_FALSE(files->pictures_drawn);
  EXPECT_TRUE(absl::StrContains(files->note, "pictures skipped"));
  for (const char* name :
       {"figures.csv", "positions.csv", "differences.csv", "reliability.csv",
        "report.md", "report.json", "steps.dat", "steps-mse.gp"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + name)) << name;
  }
  const std::string figures = ReadFileBytes(dir + "/figures.csv");
  EXPECT_TRUE(absl::StartsWith(
      figures,
      "set,player,step,stratum,positions,games,source,measure,value,lo,hi,"
      "ground_truth\n"));
  EXPECT_TRUE(absl::StrContains(figures,
                                "random:60,run:R@step-0,0,all,60,60,"
                                "value,mse,"));
  // Measured against the rules: every row says so; no decomposition.
  EXPECT_TRUE(absl::StrContains(figures, ",rules\n"));
  EXPECT_FALSE(absl::StrContains(figures, "reward:"));
  EXPECT_EQ(ReadFileBytes(dir + "/decomposition.csv"),
            "set,player,step,trained_on,reward,stratum,positions,games,part,"
            "source,measure,value,lo,hi\n");
  // 2 results with pictures x (reliability + stages), one steps plot per
  // measure.
  EXPECT_TRUE(
      absl::StrContains(ReadFileBytes(dir + "/report.md"), "pictures skipped"));
  const std::string positions = ReadFileBytes(dir + "/positions.csv");
  EXPECT_EQ(std::count(positions.begin(), positions.end(), '\n'),
            1 + 4 * 60 * 2);
}

TEST(ReportTest, APlottingProgramThatFailsLeavesTheScripts) {
  const std::string dir = ::testing::TempDir() + "/gap_report_failplot";
  std::filesystem::remove_all(dir);
  // `false` is found but fails on the first script: no picture is drawn.
  auto files = WriteReportDirectory(MakeReport(), dir, "false");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_FALSE(files->pictures_drawn);
  EXPECT_TRUE(
      absl::StartsWith(files->note, "pictures skipped: false failed on r01-"))
      << files->note;
  // The files in the order written: the CSVs, the JSON, the pictures' data
  // and scripts, the page last.
  ASSERT_GE(files->files.size(), 8u);
  EXPECT_EQ(files->files[0], "figures.csv");
  EXPECT_EQ(files->files[3], "agreement.csv");
  EXPECT_EQ(files->files[4], "decomposition.csv");
  EXPECT_EQ(files->files[5], "positions.csv");
  EXPECT_EQ(files->files[6], "report.json");
  EXPECT_EQ(files->files.back(), "report.md");
  for (const std::string& f : files->files) {
    EXPECT_FALSE(absl::EndsWith(f, ".png")) << f;
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  }
  EXPECT_TRUE(absl::StrContains(ReadFileBytes(dir + "/report.md"),
                                "\n_pictures skipped: false failed on r01-"));
}

TEST(ReportTest, DirectoryWithGnuplotHasPictures) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "gnuplot is not installed";
  }
  const std::string dir = ::testing::TempDir() + "/gap_report_plot";
  std::filesystem::remove_all(dir);
  auto files = WriteReportDirectory(MakeReport(), dir, "gnuplot");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->pictures_drawn) << files->note;
  int pngs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".png") {
      ++pngs;
      EXPECT_GT(entry.file_size(), 1000u) << entry.path();
    }
  }
  // Newest step only: 2 sets x (reliability + stages), plus 7 over steps.
  EXPECT_EQ(pngs, 4 + 7);
  const std::string md = ReadFileBytes(dir + "/report.md");
  EXPECT_TRUE(absl::StrContains(md, "-reliability.png)"));
  EXPECT_TRUE(absl::StrContains(md, "steps-mse.png)"));
}

}  // namespace
}  // namespace az::analysis
