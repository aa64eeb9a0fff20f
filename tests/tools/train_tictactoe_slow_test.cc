// Tic-tac-toe learns perfect play from scratch: the default `az train` run,
// limited to a few minutes on a 2-core CPU, ends with a network that
//  - with search, never loses to any line of the opponent, as either colour
//    (every opponent reply is tried, so the exact solver's are too), and
//  - by its raw value alone, judges at least 95% of the reachable
//    non-terminal positions right: the sign of the exact value for won and
//    lost positions, |v| < 0.5 (nearer a draw than either result) for drawn
//    ones.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/search.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "games/solver.h"
#include "gtest/gtest.h"
#include "nn/inference_server.h"
#include "nn/network_builder.h"
#include "selfplay/run_dir.h"
#include "store/redis_client.h"
#include "store/run_store.h"
#include "tests/store/redis_server.h"
#include "tests/test_util.h"

namespace az {
namespace {

// Every reachable position of the game, each once (by its string form).
void Reachable(const State& state, std::set<std::string>& seen,
               std::vector<std::unique_ptr<State>>& out) {
  if (!seen.insert(state.ToString()).second) return;
  out.push_back(state.Clone());
  if (state.IsTerminal()) return;
  for (Action action : state.LegalActions()) {
    std::unique_ptr<State> child = state.Clone();
    child->Apply(action);
    Reachable(*child, seen, out);
  }
}

struct LineCount {
  int lines = 0;   // finished games
  int losses = 0;  // lines the network lost
  std::string first_loss;
};

// Plays the network (with search) as `network_side` against every reply.
void AllLines(const Game& game, engine::Search& search, State& state,
              Player network_side, std::string moves, LineCount& count) {
  if (state.IsTerminal()) {
    ++count.lines;
    if (RewardFor(state.Outcome(), network_side).is_loss()) {
      if (count.losses++ == 0) count.first_loss = moves;
    }
    return;
  }
  std::vector<Action> choices;
  if (state.ToMove() == network_side) {
    ASSERT_TRUE(search.SetPosition(state).ok());
    absl::StatusOr<engine::SearchResult> result = search.Run();
    ASSERT_TRUE(result.ok()) << result.status();
    choices.push_back(search.ChooseMove(*result));
  } else {
    choices = state.LegalActions();
  }
  for (Action action : choices) {
    std::unique_ptr<State> child = state.Clone();
    child->Apply(action);
    AllLines(game, search, *child, network_side,
             moves + game.ActionToString(action), count);
  }
}

// The checks above on the newest checkpoint of `run`.
void ExpectPerfectPlay(const std::string& run) {
  const Game& game = **FindGame("tictactoe");
  absl::StatusOr<std::string> latest = selfplay::LatestCheckpoint(run);
  ASSERT_TRUE(latest.ok()) << latest.status();
  absl::StatusOr<nn::Checkpoint> checkpoint =
      nn::LoadCheckpointForGame(*latest, game);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_GT(checkpoint->metadata.training_step, 0);
  nn::InferenceServerOptions inference;
  inference.clients = 1;
  absl::StatusOr<std::unique_ptr<nn::InferenceServer>> server =
      nn::InferenceServer::Create(*checkpoint, inference);
  ASSERT_TRUE(server.ok()) << server.status();

  // The raw value against the exact value on every reachable position.
  std::set<std::string> seen;
  std::vector<std::unique_ptr<State>> all;
  Reachable(*game.NewInitialState(), seen, all);
  std::vector<const State*> open;
  for (const auto& s : all) {
    if (!s->IsTerminal()) open.push_back(s.get());
  }
  ASSERT_EQ(open.size(), 4520u);  // tic-tac-toe's non-terminal positions
  std::vector<float> priors(open.size() * game.NumActions());
  std::vector<engine::LeafEvaluation> values(open.size());
  ASSERT_TRUE((*server)->Evaluate(open, absl::MakeSpan(priors),
                                  absl::MakeSpan(values))
                  .ok());
  std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
  int right = 0;
  int wrong_by_class[3] = {0, 0, 0};  // win, draw, loss
  int by_class[3] = {0, 0, 0};
  for (size_t i = 0; i < open.size(); ++i) {
    absl::StatusOr<ExactValue> exact = solver->Solve(*open[i]);
    ASSERT_TRUE(exact.ok());
    const float v = values[i].value.Scalar();
    const int c = exact->reward.is_win() ? 0 : exact->reward.is_loss() ? 2 : 1;
    const bool ok = c == 0 ? v > 0 : c == 2 ? v < 0 : std::abs(v) < 0.5f;
    right += ok;
    ++by_class[c];
    wrong_by_class[c] += !ok;
  }
  std::printf("wrong: %d of %d won, %d of %d drawn, %d of %d lost positions\n",
              wrong_by_class[0], by_class[0], wrong_by_class[1], by_class[1],
              wrong_by_class[2], by_class[2]);
  const double share = static_cast<double>(right) / open.size();
  std::printf("raw value right on %d of %zu positions (%.2f%%)\n", right,
              open.size(), 100 * share);
  EXPECT_GE(share, 0.95);

  // With search: never loses, whatever the opponent plays.
  engine::SearchParams params =
      engine::FullStrength(engine::DefaultSearchParams(game));
  params.num_simulations = 48;  // the run's evaluation budget
  absl::StatusOr<std::unique_ptr<engine::Search>> search =
      engine::Search::Create(game, server->get(), params);
  ASSERT_TRUE(search.ok());
  for (Player side : {Player::kFirst, Player::kSecond}) {
    LineCount count;
    std::unique_ptr<State> initial = game.NewInitialState();
    AllLines(game, **search, *initial, side, "", count);
    std::printf("as %s: %d lines, %d lost\n",
                side == Player::kFirst ? "X" : "O", count.lines,
                count.losses);
    EXPECT_EQ(count.losses, 0)
        << "first lost line: " << count.first_loss;
    EXPECT_GT(count.lines, 10);
  }
}

double MinutesSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
             .count() /
         60;
}

TEST(TrainTicTacToeSlowTest, DefaultRunLearnsPerfectPlayInMinutes) {
  const std::string run = ::testing::TempDir() + "/train_ttt_learns";
  const auto start = std::chrono::steady_clock::now();
  if (std::getenv("AZ_TTT_KEEP") == nullptr) {
    ASSERT_EQ(std::system(("rm -rf " + run).c_str()), 0);
    // Three minutes of training leaves room for start-up and the checks
    // below within the five the issue allows.
    testing::CommandResult trained = testing::RunAz(
        absl::StrCat("train --game=tictactoe --run_dir=", run,
                     " --max_minutes=3 --seed=1"));
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    std::printf("%s", trained.out.c_str());
  }
  ExpectPerfectPlay(run);
  const double minutes = MinutesSince(start);
  std::printf("trained and checked in %.1f minutes\n", minutes);
  EXPECT_LT(minutes, 5.0);
}

// The same run, distributed: a learner that plays no games itself and two
// actor processes, meeting in a real redis-server on 127.0.0.1.
TEST(TrainTicTacToeSlowTest, ALearnerAndTwoActorsLearnPerfectPlayToo) {
  AZ_REQUIRE_REDIS_SERVER();
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start());
  const std::string dir = ::testing::TempDir() + "/train_ttt_distributed";
  ASSERT_EQ(std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  const std::string store = "--store=" + redis.url();
  const pid_t learner = testing::StartAzInBackground(
      absl::StrCat("train --game=tictactoe --run_dir=", dir, "/ttt ", store,
                   " --actor_threads=0 --max_minutes=3 --seed=1"),
      dir + "/learner.log");
  // Actors refuse a run the store does not know: start them once the
  // learner has published it.
  store::RedisOptions options;
  options.address = redis.address();
  auto connection = store::RedisConnection::Connect(options);
  ASSERT_TRUE(connection.ok());
  for (int i = 0; i < 600 && !store::ReadSettings(**connection,
                                                  store::RunKeys("ttt")).ok();
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<pid_t> actors;
  for (int i = 0; i < 2; ++i) {
    actors.push_back(testing::StartAzInBackground(
        absl::StrCat("selfplay ", store, " --run=ttt --actor_threads=1 "
                     "--spool=", dir, "/spool", i, " --progress_seconds=60"),
        absl::StrCat(dir, "/actor", i, ".log")));
  }
  EXPECT_EQ(testing::WaitForExit(learner), 0) << testing::ReadFileBytes(dir + "/learner.log");
  for (pid_t actor : actors) {
    ::kill(actor, SIGINT);
    EXPECT_EQ(testing::WaitForExit(actor), 0);
  }
  const std::string learner_log = testing::ReadFileBytes(dir + "/learner.log");
  std::printf("%s", learner_log.c_str());
  // Every game an actor sent is in the run (none twice), or still in the
  // stream for the next session.
  int64_t sent = 0;
  for (int i = 0; i < 2; ++i) {
    const std::string log =
        testing::ReadFileBytes(absl::StrCat(dir, "/actor", i, ".log"));
    std::printf("%s", log.c_str());
    long long played = 0, actor_sent = 0;
    const size_t at = log.find("stopped: ");
    ASSERT_NE(at, std::string::npos) << log;
    ASSERT_EQ(std::sscanf(log.c_str() + at, "stopped: %lld games played, %lld sent",
                          &played, &actor_sent), 2);
    EXPECT_EQ(played, actor_sent);
    sent += actor_sent;
  }
  long long run_games = 0;
  const size_t at = learner_log.find("games in the run");
  ASSERT_NE(at, std::string::npos);
  const size_t from = learner_log.rfind(" ", learner_log.rfind(" ", at - 1) - 1);
  run_games = std::atoll(learner_log.c_str() + from + 1);
  const int64_t left =
      *store::GamesBacklog(**connection, store::RunKeys("ttt"));
  EXPECT_GT(run_games, 1000);
  EXPECT_EQ(run_games + left, sent) << run_games << " in the run, " << left
                                    << " left in the stream";
  EXPECT_NE(learner_log.find("0 rejected"), std::string::npos);
  ExpectPerfectPlay(dir + "/ttt");
}

}  // namespace
}  // namespace az
