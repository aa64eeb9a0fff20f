// az init and az info through the binary: the files they write and read,
// and one clear line for every bad input.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace az {
namespace {

using testing::RunAz;

std::string Temp(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/init_", getpid(), "_", name);
}

TEST(InitInfoCommandTest, InitWritesACheckpointInfoDescribes) {
  std::string path = Temp("c4");
  auto init = RunAz("init --game=connect4 --blocks=1 --channels=8 --seed=3 --out=" + path);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  auto info = RunAz("info --json " + path);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  nlohmann::json j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["game"], "connect4");
  EXPECT_EQ(j["blocks"], 1);
  EXPECT_EQ(j["channels"], 8);
  EXPECT_EQ(j["num_actions"], 7);
  EXPECT_EQ(j["training_step"], 0);
  auto text = RunAz("info " + path);
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("connect4"), std::string::npos);
  // The same seed gives the same file.
  std::string again = Temp("c4_again");
  ASSERT_EQ(RunAz("init --game=connect4 --blocks=1 --channels=8 --seed=3 --out=" + again).exit_code, 0);
  std::ifstream a(path, std::ios::binary), b(again, std::ios::binary);
  std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(sa, sb);
}

TEST(InitInfoCommandTest, BadInputGivesOneLineAndNonZeroExit) {
  std::string garbage = Temp("garbage");
  std::ofstream(garbage) << "not a checkpoint at all";
  for (const std::string& args : {
           std::string("info /nonexistent/net"),
           "info " + garbage,
           std::string("info"),
           std::string("init --game=chess --out=") + Temp("x"),
           std::string("init --game=connect4"),
           std::string("init --game=connect4 --blocks=-1 --out=") + Temp("y"),
           std::string("init --game=connect4 --out=/nonexistent/dir/net"),
           std::string("init --game=connect4 --no_such_flag --out=") + Temp("z"),
       }) {
    testing::ExpectOneLineError(args, "az ", testing::kAnyFailure);
  }
}

}  // namespace
}  // namespace az
