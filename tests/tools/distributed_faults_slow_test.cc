// A distributed tic-tac-toe run through the faults a cluster sees, with the
// real binaries and a real redis-server on 127.0.0.1: an actor killed with
// SIGKILL, the learner killed with SIGKILL and started again with the same
// command, Redis stopped for some seconds and restarted, a resend of games
// already stored, and garbage in the games stream. At the end every game is
// accounted for: each actor's numbers are in the run's shards or still in
// the stream, none twice, and what was garbage was counted as rejected.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"
#include "store/redis_client.h"
#include "store/run_store.h"
#include "tests/store/redis_server.h"
#include "tests/test_util.h"

namespace az {
namespace {

using Origin = std::pair<std::string, uint64_t>;

void Sleep(double seconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(
      static_cast<int>(seconds * 1000)));
}

// (actor, seq) of every game in the run's shards, with their count.
std::map<Origin, int> StoredOrigins(const std::string& run) {
  std::map<Origin, int> stored;
  const selfplay::RunPaths paths(run);
  for (const std::string& dir : {paths.replay(), paths.heldout()}) {
    absl::StatusOr<std::vector<std::string>> shards = selfplay::ListShards(dir);
    EXPECT_TRUE(shards.ok()) << shards.status();
    for (const std::string& shard : *shards) {
      absl::StatusOr<selfplay::ShardContents> contents =
          selfplay::ReadShard(shard);
      EXPECT_TRUE(contents.ok()) << contents.status();
      for (const selfplay::GameRecord& r : contents->records) {
        ++stored[{r.origin.actor, r.origin.seq}];
      }
    }
  }
  return stored;
}

// (actor, seq) of every game still in the stream.
std::set<Origin> StreamOrigins(store::RedisConnection& redis,
                               const store::RunKeys& keys) {
  std::set<Origin> left;
  absl::StatusOr<store::RedisReply> range =
      redis.Command({"XRANGE", keys.games(), "-", "+"});
  EXPECT_TRUE(range.ok()) << range.status();
  for (const store::RedisReply& entry : range->elements) {
    const auto& fields = entry.elements[1].elements;
    std::string actor;
    uint64_t seq = 0;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "actor") actor = fields[i + 1].str;
      if (fields[i].str == "seq") seq = std::stoull(fields[i + 1].str);
    }
    left.insert({actor, seq});
  }
  return left;
}

// The actor id an az selfplay log names ("az selfplay: actor ID of run").
std::string ActorId(const std::string& log) {
  const size_t at = log.find("az selfplay: actor ");
  if (at == std::string::npos) return "";
  const size_t from = at + std::string("az selfplay: actor ").size();
  return log.substr(from, log.find(' ', from) - from);
}

// The largest rejected_games of the run's metrics rows (it is per session:
// the session that read the bad entries counted them).
int64_t MostRejectedInMetrics(const std::string& run) {
  const std::vector<std::string> rows = absl::StrSplit(
      testing::ReadFileBytes(selfplay::RunPaths(run).metrics()), '\n',
      absl::SkipEmpty());
  EXPECT_GT(rows.size(), 2u);
  if (rows.empty()) return -1;
  const std::vector<std::string> header = absl::StrSplit(rows[0], ',');
  const size_t column =
      std::find(header.begin(), header.end(), "rejected_games") - header.begin();
  EXPECT_LT(column, header.size());
  int64_t most_rejected = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const std::vector<std::string> cells = absl::StrSplit(rows[i], ',');
    if (column < cells.size() && !cells[column].empty()) {
      most_rejected = std::max<int64_t>(most_rejected, std::stoll(cells[column]));
    }
  }
  return most_rejected;
}

// A learner and its actors as processes of the real binary, against a
// redis-server with its append-only file on, in a fresh directory.
class DistributedFaultsSlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AZ_REQUIRE_REDIS_SERVER();
    ASSERT_TRUE(redis_.Start());
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()),
              0);
    options_.address = redis_.address();
    options_.timeout_ms = 2000;
    Reconnect();
  }

  void Reconnect() {
    auto connection = store::RedisConnection::Connect(options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *std::move(connection);
  }

  // Starts the learner (the same command every time: a restart resumes).
  void StartLearner() {
    learner_ = testing::StartAzInBackground(
        absl::StrCat("train --game=tictactoe --run_dir=", run_, " --store=",
                     redis_.url(), " --actor_threads=0 --report_seconds=2"),
        LearnerLogPath());
  }

  // Waits until the learner has published the run (actors refuse it before).
  void WaitForTheRun() {
    for (int i = 0; i < 600 && !store::ReadSettings(*connection_, keys_).ok();
         ++i) {
      Sleep(0.1);
    }
  }

  void StartActor(int i) {
    actors_[i] = testing::StartAzInBackground(
        absl::StrCat("selfplay --store=", redis_.url(),
                     " --run=ttt --actor_threads=1 --games_per_thread=8 "
                     "--progress_seconds=2 --spool=",
                     dir_, "/spool", i),
        ActorLogPath(i));
  }

  // A test that fails part way leaves no process behind.
  void TearDown() override {
    for (pid_t* pid : {&learner_, &actors_[0], &actors_[1], &actors_[2]}) {
      if (*pid > 0) {
        ::kill(*pid, SIGKILL);
        testing::WaitForExit(*pid);
      }
    }
  }

  // Kills process `pid` with SIGKILL, without a word.
  static void Kill(pid_t& pid) {
    ::kill(pid, SIGKILL);
    EXPECT_EQ(testing::WaitForExit(pid), 128 + SIGKILL);
    pid = -1;
  }

  // Stops process `pid` with SIGINT; it must exit cleanly.
  static void Interrupt(pid_t& pid, const std::string& log) {
    ::kill(pid, SIGINT);
    EXPECT_EQ(testing::WaitForExit(pid), 0) << testing::ReadFileBytes(log);
    pid = -1;
  }

  // Garbage and a forged game in the stream; waits until the learner has
  // counted both as rejected (they may sit behind a backlog).
  void InjectBadEntries() {
    ASSERT_TRUE(
        connection_->Command({"XADD", keys_.games(), "*", "junk", "1"}).ok());
    ASSERT_TRUE(connection_
                    ->Command({"XADD", keys_.games(), "*", "actor", "evil",
                               "seq", "1", "weights_version", "0", "record",
                               "not a record"})
                    .ok());
    bool counted = false;
    for (int i = 0; i < 300 && !counted; ++i) {
      Sleep(0.1);
      counted = testing::ReadFileBytes(LearnerLogPath())
                    .find("remote: 2 rejected") != std::string::npos;
    }
    EXPECT_TRUE(counted) << testing::ReadFileBytes(LearnerLogPath());
  }

  // Sends the first few stored games of actor 1 again (the pair (actor,
  // seq) alone makes them duplicates: their bytes are never read) and
  // returns how many.
  int ResendStoredGames() {
    const std::map<Origin, int> stored = StoredOrigins(run_);
    const std::string id = ActorId(testing::ReadFileBytes(ActorLogPath(1)));
    EXPECT_FALSE(id.empty());
    std::vector<store::GameMessage> again;
    for (uint64_t seq = 1; seq <= 5; ++seq) {
      if (stored.count({id, seq}) == 0) continue;
      store::GameMessage m;
      m.actor = id;
      m.seq = seq;
      m.record = "x";
      again.push_back(m);
    }
    EXPECT_TRUE(store::SendGames(*connection_, keys_, again).ok());
    return static_cast<int>(again.size());
  }

  // Actor `i`'s games: every one in the run or still in the stream `left`,
  // numbered without a gap; for one that stopped cleanly (`clean`), all
  // that it says it sent. (A killed actor loses the games in flight at the
  // kill, and nothing else.)
  void CheckActorAccounted(int i, bool clean,
                           const std::map<Origin, int>& stored,
                           const std::set<Origin>& left) {
    const std::string log = testing::ReadFileBytes(ActorLogPath(i));
    const std::string id = ActorId(log);
    ASSERT_FALSE(id.empty()) << log;
    std::set<uint64_t> seqs;
    for (const auto& [origin, copies] : stored) {
      if (origin.first == id) seqs.insert(origin.second);
    }
    for (const Origin& origin : left) {
      if (origin.first == id) seqs.insert(origin.second);
    }
    const int64_t present = static_cast<int64_t>(seqs.size());
    const uint64_t highest = seqs.empty() ? 0 : *seqs.rbegin();
    std::printf("actor %d (%s): %lld games reached the run or the stream\n", i,
                id.c_str(), static_cast<long long>(present));
    EXPECT_GT(present, 0);
    EXPECT_EQ(static_cast<uint64_t>(present), highest) << "a gap in actor " << i;
    if (!clean) return;
    long long played = 0, sent = 0;
    const size_t at = log.find("stopped: ");
    ASSERT_NE(at, std::string::npos) << log;
    ASSERT_EQ(std::sscanf(log.c_str() + at,
                          "stopped: %lld games played, %lld sent", &played,
                          &sent),
              2);
    EXPECT_EQ(played, sent);
    EXPECT_EQ(present, sent) << "actor " << i;
  }

  std::string LearnerLogPath() const { return dir_ + "/learner.log"; }
  std::string ActorLogPath(int i) const {
    return absl::StrCat(dir_, "/actor", i, ".log");
  }

  static testing::RedisServer::Options Persistent() {
    testing::RedisServer::Options o;
    o.appendonly = true;
    return o;
  }

  testing::RedisServer redis_{Persistent()};
  const std::string dir_ = ::testing::TempDir() + "/distributed_faults";
  const std::string run_ = dir_ + "/ttt";
  const store::RunKeys keys_{"ttt"};
  store::RedisOptions options_;
  std::unique_ptr<store::RedisConnection> connection_;
  pid_t learner_ = -1;
  pid_t actors_[3] = {-1, -1, -1};
};

TEST_F(DistributedFaultsSlowTest, EveryGameIsAccountedForThroughKillsAndOutages) {
  StartLearner();
  WaitForTheRun();
  StartActor(0);
  StartActor(1);
  Sleep(8);
  // 1. An actor dies without a word; another takes its place.
  Kill(actors_[0]);
  StartActor(2);
  // 2. Garbage and a forged game in the stream: rejected, counted.
  InjectBadEntries();
  // 3. The learner dies without a word, and the same command resumes it.
  Kill(learner_);
  Sleep(3);
  StartLearner();
  Sleep(8);
  // 4. Redis goes away for a few seconds and comes back with its data.
  connection_.reset();
  redis_.Stop();
  Sleep(4);
  ASSERT_TRUE(redis_.Start());
  Sleep(8);
  // 5. A resend of games the run holds already: dropped as duplicates.
  Reconnect();
  EXPECT_GT(ResendStoredGames(), 0);
  Sleep(4);
  // The end: actors stop cleanly (sending what they have), then the learner.
  for (int i : {1, 2}) Interrupt(actors_[i], ActorLogPath(i));
  Sleep(4);
  Interrupt(learner_, LearnerLogPath());

  const std::string learner_log = testing::ReadFileBytes(LearnerLogPath());
  std::printf("%s", learner_log.c_str());
  const std::map<Origin, int> stored = StoredOrigins(run_);
  const std::set<Origin> left = StreamOrigins(*connection_, keys_);
  for (const auto& [origin, copies] : stored) {
    EXPECT_EQ(copies, 1) << "twice in the run: " << origin.first << " #"
                         << origin.second;
  }
  for (int i : {0, 1, 2}) CheckActorAccounted(i, i > 0, stored, left);
  // The garbage and the forged entry were rejected and counted; the run
  // trained on across the restart.
  EXPECT_EQ(MostRejectedInMetrics(run_), 2);
  EXPECT_NE(learner_log.find("2 rejected"), std::string::npos);
  EXPECT_NE(learner_log.find("resuming"), std::string::npos);
}

}  // namespace
}  // namespace az
