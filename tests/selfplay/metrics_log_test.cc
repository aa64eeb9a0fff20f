#include "selfplay/metrics_log.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az::selfplay {
namespace {

using ::az::testing::ReadFileBytes;

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
  EXPECT_EQ(ReadFileBytes(path), "step,loss,note\n1,0.5,\n2,,x\n");
  EXPECT_EQ((*log)->Append({{"nope", "1"}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*log)->Append({{"note", "a,b"}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFileBytes(path), "step,loss,note\n1,0.5,\n2,,x\n");
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
  EXPECT_EQ(ReadFileBytes(path), "step,loss\n10,1\n30,2\n");
}

TEST(MetricsLogTest, AnotherLayoutIsMovedAsideNotLost) {
  const std::string path = FreshPath("metrics_layout.csv");
  std::ofstream(path) << "a,b\n1,2\n";
  auto log = MetricsLog::Open(path, {"step"});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(ReadFileBytes(path + ".1"), "a,b\n1,2\n");
  EXPECT_EQ(ReadFileBytes(path), "step\n");
  // The old file's last row still says where the run stopped: a new
  // column in a later az does not reset the run's clock.
  EXPECT_EQ((*log)->last_row_on_open().at("a"), "1");
  EXPECT_EQ(*(*log)->NumberInLastRow("b"), 2);
  EXPECT_TRUE(absl::IsNotFound((*log)->NumberInLastRow("step").status()));
}

TEST(MetricsLogTest, UnwritablePlaceIsAClearError) {
  auto log = MetricsLog::Open("/nonexistent-dir/metrics.csv", {"step"});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("/nonexistent-dir/metrics.csv"),
            std::string::npos);
}

TEST(MetricsLogTest, RowsGoToTheEndOfTheFileAsItIsNow) {
  const std::string path = FreshPath("metrics_append.csv");
  auto log = MetricsLog::Open(path, {"step", "loss"});
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->Append({{"step", "1"}}).ok());
  // Something else appends a row behind the log's back (a second writer
  // before the run lock, a person): the log's next row must not land on it.
  std::ofstream(path, std::ios::app) << "2,0.5\n";
  ASSERT_TRUE((*log)->Append({{"step", "3"}}).ok());
  EXPECT_EQ(ReadFileBytes(path), "step,loss\n1,\n2,0.5\n3,\n");
}

TEST(MetricsLogTest, AShortWriteOnAFullDiskNeverMergesTwoRows) {
  const std::string path = FreshPath("metrics_full.csv");
  auto log = MetricsLog::Open(path, {"step", "note"});
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->Append({{"step", "1"}, {"note", "first"}}).ok());
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  // A file size limit a few bytes past the end stands in for a full disk:
  // the next write is cut short, the one after fails.
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(info.st_size) + 4;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tight), 0);
  const absl::Status failed =
      (*log)->Append({{"step", "2"}, {"note", "a row longer than four bytes"}});
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  ::signal(SIGXFSZ, SIG_DFL);
  EXPECT_FALSE(failed.ok());
  // The disk has room again: the next row starts a line of its own.
  ASSERT_TRUE((*log)->Append({{"step", "3"}, {"note", "third"}}).ok());
  EXPECT_EQ(ReadFileBytes(path), "step,note\n1,first\n3,third\n");
}

TEST(MetricsLogTest, AnEditedNumberIsOneLineNotAGuess) {
  const std::string path = FreshPath("metrics_edited.csv");
  std::ofstream(path) << "elapsed_s,step\n12.5,3\nabc,4\n";
  auto log = MetricsLog::Open(path, {"elapsed_s", "step"});
  ASSERT_TRUE(log.ok()) << log.status();
  const auto elapsed = (*log)->NumberInLastRow("elapsed_s");
  EXPECT_EQ(elapsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(elapsed.status().message().find("'abc'"), std::string::npos);
  EXPECT_NE(elapsed.status().message().find(path), std::string::npos);
  EXPECT_EQ(elapsed.status().message().find('\n'), std::string::npos);
  EXPECT_EQ(*(*log)->NumberInLastRow("step"), 4);
  EXPECT_TRUE(absl::IsNotFound(
      (*log)->NumberInLastRow("missing").status()));
}

TEST(MetricsLogTest, ANonRegularFileIsRefused) {
  EXPECT_FALSE(MetricsLog::Open("/dev/zero", {"step"}).ok());
  const std::string dir = FreshPath("metrics_dir.csv");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  EXPECT_FALSE(MetricsLog::Open(dir, {"step"}).ok());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace az::selfplay
