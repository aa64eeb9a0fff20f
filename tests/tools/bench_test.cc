// The flag-free parts of `az bench` (tools/bench.h), in-process: option
// checks, and the figures as text and JSON.
#include "tools/bench.h"

#include <unistd.h>

#include "engine/search_params.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tools/command.h"

namespace az {
namespace {

const Game& Connect4() { return **FindGame("connect4"); }

TEST(BenchTest, SearchOptionsCheckCounts) {
  engine::SearchParams params;
  params.num_threads = 3;
  absl::StatusOr<SearchBenchOptions> o =
      SearchBenchOptionsOf(params, 10, 4, 2, 7);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->threads, 3);             // independent bench threads
  EXPECT_EQ(o->params.num_threads, 1);  // each search alone
  EXPECT_EQ(o->searches, 10);
  EXPECT_EQ(o->rollouts, 2);
  for (auto [searches, plies] : {std::pair{0, 4}, std::pair{10, -1}}) {
    absl::StatusOr<SearchBenchOptions> bad =
        SearchBenchOptionsOf(params, searches, plies, 1, 1);
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(IsUsageError(bad.status()));
    EXPECT_EQ(bad.status().message(),
              "--searches must be >= 1 and --max_opening_plies >= 0");
  }
}

TEST(BenchTest, SelfplayDurations) {
  EXPECT_TRUE(CheckSelfplayBenchDurations(1, 0).ok());
  for (auto [seconds, warmup] : {std::pair{0.0, 1.0}, std::pair{1.0, -1.0}}) {
    absl::Status s = CheckSelfplayBenchDurations(seconds, warmup);
    EXPECT_TRUE(IsUsageError(s));
    EXPECT_NE(s.message().find("--seconds"), absl::string_view::npos);
  }
}

TEST(BenchTest, SearchBenchMeasuresBothEvaluators) {
  engine::SearchParams params = engine::DefaultSearchParams(Connect4());
  params.num_simulations = 16;
  absl::StatusOr<SearchBenchOptions> o =
      SearchBenchOptionsOf(params, 4, 6, 1, 1);
  ASSERT_TRUE(o.ok());
  absl::StatusOr<SearchBenchResult> r = RunSearchBench(Connect4(), *o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->uniform.simulations, 0);
  EXPECT_GT(r->rollouts.sims_per_s, 0);
  nlohmann::json j = SearchBenchJson(Connect4(), *o, *r);
  EXPECT_EQ(j["what"], "search");
  EXPECT_EQ(j["searches"], 4);
  EXPECT_EQ(j["sims_per_search"], 16);
  EXPECT_NE(SearchBenchText(Connect4(), *o, *r).find("4 searches of 16"),
            std::string::npos);
}

TEST(BenchTest, IngestFigures) {
  store::IngestBenchOptions o;
  o.redis.address.host = "127.0.0.1";
  o.redis.address.port = 6399;
  o.senders = 3;
  store::IngestBenchResult r;
  r.games = 100;
  r.positions = 2500;
  r.seconds = 0.5;
  r.games_per_s = 200;
  r.positions_per_s = 5000;
  r.mean_record_bytes = 321;
  nlohmann::json j = IngestBenchJson(Connect4(), o, r);
  EXPECT_EQ(j["what"], "ingest");
  EXPECT_EQ(j["games"], 100);
  EXPECT_EQ(j["positions"], 2500);
  EXPECT_EQ(j["seconds"], 0.5);
  EXPECT_EQ(j["games_per_s"], 200);
  EXPECT_EQ(j["positions_per_s"], 5000);
  EXPECT_EQ(j["mean_record_bytes"], 321);
  EXPECT_EQ(j["rejected"], 0);
  EXPECT_EQ(j["senders"], 3);
  const std::string text = IngestBenchText(Connect4(), o, r);
  EXPECT_NE(text.find("3 senders into 127.0.0.1:6399"), std::string::npos)
      << text;
  EXPECT_NE(text.find("5000 positions/s"), std::string::npos) << text;
}

TEST(BenchTest, IngestScratchDirUnderOut) {
  const std::string out = ::testing::TempDir() + "/bench_scratch";
  absl::StatusOr<std::string> dir = MakeIngestScratchDir(out);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->rfind(out + "/az-bench-ingest-", 0), 0u) << *dir;
  absl::StatusOr<std::string> other = MakeIngestScratchDir(out);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*dir, *other);
  absl::StatusOr<std::string> tmp = MakeIngestScratchDir("");
  ASSERT_TRUE(tmp.ok());
  EXPECT_EQ(tmp->rfind("/tmp/az-bench-ingest-", 0), 0u) << *tmp;
  ::rmdir(tmp->c_str());
}

}  // namespace
}  // namespace az
