#include "store/remote_actor.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "games/registry.h"
#include "glog/logging.h"
#include "nn/checkpoint.h"
#include "selfplay/actor_farm.h"
#include "selfplay/record_io.h"
#include "store/game_spool.h"
#include "store/run_store.h"

namespace az::store {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string DefaultActorId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "host");
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return absl::StrCat(
      host, "-", ::getpid(), "-",
      std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

// Games sent in one round trip at the most.
constexpr size_t kSendBatch = 256;
// Seconds between attempts to reach a Redis that went away.
constexpr double kReconnectSeconds = 1.0;

}  // namespace

struct RemoteActor::Impl {
  RemoteActorOptions options;
  RunKeys keys{""};
  RunSettings settings;
  const Game* game = nullptr;
  nn::NetworkConfig network;
  int64_t weights_version = 0;
  std::unique_ptr<RedisConnection> redis;  // null while disconnected
  Clock::time_point last_connect_attempt;
  std::unique_ptr<GameSpool> spool;
  std::unique_ptr<nn::InferenceServer> server;
  std::unique_ptr<selfplay::ActorFarm> farm;

  // Finished games on their way out, filled by the actor threads.
  std::mutex mu;
  std::condition_variable outbox_cv;  // the main loop waits for games
  std::condition_variable space_cv;   // actor threads wait for room
  std::deque<GameMessage> outbox;     // under mu
  bool paused = false;                // under mu: the backlog is too long
  bool stopping = false;              // under mu: never wait again
  size_t outbox_limit = 0;
  // The learner's backlog as last read, plus what this actor sent since:
  // sending stops at the run's limit (main thread only).
  int64_t backlog_estimate = 0;
  uint64_t next_seq = 1;              // under mu

  RemoteActorReport report;
  Clock::time_point start = Clock::now();

  absl::Status ConnectRedis();
  absl::Status LoadWeights(const WeightsInfo& info, bool first);
  absl::Status WaitForFirstWeights(double wait_s);
  absl::Status BuildFarm();
  void Sink(selfplay::GameRecord record);
  void Disconnect(const absl::Status& why);
  size_t Deliver(std::vector<GameMessage> games);
  bool FlushOutbox(bool at_stop);
  void Housekeeping();
  void PollWeights();
  void ReleaseWaiters();
  // Whether the session is over: stopped, the farm failed, or a limit hit.
  bool Done(const std::atomic<bool>& stop) const;
  // Brings `report` up to date with the farm and the outbox.
  void FillReport();
  // At the end: every finished game is sent or kept in the spool; an error
  // if some could be neither.
  absl::Status Drain();
};

absl::Status RemoteActor::Impl::ConnectRedis() {
  last_connect_attempt = Clock::now();
  ASSIGN_OR_RETURN(redis, RedisConnection::Connect(options.redis));
  report.connected = true;
  return absl::OkStatus();
}

void RemoteActor::Impl::Disconnect(const absl::Status& why) {
  if (redis != nullptr) {
    LOG(WARNING) << "lost Redis (" << why.message()
                 << "); games go to the spool " << spool->path()
                 << " until it is back";
  }
  redis.reset();
  report.connected = false;
}

absl::Status RemoteActor::Impl::LoadWeights(const WeightsInfo& info,
                                            bool first) {
  ASSIGN_OR_RETURN(std::string bytes,
                   FetchWeights(*redis, keys, info, options.max_weights_bytes));
  const std::string source =
      absl::StrCat("weights version ", info.version, " of run ", keys.run());
  ASSIGN_OR_RETURN(nn::Checkpoint checkpoint,
                   nn::DecodeCheckpoint(bytes, source));
  if (checkpoint.metadata.weight_version != info.version) {
    return absl::DataLossError(absl::StrCat(
        source, " say they are version ", checkpoint.metadata.weight_version));
  }
  if (first) {
    if (checkpoint.metadata.config.game != settings.game) {
      return absl::FailedPreconditionError(absl::StrCat(
          source, " are a network of ", checkpoint.metadata.config.game,
          ", the run plays ", settings.game));
    }
    network = checkpoint.metadata.config;
    nn::InferenceServerOptions inference = options.inference;
    inference.clients = options.actor_threads;
    inference.max_batch = settings.farm.games_per_thread;
    ASSIGN_OR_RETURN(server, nn::InferenceServer::Create(checkpoint, inference));
  } else {
    RETURN_IF_ERROR(
        nn::CheckCheckpointMatches(checkpoint.metadata, network, source));
    RETURN_IF_ERROR(server->PublishWeights(checkpoint));
  }
  weights_version = info.version;
  report.weights_version = info.version;
  return absl::OkStatus();
}

absl::Status RemoteActor::Impl::WaitForFirstWeights(double wait_s) {
  const Clock::time_point since = Clock::now();
  while (true) {
    absl::StatusOr<WeightsInfo> info = LatestWeights(*redis, keys);
    if (info.ok()) return LoadWeights(*info, /*first=*/true);
    if (!absl::IsNotFound(info.status()) || SecondsSince(since) >= wait_s) {
      return info.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

absl::Status RemoteActor::Impl::BuildFarm() {
  selfplay::ActorFarmOptions farm_options = settings.farm;
  farm_options.actor_threads = options.actor_threads;
  if (options.games_per_thread > 0) {
    farm_options.games_per_thread = options.games_per_thread;
  }
  if (options.cache_entries >= 0) {
    farm_options.cache_entries = options.cache_entries;
  }
  // Each actor process plays its own games: its seed comes from its id.
  farm_options.seed =
      options.seed ^ std::hash<std::string>()(options.actor_id);
  nn::InferenceServer* s = server.get();
  farm_options.weights_version = [s] { return s->weight_version(); };
  outbox_limit = static_cast<size_t>(2 * farm_options.actor_threads *
                                     farm_options.games_per_thread);
  ASSIGN_OR_RETURN(
      farm, selfplay::ActorFarm::Create(
                *game, server.get(), farm_options,
                [this](selfplay::GameRecord record) { Sink(std::move(record)); }));
  return absl::OkStatus();
}

void RemoteActor::Impl::Sink(selfplay::GameRecord record) {
  GameMessage message;
  message.actor = options.actor_id;
  message.weights_version = record.weights_version;
  message.record = selfplay::EncodeGameRecord(record);
  std::unique_lock<std::mutex> lock(mu);
  // A full outbox or a long backlog pauses this actor thread here; a
  // stopping actor never waits (the game is kept, not dropped).
  space_cv.wait(lock, [&] {
    return stopping || (!paused && outbox.size() < outbox_limit);
  });
  message.seq = next_seq++;
  outbox.push_back(std::move(message));
  outbox_cv.notify_one();
}

void RemoteActor::Impl::ReleaseWaiters() {
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  space_cv.notify_all();
  outbox_cv.notify_all();
}

// Sends `games` (to Redis, else to the spool); what neither takes goes
// back to the front of the outbox. Returns how many left.
size_t RemoteActor::Impl::Deliver(std::vector<GameMessage> games) {
  if (redis != nullptr) {
    absl::Status sent = SendGames(*redis, keys, games);
    if (sent.ok()) {
      report.games_sent += static_cast<int64_t>(games.size());
      backlog_estimate += static_cast<int64_t>(games.size());
      return games.size();
    }
    Disconnect(sent);
  }
  size_t spooled = 0;
  for (; spooled < games.size(); ++spooled) {
    absl::Status s = spool->Append(games[spooled]);
    if (!s.ok()) {
      LOG_EVERY_N(WARNING, 100) << s.message() << "; self-play waits";
      break;
    }
  }
  if (spooled < games.size()) {
    std::lock_guard<std::mutex> lock(mu);
    outbox.insert(outbox.begin(), games.begin() + spooled, games.end());
  }
  report.games_spooled = static_cast<int64_t>(spool->games());
  return spooled;
}

// Sends or spools the games waiting; false when some could go nowhere, or
// must wait for the learner to catch up (the pace holds except `at_stop`).
bool RemoteActor::Impl::FlushOutbox(bool at_stop) {
  std::vector<GameMessage> games;
  {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = std::min(outbox.size(), kSendBatch);
    if (redis != nullptr && !at_stop) {
      const int64_t room =
          std::max<int64_t>(0, settings.max_backlog - backlog_estimate);
      paused = room == 0;
      n = std::min<size_t>(n, static_cast<size_t>(room));
      if (n == 0 && !outbox.empty()) return false;
    }
    games.assign(std::make_move_iterator(outbox.begin()),
                 std::make_move_iterator(outbox.begin() + n));
    outbox.erase(outbox.begin(), outbox.begin() + n);
  }
  const bool any = !games.empty();
  const size_t delivered = any ? Deliver(std::move(games)) : 0;
  space_cv.notify_all();
  return !any || delivered > 0;
}

void RemoteActor::Impl::PollWeights() {
  absl::StatusOr<WeightsInfo> info = LatestWeights(*redis, keys);
  if (!info.ok()) {
    if (absl::IsUnavailable(info.status())) Disconnect(info.status());
    return;
  }
  if (info->version == weights_version) return;
  if (info->version < weights_version) {
    ++report.weights_refused;
    LOG_EVERY_N(WARNING, 10) << "refused weights version " << info->version
                             << ", older than the " << weights_version
                             << " in use";
    return;
  }
  absl::Status loaded = LoadWeights(*info, /*first=*/false);
  if (!loaded.ok()) {
    if (absl::IsUnavailable(loaded)) {
      Disconnect(loaded);
      return;
    }
    ++report.weights_refused;
    LOG_EVERY_N(WARNING, 10) << "refused weights: " << loaded.message()
                             << "; playing on with version " << weights_version;
  }
}

// Between batches of games: reconnect, empty the spool, watch the backlog,
// pick up new weights.
void RemoteActor::Impl::Housekeeping() {
  if (redis == nullptr) {
    if (SecondsSince(last_connect_attempt) < kReconnectSeconds) return;
    if (!ConnectRedis().ok()) return;
    LOG(INFO) << "Redis is back; sending " << spool->games()
              << " spooled games";
  }
  if (spool->games() > 0) {
    absl::Status drained = spool->Drain(
        [&](const std::vector<GameMessage>& batch) {
          RETURN_IF_ERROR(SendGames(*redis, keys, batch));
          report.games_sent += static_cast<int64_t>(batch.size());
          return absl::OkStatus();
        },
        kSendBatch);
    report.games_spooled = static_cast<int64_t>(spool->games());
    if (!drained.ok()) return Disconnect(drained);
  }
  absl::StatusOr<int64_t> backlog = GamesBacklog(*redis, keys);
  if (!backlog.ok()) return Disconnect(backlog.status());
  report.backlog = *backlog;
  backlog_estimate = *backlog;
  {
    std::lock_guard<std::mutex> lock(mu);
    paused = *backlog >= settings.max_backlog;
  }
  space_cv.notify_all();
  PollWeights();
}

RemoteActor::RemoteActor(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

RemoteActor::~RemoteActor() {
  if (impl_->farm != nullptr) {
    impl_->ReleaseWaiters();
    impl_->farm->Stop().IgnoreError();
  }
}

const RunSettings& RemoteActor::settings() const { return impl_->settings; }

std::string RemoteActor::Describe() const {
  return absl::StrFormat(
      "actor %s of run %s at %s: %s, %d threads x %d games, weights version "
      "%d; spool %s",
      impl_->options.actor_id, impl_->keys.run(),
      impl_->options.redis.address.ToString(), impl_->server->Describe(),
      impl_->farm->options().actor_threads,
      impl_->farm->options().games_per_thread, impl_->weights_version,
      impl_->spool->path());
}

absl::StatusOr<std::unique_ptr<RemoteActor>> RemoteActor::Connect(
    const RemoteActorOptions& options, double wait_for_weights_s) {
  RETURN_IF_ERROR(ValidateRunName(options.run));
  if (options.actor_threads < 1) {
    return absl::InvalidArgumentError("--actor_threads must be >= 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (impl->options.actor_id.empty()) impl->options.actor_id = DefaultActorId();
  impl->keys = RunKeys(options.run);
  RETURN_IF_ERROR(impl->ConnectRedis());
  ASSIGN_OR_RETURN(auto fields, ReadSettings(*impl->redis, impl->keys));
  ASSIGN_OR_RETURN(impl->settings, SettingsFromFields(fields));
  absl::StatusOr<const Game*> game = FindGame(impl->settings.game);
  if (!game.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", options.run, " plays ", impl->settings.game,
        ", a game this az does not have"));
  }
  // The run's games are played under its reward spec, as the learner
  // replays them; a spec this az lacks would pay games the learner rejects.
  game = FindGameWithReward(impl->settings.game, impl->settings.reward);
  if (!game.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", options.run, " trains on reward spec ",
        impl->settings.reward, ", which this az does not have: ",
        game.status().message()));
  }
  impl->game = *game;
  ASSIGN_OR_RETURN(impl->spool,
                   GameSpool::Open(options.spool_path, options.spool_bytes));
  RETURN_IF_ERROR(impl->WaitForFirstWeights(wait_for_weights_s));
  RETURN_IF_ERROR(impl->BuildFarm());
  return std::unique_ptr<RemoteActor>(new RemoteActor(std::move(impl)));
}

bool RemoteActor::Impl::Done(const std::atomic<bool>& stop) const {
  return stop || !farm->Running() ||
         (options.max_minutes > 0 &&
          SecondsSince(start) >= 60 * options.max_minutes) ||
         (options.max_games > 0 &&
          report.games_sent + report.games_spooled >= options.max_games);
}

void RemoteActor::Impl::FillReport() {
  const selfplay::ActorFarmStats stats = farm->Stats();
  report.elapsed_s = SecondsSince(start);
  report.games_played = stats.games;
  report.games_per_s = stats.seconds > 0 ? stats.games / stats.seconds : 0;
  std::lock_guard<std::mutex> lock(mu);
  report.paused = paused || outbox.size() >= outbox_limit;
}

absl::Status RemoteActor::Impl::Drain() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (outbox.empty()) break;
    }
    if (!FlushOutbox(/*at_stop=*/true)) break;  // no Redis and the spool is full
  }
  if (redis != nullptr && spool->games() > 0) Housekeeping();
  std::lock_guard<std::mutex> lock(mu);
  if (!outbox.empty()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        outbox.size(), " finished games could be neither sent nor spooled "
        "(the spool ", spool->path(), " is full)"));
  }
  return absl::OkStatus();
}

absl::Status RemoteActor::Run(
    const std::atomic<bool>& stop, double report_seconds,
    const std::function<void(const RemoteActorReport&)>& report) {
  Impl& m = *impl_;
  RETURN_IF_ERROR(m.farm->Start());
  m.start = Clock::now();
  Clock::time_point last_poll = m.start, last_report = m.start;
  while (!m.Done(stop)) {
    {
      std::unique_lock<std::mutex> lock(m.mu);
      m.outbox_cv.wait_for(lock, std::chrono::milliseconds(100),
                           [&] { return !m.outbox.empty(); });
    }
    if (!m.FlushOutbox(/*at_stop=*/false)) {
      // Neither Redis nor the spool takes games: wait for one of them.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (std::chrono::duration<double>(Clock::now() - last_poll).count() * 1000 >=
        m.options.weights_poll_ms) {
      m.Housekeeping();
      last_poll = Clock::now();
    }
    if (report && SecondsSince(last_report) >= report_seconds) {
      m.FillReport();
      report(m.report);
      last_report = Clock::now();
    }
  }
  m.ReleaseWaiters();
  const absl::Status farm_status = m.farm->Stop();
  // Every finished game leaves: sent, or kept in the spool for next time.
  const absl::Status drained = m.Drain();
  if (report) {
    m.FillReport();
    report(m.report);
  }
  RETURN_IF_ERROR(drained);
  return farm_status;
}

}  // namespace az::store
