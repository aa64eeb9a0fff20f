#include "store/ingest_bench.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"
#include "store/game_ingest.h"
#include "store/run_store.h"

namespace az::store {
namespace {

std::string RandomRecord(const Game& game, uint64_t seed) {
  std::mt19937_64 rng(seed);
  selfplay::GameRecord record;
  record.game = game.Name();
  record.seed = seed;
  std::unique_ptr<State> state = game.NewInitialState();
  while (!state->IsTerminal()) {
    std::vector<Action> legal = state->LegalActions();
    selfplay::PositionRecord p;
    for (Action a : legal) p.visits.push_back({a, static_cast<uint32_t>(rng() % 100)});
    p.q = static_cast<float>(static_cast<double>(rng() % 2001) / 1000 - 1);
    p.v = p.q;
    const Action move = legal[rng() % legal.size()];
    record.moves.push_back(move);
    record.positions.push_back(p);
    state->Apply(move);
  }
  record.outcome = state->Outcome();
  selfplay::AssignTerminalRewards(game, &record);
  return selfplay::EncodeGameRecord(record);
}

// A sending process: its share of the games, in pipelined batches.
int Sender(const IngestBenchOptions& o, const RunKeys& keys,
           const std::vector<std::string>& records, int index) {
  absl::StatusOr<std::unique_ptr<RedisConnection>> redis =
      RedisConnection::Connect(o.redis);
  if (!redis.ok()) return 1;
  std::vector<GameMessage> batch;
  uint64_t seq = 0;
  for (int64_t g = index; g < o.games; g += o.senders) {
    GameMessage m;
    m.actor = absl::StrCat("bench-sender-", index);
    m.seq = ++seq;
    m.record = records[g % records.size()];
    batch.push_back(std::move(m));
    if (static_cast<int>(batch.size()) == o.batch) {
      if (!SendGames(**redis, keys, batch).ok()) return 1;
      batch.clear();
    }
  }
  return SendGames(**redis, keys, batch).ok() ? 0 : 1;
}

absl::Status Cleanup(RedisConnection& redis, const RunKeys& keys) {
  return redis.Command({"DEL", keys.games()}).status();
}

}  // namespace

absl::StatusOr<IngestBenchResult> MeasureIngest(const Game& game,
                                                const IngestBenchOptions& o) {
  if (o.senders < 1 || o.games < 1 || o.batch < 1 || o.dir.empty()) {
    return absl::InvalidArgumentError(
        "ingest bench: senders, games and batch must be >= 1, and a "
        "directory given");
  }
  RETURN_IF_ERROR(ValidateRunName(o.run));
  const RunKeys keys(o.run);
  ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> redis,
                   RedisConnection::Connect(o.redis));
  RETURN_IF_ERROR(Cleanup(*redis, keys));
  // A few thousand distinct games, reused: the cost per game is the same.
  std::vector<std::string> records;
  double record_bytes = 0;
  for (int i = 0; i < 2000; ++i) {
    records.push_back(RandomRecord(game, o.seed * 7919 + i));
    record_bytes += records.back().size();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<selfplay::ReplayStore> shards,
                   selfplay::ReplayStore::Open(o.dir, game.Name(), 10000));
  ASSIGN_OR_RETURN(GameStreamReader reader,
                   GameStreamReader::Open(*redis, keys, "bench-learner"));
  GameIngest ingest(
      game, std::move(reader), SeenGames(),
      [&](const GameMessage&, selfplay::GameRecord record) {
        return shards->Append(record);
      },
      [&] { return shards->Flush(); });

  std::vector<pid_t> children;
  for (int i = 0; i < o.senders; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(Sender(o, keys, records, i));
    if (pid < 0) return absl::InternalError("ingest bench: fork failed");
    children.push_back(pid);
  }
  using Clock = std::chrono::steady_clock;
  Clock::time_point first{};
  bool started = false;
  absl::Status failed;
  const Clock::time_point give_up = Clock::now() + std::chrono::minutes(10);
  while (ingest.counts().entries < o.games && Clock::now() < give_up) {
    absl::StatusOr<int> n = ingest.Poll(*redis, o.batch, 1000, 0);
    if (!n.ok()) {
      failed = n.status();
      break;
    }
    if (*n > 0 && !started) {
      first = Clock::now();
      started = true;
    }
  }
  const double seconds =
      std::chrono::duration<double>(Clock::now() - first).count();
  bool senders_ok = true;
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    senders_ok = senders_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  Cleanup(*redis, keys).IgnoreError();
  RETURN_IF_ERROR(failed);
  if (!senders_ok) return absl::UnavailableError("ingest bench: a sender failed");
  if (ingest.counts().entries < o.games) {
    return absl::DeadlineExceededError("ingest bench: games did not arrive");
  }
  IngestBenchResult r;
  r.games = ingest.counts().accepted;
  r.positions = ingest.counts().positions;
  r.rejected = ingest.counts().rejected;
  r.seconds = seconds;
  r.games_per_s = r.games / seconds;
  r.positions_per_s = r.positions / seconds;
  r.mean_record_bytes = record_bytes / records.size();
  return r;
}

}  // namespace az::store
