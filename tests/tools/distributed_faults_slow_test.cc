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

TEST(DistributedFaultsSlowTest, EveryGameIsAccountedForThroughKillsAndOutages) {
  AZ_REQUIRE_REDIS_SERVER();
  testing::RedisServer::Options persistent;
  persistent.appendonly = true;
  testing::RedisServer redis(persistent);
  ASSERT_TRUE(redis.Start());
  const std::string dir = ::testing::TempDir() + "/distributed_faults";
  ASSERT_EQ(std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  const std::string run = dir + "/ttt";
  const std::string store = "--store=" + redis.url();
  const std::string learner_args =
      absl::StrCat("train --game=tictactoe --run_dir=", run, " ", store,
                   " --actor_threads=0 --report_seconds=2");
  auto actor_args = [&](int i) {
    return absl::StrCat("selfplay ", store, " --run=ttt --actor_threads=1 "
                        "--games_per_thread=8 --progress_seconds=2 --spool=",
                        dir, "/spool", i);
  };
  auto actor_log = [&](int i) { return absl::StrCat(dir, "/actor", i, ".log"); };

  pid_t learner = testing::StartAzInBackground(learner_args, dir + "/learner.log");
  store::RedisOptions options;
  options.address = redis.address();
  options.timeout_ms = 2000;
  auto connection = store::RedisConnection::Connect(options);
  ASSERT_TRUE(connection.ok());
  const store::RunKeys keys("ttt");
  for (int i = 0; i < 600 && !store::ReadSettings(**connection, keys).ok(); ++i) {
    Sleep(0.1);
  }
  pid_t actors[3] = {testing::StartAzInBackground(actor_args(0), actor_log(0)),
                     testing::StartAzInBackground(actor_args(1), actor_log(1)), -1};
  Sleep(8);

  // 1. An actor dies without a word.
  ::kill(actors[0], SIGKILL);
  EXPECT_EQ(testing::WaitForExit(actors[0]), 128 + SIGKILL);
  actors[2] = testing::StartAzInBackground(actor_args(2), actor_log(2));
  // 2. Garbage and a forged game in the stream: rejected, counted.
  ASSERT_TRUE((*connection)->Command({"XADD", keys.games(), "*", "junk", "1"}).ok());
  ASSERT_TRUE((*connection)
                  ->Command({"XADD", keys.games(), "*", "actor", "evil", "seq",
                             "1", "weights_version", "0", "record",
                             "not a record"})
                  .ok());
  // Both are counted once the learner reaches them (behind the backlog).
  bool counted = false;
  for (int i = 0; i < 300 && !counted; ++i) {
    Sleep(0.1);
    counted = testing::ReadFileBytes(dir + "/learner.log")
                  .find("remote: 2 rejected") != std::string::npos;
  }
  EXPECT_TRUE(counted) << testing::ReadFileBytes(dir + "/learner.log");

  // 3. The learner dies without a word, and the same command resumes it.
  ::kill(learner, SIGKILL);
  EXPECT_EQ(testing::WaitForExit(learner), 128 + SIGKILL);
  Sleep(3);
  learner = testing::StartAzInBackground(learner_args, dir + "/learner.log");
  Sleep(8);

  // 4. Redis goes away for a few seconds and comes back with its data.
  connection->reset();
  redis.Stop();
  Sleep(4);
  ASSERT_TRUE(redis.Start());
  Sleep(8);

  // 5. A resend of games the run holds already: dropped as duplicates.
  connection = store::RedisConnection::Connect(options);
  ASSERT_TRUE(connection.ok());
  const std::map<Origin, int> before_resend = StoredOrigins(run);
  int resent = 0;
  {
    // The first few stored games of actor 1, sent again.
    const std::string id1 = ActorId(testing::ReadFileBytes(actor_log(1)));
    ASSERT_FALSE(id1.empty());
    std::vector<store::GameMessage> again;
    for (uint64_t seq = 1; seq <= 5; ++seq) {
      if (before_resend.count({id1, seq}) == 0) continue;
      store::GameMessage m;
      m.actor = id1;
      m.seq = seq;
      // The pair alone makes it a duplicate: the bytes are never read.
      m.record = "x";
      again.push_back(m);
    }
    resent = static_cast<int>(again.size());
    ASSERT_TRUE(store::SendGames(**connection, keys, again).ok());
  }
  EXPECT_GT(resent, 0);
  Sleep(4);

  // The end: actors stop cleanly (sending what they have), then the learner.
  for (int i : {1, 2}) {
    ::kill(actors[i], SIGINT);
    EXPECT_EQ(testing::WaitForExit(actors[i]), 0) << testing::ReadFileBytes(actor_log(i));
  }
  Sleep(4);
  ::kill(learner, SIGINT);
  EXPECT_EQ(testing::WaitForExit(learner), 0) << testing::ReadFileBytes(dir + "/learner.log");

  const std::string learner_log = testing::ReadFileBytes(dir + "/learner.log");
  std::printf("%s", learner_log.c_str());
  const std::map<Origin, int> stored = StoredOrigins(run);
  const std::set<Origin> left = StreamOrigins(**connection, keys);
  // No game twice in the run.
  for (const auto& [origin, copies] : stored) {
    EXPECT_EQ(copies, 1) << origin.first << " #" << origin.second;
  }
  // The actors that stopped cleanly: every game they numbered is in the run
  // or still waiting in the stream. The killed one: what it got out is a
  // gap-free prefix (games in flight at the kill are lost, nothing else).
  for (int i : {0, 1, 2}) {
    const std::string log = testing::ReadFileBytes(actor_log(i));
    const std::string id = ActorId(log);
    ASSERT_FALSE(id.empty()) << log;
    std::set<uint64_t> seqs;  // in the run or still in the stream
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
    if (i > 0) {
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
  }
  // The garbage and the forged entry were rejected and counted (the metrics
  // of the session that read them); the run trained on.
  // rejected_games is per session: the first one read both entries.
  const std::vector<std::string> rows = absl::StrSplit(
      testing::ReadFileBytes(selfplay::RunPaths(run).metrics()), '\n',
      absl::SkipEmpty());
  ASSERT_GT(rows.size(), 2u);
  const std::vector<std::string> header = absl::StrSplit(rows[0], ',');
  const size_t column =
      std::find(header.begin(), header.end(), "rejected_games") - header.begin();
  ASSERT_LT(column, header.size());
  int64_t most_rejected = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const std::vector<std::string> cells = absl::StrSplit(rows[i], ',');
    if (column < cells.size() && !cells[column].empty()) {
      most_rejected = std::max<int64_t>(most_rejected, std::stoll(cells[column]));
    }
  }
  EXPECT_EQ(most_rejected, 2);
  EXPECT_NE(learner_log.find("2 rejected"), std::string::npos);
  EXPECT_NE(learner_log.find("resuming"), std::string::npos);
}

}  // namespace
}  // namespace az
