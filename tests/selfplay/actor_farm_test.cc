// The actor farm with one actor thread and the uniform evaluator: finished
// games come out as consistent records, a seed repeats a run, and Stop()
// returns promptly.
#include "selfplay/actor_farm.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <set>
#include <atomic>
#include <thread>
#include <vector>

#include "engine/evaluators.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "games/reward.h"
#include "gtest/gtest.h"

namespace az::selfplay {
namespace {

using Clock = std::chrono::steady_clock;

// Collects records from the actor threads.
class RecordCollector {
 public:
  ActorFarm::GameSink Sink() {
    return [this](GameRecord record) {
      std::lock_guard<std::mutex> lock(mu_);
      records_.push_back(std::move(record));
      cv_.notify_all();
    };
  }
  // Waits (up to a minute) until `n` records arrived; returns them all.
  std::vector<GameRecord> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::minutes(1),
                 [&] { return records_.size() >= n; });
    return records_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<GameRecord> records_;
};

ActorFarmOptions SmallFarm(const Game& game, int sims) {
  ActorFarmOptions options;
  options.search = engine::DefaultSearchParams(game);
  options.search.num_simulations = sims;
  options.search.root_noise = true;
  options.search.temperature_moves = 4;
  options.actor_threads = 1;
  options.games_per_thread = 8;
  options.seed = 7;
  return options;
}

std::vector<GameRecord> PlayGames(const Game& game, engine::Evaluator* eval,
                                  const ActorFarmOptions& options, size_t n) {
  RecordCollector collector;
  auto farm = ActorFarm::Create(game, eval, options, collector.Sink());
  EXPECT_TRUE(farm.ok()) << farm.status();
  if (!farm.ok()) return {};
  EXPECT_TRUE((*farm)->Start().ok());
  std::vector<GameRecord> records = collector.WaitFor(n);
  EXPECT_TRUE((*farm)->Stop().ok());
  EXPECT_GE(records.size(), n);
  ActorFarmStats stats = (*farm)->Stats();
  EXPECT_GE(stats.games, static_cast<int64_t>(records.size()));
  EXPECT_GT(stats.simulations, stats.evaluations / 2);
  EXPECT_GT(stats.rounds, 0);
  return records;
}

// Replays the record: every move legal, the game ends on the last move with
// the recorded outcome, and z is that outcome's reward for the side to move.
void ExpectConsistent(const Game& game, const GameRecord& record, int sims,
                      bool exact_visits) {
  EXPECT_EQ(record.game, game.Name());
  ASSERT_EQ(record.positions.size(), record.moves.size());
  ASSERT_FALSE(record.moves.empty());
  EXPECT_NE(record.outcome, GameOutcome::kOngoing);
  std::unique_ptr<State> state = game.NewInitialState();
  for (size_t i = 0; i < record.moves.size(); ++i) {
    ASSERT_FALSE(state->IsTerminal()) << "ply " << i;
    ASSERT_TRUE(state->IsLegal(record.moves[i])) << "ply " << i;
    const PositionRecord& p = record.positions[i];
    EXPECT_EQ(p.z, RewardFor(record.outcome, state->ToMove())) << "ply " << i;
    EXPECT_GE(p.v, -1.0f);
    EXPECT_LE(p.v, 1.0f);
    EXPECT_GE(p.q, -1.0f);
    EXPECT_LE(p.q, 1.0f);
    uint64_t visits = 0;
    for (const auto& [action, n] : p.visits) {
      EXPECT_TRUE(state->IsLegal(action));
      EXPECT_GT(n, 0u);
      visits += n;
    }
    // The first simulation expands the root, every other visits one child;
    // a search whose root gets proven may stop sooner.
    if (exact_visits) {
      EXPECT_EQ(visits, static_cast<uint64_t>(sims - 1)) << "ply " << i;
    } else {
      EXPECT_GE(visits, 1u) << "ply " << i;
    }
    state->Apply(record.moves[i]);
  }
  EXPECT_TRUE(state->IsTerminal());
  EXPECT_EQ(state->Outcome(), record.outcome);
}

TEST(ActorFarmTest, RecordsReplayWithVisitsAndRewards) {
  const Game& game = **FindGame("tictactoe");
  engine::UniformEvaluator uniform(game);
  ActorFarmOptions options = SmallFarm(game, 40);
  // Without tree reuse and proof stops every search has exactly its
  // simulations.
  options.search.reuse_tree = false;
  options.search.stop_when_proven = false;
  for (const GameRecord& r : PlayGames(game, &uniform, options, 12)) {
    ExpectConsistent(game, r, 40, /*exact_visits=*/true);
  }
}

TEST(ActorFarmTest, TreeReuseAndProofStopsKeepRecordsConsistent) {
  const Game& game = **FindGame("connect4");
  engine::UniformEvaluator uniform(game);
  ActorFarmOptions options = SmallFarm(game, 30);
  for (const GameRecord& r : PlayGames(game, &uniform, options, 10)) {
    ExpectConsistent(game, r, 30, /*exact_visits=*/false);
  }
}

TEST(ActorFarmTest, RecordsCarryTheWeightVersionTheirGameStartedWith) {
  const Game& game = **FindGame("tictactoe");
  engine::UniformEvaluator uniform(game);
  ActorFarmOptions options = SmallFarm(game, 10);
  std::atomic<int64_t> version{41};
  options.weights_version = [&] { return version.fetch_add(1); };
  std::vector<GameRecord> records = PlayGames(game, &uniform, options, 12);
  ASSERT_GE(records.size(), 12u);
  std::set<int64_t> seen;
  for (const GameRecord& r : records) {
    EXPECT_GE(r.weights_version, 41);
    EXPECT_LT(r.weights_version, version.load());
    seen.insert(r.weights_version);
  }
  EXPECT_EQ(seen.size(), records.size()) << "one read per new game";
}

TEST(ActorFarmTest, RandomOpeningMovesVaryOtherwiseIdenticalGames) {
  const Game& game = **FindGame("tictactoe");
  engine::UniformEvaluator uniform(game);
  ActorFarmOptions options = SmallFarm(game, 20);
  // Without noise or temperature every game is the same...
  options.search.root_noise = false;
  options.search.temperature_moves = 0;
  std::set<std::vector<Action>> plain;
  for (const GameRecord& r : PlayGames(game, &uniform, options, 16)) {
    plain.insert(r.moves);
  }
  EXPECT_EQ(plain.size(), 1u);
  // ... and random opening moves make them differ, with records that still
  // replay and have a search (visits) behind every move.
  options.random_opening_moves = 4;
  std::set<std::vector<Action>> varied;
  for (const GameRecord& r : PlayGames(game, &uniform, options, 16)) {
    ExpectConsistent(game, r, 20, /*exact_visits=*/false);
    varied.insert(r.moves);
  }
  EXPECT_GE(varied.size(), 5u);
}

TEST(ActorFarmTest, PlayoutCapsGiveAShareOfMovesTheFullSearch) {
  const Game& game = **FindGame("connect4");
  engine::UniformEvaluator uniform(game);
  ActorFarmOptions options = SmallFarm(game, 40);
  // Without tree reuse and proof stops, a search's visits tell its budget.
  options.search.reuse_tree = false;
  options.search.stop_when_proven = false;
  options.quick_simulations = 8;
  options.full_search_share = 0.25;
  int full = 0, quick = 0;
  for (const GameRecord& r : PlayGames(game, &uniform, options, 16)) {
    ExpectConsistent(game, r, 40, /*exact_visits=*/false);
    for (size_t i = 0; i < r.positions.size(); ++i) {
      const PositionRecord& p = r.positions[i];
      uint64_t visits = 0;
      for (const auto& [action, n] : p.visits) visits += n;
      EXPECT_EQ(visits, p.full_search ? 39u : 7u) << "ply " << i;
      (p.full_search ? full : quick) += 1;
    }
  }
  // 16 games of connect4 under a uniform prior: well over 200 moves, of
  // which a quarter (sd under 3%) got the full search.
  const double share = static_cast<double>(full) / (full + quick);
  EXPECT_GT(full + quick, 200);
  EXPECT_GT(share, 0.15);
  EXPECT_LT(share, 0.35);

  // Switched off (the default), every move is a full search.
  options.quick_simulations = 0;
  for (const GameRecord& r : PlayGames(game, &uniform, options, 4)) {
    for (const PositionRecord& p : r.positions) EXPECT_TRUE(p.full_search);
  }
}

TEST(ActorFarmTest, OneActorThreadRepeatsForASeed) {
  const Game& game = **FindGame("connect4");
  engine::UniformEvaluator uniform(game);
  ActorFarmOptions options = SmallFarm(game, 20);
  std::vector<GameRecord> a = PlayGames(game, &uniform, options, 10);
  std::vector<GameRecord> b = PlayGames(game, &uniform, options, 10);
  options.seed = 8;
  std::vector<GameRecord> c = PlayGames(game, &uniform, options, 10);
  ASSERT_GE(a.size(), 10u);
  ASSERT_GE(b.size(), 10u);
  ASSERT_GE(c.size(), 10u);
  bool any_differs = false;
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(a[i].moves, b[i].moves) << "game " << i;
    EXPECT_EQ(a[i].seed, b[i].seed);
    ASSERT_EQ(a[i].positions.size(), b[i].positions.size());
    for (size_t k = 0; k < a[i].positions.size(); ++k) {
      EXPECT_EQ(a[i].positions[k].visits, b[i].positions[k].visits);
      EXPECT_EQ(a[i].positions[k].q, b[i].positions[k].q);
    }
    any_differs |= a[i].moves != c[i].moves;
  }
  EXPECT_TRUE(any_differs) << "another seed should play other games";
}

TEST(ActorFarmTest, ACacheSavesEvaluationsAndChangesNoGame) {
  // Playouts seeded by the position: the same values with or without the
  // cache, so the games must be the same too.
  const Game& game = **FindGame("connect4");
  auto rollouts = *engine::RolloutEvaluator::Create(game, 1, 3);
  ActorFarmOptions options = SmallFarm(game, 40);
  std::vector<GameRecord> bare = PlayGames(game, rollouts.get(), options, 8);
  options.cache_entries = 1 << 16;
  RecordCollector collector;
  auto farm = ActorFarm::Create(game, rollouts.get(), options,
                                collector.Sink());
  ASSERT_TRUE(farm.ok()) << farm.status();
  ASSERT_TRUE((*farm)->Start().ok());
  std::vector<GameRecord> cached = collector.WaitFor(8);
  ASSERT_TRUE((*farm)->Stop().ok());
  ASSERT_GE(bare.size(), 8u);
  ASSERT_GE(cached.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(bare[i].moves, cached[i].moves) << "game " << i;
    ASSERT_EQ(bare[i].positions.size(), cached[i].positions.size());
    for (size_t k = 0; k < bare[i].positions.size(); ++k) {
      EXPECT_EQ(bare[i].positions[k].visits, cached[i].positions[k].visits);
      EXPECT_EQ(bare[i].positions[k].q, cached[i].positions[k].q);
    }
  }
  // Eight games from the same empty board share their openings.
  const ActorFarmStats stats = (*farm)->Stats();
  EXPECT_GT(stats.cache_hits, stats.evaluations / 10) << stats.evaluations;
  EXPECT_LT(stats.cache_hits, stats.evaluations);

  options.cache_entries = -1;
  EXPECT_FALSE(
      ActorFarm::Create(game, rollouts.get(), options, [](GameRecord) {})
          .ok());
}

TEST(ActorFarmTest, StopReturnsPromptlyDuringLongSearches) {
  const Game& game = **FindGame("connect4");
  engine::UniformEvaluator uniform(game);
  // Searches long enough that one move takes far longer than the deadline.
  ActorFarmOptions options = SmallFarm(game, 2'000'000);
  options.search.stop_when_proven = false;
  RecordCollector collector;
  auto farm = ActorFarm::Create(game, &uniform, options, collector.Sink());
  ASSERT_TRUE(farm.ok()) << farm.status();
  ASSERT_TRUE((*farm)->Start().ok());
  EXPECT_TRUE((*farm)->Running());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Clock::time_point start = Clock::now();
  EXPECT_TRUE((*farm)->Stop().ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE((*farm)->Running());
  EXPECT_GT((*farm)->Stats().evaluations, 0);
  EXPECT_EQ((*farm)->Stats().games, 0);
  EXPECT_TRUE((*farm)->Stop().ok());  // a second Stop() is harmless
}

TEST(ActorFarmTest, RejectsBadOptions) {
  const Game& game = **FindGame("tictactoe");
  engine::UniformEvaluator uniform(game);
  ActorFarmOptions options = SmallFarm(game, 10);
  auto sink = [](GameRecord) {};
  options.games_per_thread = 0;
  EXPECT_FALSE(ActorFarm::Create(game, &uniform, options, sink).ok());
  options = SmallFarm(game, 10);
  options.search.num_threads = 2;
  EXPECT_FALSE(ActorFarm::Create(game, &uniform, options, sink).ok());
  options = SmallFarm(game, 10);
  EXPECT_FALSE(ActorFarm::Create(game, &uniform, options, nullptr).ok());
  options = SmallFarm(game, 10);
  options.quick_simulations = -1;
  EXPECT_FALSE(ActorFarm::Create(game, &uniform, options, sink).ok());
  for (double share : {0.0, -0.5, 1.5}) {
    options = SmallFarm(game, 10);
    options.quick_simulations = 4;
    options.full_search_share = share;
    EXPECT_FALSE(ActorFarm::Create(game, &uniform, options, sink).ok())
        << share;
  }
}

}  // namespace
}  // namespace az::selfplay
