// `az train` end to end on small tic-tac-toe runs: bad flags and places are
// refused with one line, a run resumes from its directory and refuses a
// change of game or shape, a run killed with SIGKILL at random moments loses
// nothing but the games in flight, and a write failure (a full disk) stops
// the run with a clear error and intact files.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/random.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/network_builder.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"
#include "tests/test_util.h"

namespace az {
namespace {

using ::az::testing::ReadFileBytes;

using testing::CommandResult;
using testing::ExpectOneLineError;
using testing::RunAz;

// A tic-tac-toe run that trains within a second or two of starting.
std::string SmallRun(const std::string& run_dir) {
  return absl::StrCat(
      "train --game=tictactoe --run_dir=", run_dir,
      " --min_positions=256 --batch_size=64 --games_per_thread=16"
      " --report_seconds=0.5 --checkpoint_every=10 --publish_every=5"
      " --eval_every=-1 --inference_threads=1");
}

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
  return dir;
}

struct ShardCount {
  int64_t games = 0;
  int64_t positions = 0;
  int64_t training_positions = 0;  // positions with a full search
};

// Every shard of `dir` must read; damaged tails are allowed (a kill).
ShardCount CountShards(const std::string& dir) {
  ShardCount count;
  auto shards = selfplay::ListShards(dir);
  EXPECT_TRUE(shards.ok()) << shards.status();
  if (!shards.ok()) return count;
  for (const std::string& path : *shards) {
    auto contents = selfplay::ReadShard(path);
    EXPECT_TRUE(contents.ok()) << path << ": " << contents.status();
    if (!contents.ok()) continue;
    EXPECT_EQ(contents->corrupt_records, 0) << path;
    for (const selfplay::GameRecord& record : contents->records) {
      ++count.games;
      count.positions += static_cast<int64_t>(record.moves.size());
      count.training_positions += selfplay::TrainingPositions(record);
    }
  }
  return count;
}

// The metrics rows as maps from column to value.
std::vector<std::map<std::string, std::string>> ReadMetrics(
    const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (header.empty()) {
      header = cells;
      continue;
    }
    EXPECT_EQ(cells.size(), header.size()) << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) {
      row[header[i]] = cells[i];
    }
    rows.push_back(row);
  }
  return rows;
}

int64_t Int(const std::map<std::string, std::string>& row,
            const std::string& column) {
  int64_t value = -1;
  EXPECT_TRUE(absl::SimpleAtoi(row.at(column), &value)) << column;
  return value;
}

// The whole text of a file ("" if missing).
// Bytes in the run's replay shards: grows when a session writes a game.
int64_t ReplayBytes(const std::string& run) {
  auto shards = selfplay::ListShards(run + "/replay");
  int64_t bytes = 0;
  if (!shards.ok()) return 0;
  for (const std::string& path : *shards) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (in) bytes += static_cast<int64_t>(in.tellg());
  }
  return bytes;
}

void ExpectLatestCheckpointLoads(const std::string& run) {
  auto latest = selfplay::LatestCheckpoint(run);
  if (absl::IsNotFound(latest.status())) return;  // killed before the first
  ASSERT_TRUE(latest.ok()) << latest.status();
  auto loaded = nn::LoadCheckpointForGame(*latest, **FindGame("tictactoe"));
  EXPECT_TRUE(loaded.ok()) << loaded.status();
}

TEST(TrainCommandTest, BadFlagsAndPlacesGetOneLine) {
  ExpectOneLineError("train --game=tictactoe", "--run_dir");
  const std::string dir = FreshDir("train_bad_flags");
  ExpectOneLineError(SmallRun(dir) + " --value_target=v", "--value_target");
  // A flag of other commands, one of no command, a value of the wrong type.
  ExpectOneLineError(SmallRun(dir) + " --sims=5",
                     "not a flag of this subcommand");
  ExpectOneLineError(SmallRun(dir) + " --simulations=5",
                     "unknown flag --simulations");
  ExpectOneLineError(SmallRun(dir) + " --batch_size=big",
                     "--batch_size=big is not a valid int32");
  ExpectOneLineError(SmallRun(dir) + " --min_positions=10",  // below the batch
                     "min_positions >= batch_size", testing::kAnyFailure);
  ExpectOneLineError(SmallRun(dir) + " --lr_anneal=1.5", "--lr_anneal=1.5");
  // Numbers a float cannot hold.
  ExpectOneLineError(SmallRun(dir) + " --dirichlet_alpha=1e39",
                     "--dirichlet_alpha");
  ExpectOneLineError(SmallRun(dir) + " --dirichlet_epsilon=1e-50",
                     "--dirichlet_epsilon");
  ExpectOneLineError(SmallRun(dir) + " --lr_final=0", "--lr_final=0");
  // Quick searches must be quicker than the full ones (48 here).
  ExpectOneLineError(SmallRun(dir) + " --quick_sims=48", "--quick_sims=48");
  ExpectOneLineError(SmallRun(dir) + " --quick_sims=-2", "--quick_sims=-2");
  ExpectOneLineError(SmallRun(dir) + " --quick_sims=8 --full_search_share=0",
                     "--full_search_share=0");
  // A place that cannot hold a run directory.
  ExpectOneLineError(SmallRun("/proc/az-run"), "/proc/az-run", 1);
}

TEST(TrainCommandTest, ARunInUseIsRefusedWithItsHolderNamed) {
  const std::string run = FreshDir("train_in_use");
  ASSERT_EQ(std::system(("mkdir -p '" + run + "'").c_str()), 0);
  auto lock = selfplay::RunLock::Acquire(run);
  ASSERT_TRUE(lock.ok()) << lock.status();
  ExpectOneLineError(SmallRun(run) + " --max_steps=1",
                     absl::StrCat("in use by process ", ::getpid()), 1);
  // Refused before it touched anything.
  EXPECT_NE(::access((run + "/config").c_str(), F_OK), 0);
  EXPECT_NE(::access((run + "/checkpoints").c_str(), F_OK), 0);
}

TEST(TrainCommandTest, RunConfigSetsOnlyTheRunsOwnFlags) {
  const std::string run = FreshDir("train_config_flags");
  ASSERT_EQ(std::system(("mkdir -p '" + run + "'").c_str()), 0);
  const std::string extra =
      testing::WriteTempFile("train_config_extra_flags", "--max_steps=1\n");
  for (const std::string& line :
       {"--flagfile=" + extra, std::string("--max_steps=1"),
        std::string("--run_dir=/tmp/elsewhere")}) {
    std::ofstream(run + "/config") << "--game=tictactoe\n" << line << "\n";
    const std::string flag = line.substr(0, line.find('='));
    ExpectOneLineError(SmallRun(run), flag + " is not one of the run's");
    EXPECT_NE(::access((run + "/checkpoints").c_str(), F_OK), 0) << line;
  }
}

TEST(TrainCommandTest, AnUnreadableRunConfigIsAnErrorNotANewRun) {
  // A directory, and a link to a device that never ends: neither is read
  // as an empty config (which would start a new run over the old one).
  const std::string run = FreshDir("train_config_unreadable");
  ASSERT_EQ(std::system(("mkdir -p '" + run + "/config'").c_str()), 0);
  ExpectOneLineError(SmallRun(run) + " --max_steps=1", "not a regular file",
                     1);
  EXPECT_NE(::access((run + "/checkpoints").c_str(), F_OK), 0);
  ASSERT_EQ(std::system(("rmdir '" + run + "/config' && ln -s /dev/zero '" +
                         run + "/config'")
                            .c_str()),
            0);
  ExpectOneLineError(SmallRun(run) + " --max_steps=1", "not a regular file",
                     1);
  EXPECT_NE(::access((run + "/checkpoints").c_str(), F_OK), 0);
}

TEST(TrainCommandTest, ResumesFromTheRunDirectoryAndRefusesAnotherShape) {
  const std::string run = FreshDir("train_resume");
  CommandResult r = RunAz(SmallRun(run) + " --max_steps=20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "stopped at step 20")) << r.out;
  auto listed = selfplay::ListCheckpoints(run);
  ASSERT_TRUE(listed.ok());
  ASSERT_GE(listed->size(), 2u);  // step 0 and step 20 at least
  EXPECT_EQ(listed->back().step, 20);
  EXPECT_EQ(listed->front().step, 0);

  // Another shape or game: refused, nothing touched.
  ExpectOneLineError(SmallRun(run) + " --blocks=3 --max_steps=30",
                     "cannot change within a run");
  ExpectOneLineError("train --game=connect4 --run_dir=" + run, "--game");
  EXPECT_EQ(selfplay::ListCheckpoints(run)->back().step, 20);

  // The bare command resumes with the run's own flags (tic-tac-toe, the
  // small batch) and continues the step count.
  r = RunAz("train --run_dir=" + run + " --max_steps=30");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "resuming")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "tictactoe")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "batch 64")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "stopped at step 30")) << r.out;
  // A mutable flag may change; it is said and recorded.
  r = RunAz("train --run_dir=" + run + " --max_steps=30 --learning_rate=2e-4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(
      r.out, "--learning_rate changes from 0.002 to 0.0002\n"))
      << r.out;
  const std::string config = ReadFileBytes(run + "/config");
  EXPECT_TRUE(absl::StrContains(config, "--learning_rate=0.0002\n"))
      << config;
  // The same value again, spelled otherwise, is no change.
  r = RunAz("train --run_dir=" + run + " --max_steps=30 --learning_rate=0.0002");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "changes")) << r.out;
}

TEST(TrainCommandTest, ValueTargetDefaultsPerGameAndIsRecorded) {
  // Connect Four learns from half q, half z by default; tic-tac-toe from z.
  const std::string c4 = FreshDir("train_c4_target");
  CommandResult r = RunAz("train --game=connect4 --run_dir=" + c4 +
                          " --max_minutes=0.01 --eval_every=-1"
                          " --inference_threads=1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "value target mix:0.5;")) << r.out;
  const std::string config = ReadFileBytes(c4 + "/config");
  EXPECT_TRUE(absl::StrContains(config, "--value_target=mix:0.5\n"))
      << config;
  const std::string ttt = FreshDir("train_ttt_target");
  r = RunAz(SmallRun(ttt) + " --max_steps=1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "value target z;")) << r.out;
  // An explicit target wins, and a resumed run keeps its recorded one.
  r = RunAz(SmallRun(ttt) + " --max_steps=2 --value_target=q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "value target q;")) << r.out;
  r = RunAz("train --run_dir=" + ttt + " --max_steps=3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "value target q;")) << r.out;
}

TEST(TrainCommandTest, AnUnknownRewardSpecIsOneLineListingTheGamesSpecs) {
  const std::string run = FreshDir("train_bad_reward");
  CommandResult r = ExpectOneLineError(SmallRun(run) + " --reward=discs",
                                       "unknown reward spec \"discs\"");
  EXPECT_TRUE(absl::StrContains(r.err, "rules, no_diagonals, quick")) << r.err;
  EXPECT_NE(::access((run + "/config").c_str(), F_OK), 0);
  EXPECT_NE(::access((run + "/checkpoints").c_str(), F_OK), 0);
}

// A run trains on its reward spec for life: recorded in RUN/config, kept by
// a bare resume, and a resume that names another is refused in one line; a
// config from before specs is a rules run.
TEST(TrainCommandTest, TheRewardSpecIsRecordedAndCannotChange) {
  const std::string run = FreshDir("train_reward_spec");
  CommandResult r =
      RunAz(SmallRun(run) + " --reward=no_diagonals --max_steps=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "reward no_diagonals,")) << r.out;
  EXPECT_TRUE(absl::StrContains(ReadFileBytes(run + "/config"),
                                "--game=tictactoe\n--reward=no_diagonals\n"));
  // Every stored game was paid under the spec; the metrics say how often
  // that pay disagreed with the rules.
  auto shards = selfplay::ListShards(run + "/replay");
  ASSERT_TRUE(shards.ok() && !shards->empty());
  auto contents = selfplay::ReadShard(shards->front());
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_FALSE(contents->records.empty());
  for (const selfplay::GameRecord& g : contents->records) {
    EXPECT_EQ(g.reward, "no_diagonals");
    EXPECT_TRUE(g.verdict.decided());
  }
  auto rows = ReadMetrics(run + "/metrics.csv");
  ASSERT_FALSE(rows.empty());
  double share = -1;
  ASSERT_TRUE(
      absl::SimpleAtod(rows.back().at("reward_verdict_disagreement"), &share));
  EXPECT_GE(share, 0);
  EXPECT_LE(share, 1);

  ExpectOneLineError(SmallRun(run) + " --reward=rules --max_steps=3",
                     "--reward=rules does not match the run's "
                     "--reward=no_diagonals");
  r = RunAz("train --run_dir=" + run + " --max_steps=3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "reward no_diagonals,")) << r.out;

  // A run directory whose config predates --reward trained on the rules.
  const std::string old_run = FreshDir("train_reward_old_config");
  r = RunAz(SmallRun(old_run) + " --max_steps=1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string config = ReadFileBytes(old_run + "/config");
  const size_t line = config.find("--reward=rules\n");
  ASSERT_NE(line, std::string::npos) << config;
  config.erase(line, std::string("--reward=rules\n").size());
  std::ofstream(old_run + "/config") << config;
  ExpectOneLineError(SmallRun(old_run) + " --reward=quick --max_steps=2",
                     "--reward=quick does not match the run's --reward=rules");
  r = RunAz("train --run_dir=" + old_run + " --max_steps=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "reward rules,")) << r.out;
}

TEST(TrainCommandTest, PlayoutCapsTrainOnTheFullSearchesOnly) {
  const std::string run = FreshDir("train_playout_caps");
  CommandResult r = RunAz(SmallRun(run) +
                          " --max_steps=10 --quick_sims=6"
                          " --full_search_share=0.4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(
      r.out, "48 sims per move on 40% of moves, 6 on the rest"))
      << r.out;
  const std::string config = ReadFileBytes(run + "/config");
  EXPECT_TRUE(absl::StrContains(config, "--quick_sims=6\n")) << config;
  EXPECT_TRUE(absl::StrContains(config, "--full_search_share=0.4\n"))
      << config;
  // Every move is in the shards; about 40% of them are training positions,
  // and those are what the metrics count and pace.
  const ShardCount replay = CountShards(run + "/replay");
  ASSERT_GT(replay.positions, 256);
  const double share =
      static_cast<double>(replay.training_positions) / replay.positions;
  EXPECT_GT(share, 0.3);
  EXPECT_LT(share, 0.5);
  auto rows = ReadMetrics(run + "/metrics.csv");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(Int(rows.back(), "positions"), replay.training_positions);

  // Resuming keeps the recorded playout caps.
  r = RunAz("train --run_dir=" + run + " --max_steps=12");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "on 40% of moves, 6 on the rest"))
      << r.out;
}

TEST(TrainCommandTest, KilledAtRandomMomentsLosesOnlyGamesInFlight) {
  const std::string run = FreshDir("train_kill9");
  const std::string log = ::testing::TempDir() + "/train_kill9.log";
  base::Rng rng(2026);
  for (int round = 0; round < 4; ++round) {
    const int64_t bytes_before = ReplayBytes(run);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const std::string command =
          absl::StrCat("exec '", testing::AzBinary(), "' ", SmallRun(run),
                       " >>'", log, "' 2>&1");
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // The first kill lands during start-up (loading LibTorch, reading the
    // shards); the others at a random moment after the session wrote its
    // first game, whatever the machine's speed (sanitizer builds under load
    // take seconds to finish a game).
    if (round == 0) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(100 + rng.Below(500)));
    } else {
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(120);
      while (ReplayBytes(run) <= bytes_before &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(200 + rng.Below(2500)));
    }
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "az train ended before the kill";
    // After every kill: the checkpoint loads and every shard reads.
    ExpectLatestCheckpointLoads(run);
    CountShards(run + "/replay");
    CountShards(run + "/heldout");
  }
  const int64_t step_before =
      selfplay::ListCheckpoints(run).ok() &&
              !selfplay::ListCheckpoints(run)->empty()
          ? selfplay::ListCheckpoints(run)->back().step
          : 0;
  const ShardCount replay_before = CountShards(run + "/replay");
  EXPECT_GT(replay_before.games, 0) << "the kills came too early to test";

  // Resume to completion: training continues and the counts add up.
  const int64_t target = step_before + 30;
  CommandResult r =
      RunAz(absl::StrCat(SmallRun(run), " --max_steps=", target));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, absl::StrCat("stopped at step ", target)))
      << r.out;
  const ShardCount replay = CountShards(run + "/replay");
  const ShardCount heldout = CountShards(run + "/heldout");
  EXPECT_GE(replay.games, replay_before.games);
  EXPECT_TRUE(absl::StrContains(
      r.out, absl::StrCat(replay.games + heldout.games, " games in the run")))
      << r.out << " vs " << replay.games << " + " << heldout.games;
  auto rows = ReadMetrics(run + "/metrics.csv");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(Int(rows.back(), "games"), replay.games + heldout.games);
  EXPECT_EQ(Int(rows.back(), "positions"), replay.training_positions);
  EXPECT_EQ(Int(rows.back(), "step"), target);
  // Games never go backwards across sessions: every counted game is on disk.
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_GE(Int(rows[i], "games"), Int(rows[i - 1], "games")) << i;
  }
  // The pace held: no position was used more than asked for on average
  // (8, the tic-tac-toe default), give or take one batch.
  double samples_per_position = 0;
  ASSERT_TRUE(absl::SimpleAtod(rows.back().at("samples_per_position"),
                               &samples_per_position));
  EXPECT_LE(samples_per_position, 8.0 + 64.0 / replay.training_positions);
  ExpectLatestCheckpointLoads(run);
}

TEST(TrainCommandTest, AFullDiskStopsTheRunWithAClearErrorAndIntactFiles) {
  const std::string run = FreshDir("train_full_disk");
  // A file size limit stands in for a full disk: writes past it fail (with
  // EFBIG rather than ENOSPC) on the same paths. The first session fits.
  CommandResult r = RunAz(SmallRun(run) + " --max_steps=10");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string command = absl::StrCat(
      "trap '' XFSZ; ulimit -f 40; exec '", testing::AzBinary(), "' ",
      SmallRun(run), " --max_minutes=1 >'", ::testing::TempDir(),
      "/full.out' 2>'", ::testing::TempDir(), "/full.err'");
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(50))
      << "the run should stop at the first failed write";
  std::ifstream err_file(::testing::TempDir() + "/full.err");
  std::stringstream err;
  err << err_file.rdbuf();
  EXPECT_TRUE(absl::StrContains(err.str(), "az train: ")) << err.str();
  EXPECT_TRUE(absl::StrContains(err.str(), "File too large")) << err.str();
  // What was written before stays readable, and the run resumes.
  ExpectLatestCheckpointLoads(run);
  CountShards(run + "/replay");
  r = RunAz(SmallRun(run) + " --max_steps=20");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace az
