#include "selfplay/metrics_log.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace az::selfplay {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string FreshPath(const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
  return path;
}

TEST(MetricsLogTest, WritesHeaderAndRowsByColumnName) {
  const std::string path = FreshPath("metrics_rows.csv");
  auto log = MetricsLog::Open(path, {"step", "loss", "note"});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE((*log)->last_row_on_open().empty());
  ASSERT_TRUE((*log)->Append({{"step", "1"}, {"loss", "0.5"}}).ok());
  ASSERT_TRUE((*log)->Append({{"note", "x"}, {"step", "2"}}).ok());
  EXPECT_EQ(Read(path), "step,loss,note\n1,0.5,\n2,,x\n");
  EXPECT_EQ((*log)->Append({{"nope", "1"}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*log)->Append({{"note", "a,b"}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Read(path), "step,loss,note\n1,0.5,\n2,,x\n");
}

TEST(MetricsLogTest, ReopeningAppendsAndRemembersTheLastRow) {
  const std::string path = FreshPath("metrics_reopen.csv");
  {
    auto log = MetricsLog::Open(path, {"step", "loss"});
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append({{"step", "10"}, {"loss", "1"}}).ok());
  }
  // A crash mid-row leaves a partial line: it is cut off.
  std::ofstream(path, std::ios::app) << "20,0.";
  auto log = MetricsLog::Open(path, {"step", "loss"});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->last_row_on_open().at("step"), "10");
  ASSERT_TRUE((*log)->Append({{"step", "30"}, {"loss", "2"}}).ok());
  EXPECT_EQ(Read(path), "step,loss\n10,1\n30,2\n");
}

TEST(MetricsLogTest, AnotherLayoutIsMovedAsideNotLost) {
  const std::string path = FreshPath("metrics_layout.csv");
  std::ofstream(path) << "a,b\n1,2\n";
  auto log = MetricsLog::Open(path, {"step"});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(Read(path + ".1"), "a,b\n1,2\n");
  EXPECT_EQ(Read(path), "step\n");
}

TEST(MetricsLogTest, UnwritablePlaceIsAClearError) {
  auto log = MetricsLog::Open("/nonexistent-dir/metrics.csv", {"step"});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("/nonexistent-dir/metrics.csv"),
            std::string::npos);
}

}  // namespace
}  // namespace az::selfplay
