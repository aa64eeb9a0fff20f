#include "store/remote_learner.h"

#include <chrono>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "glog/logging.h"
#include "store/run_store.h"

namespace az::store {
namespace {

constexpr auto kReconnectPause = std::chrono::milliseconds(1000);
// The learner's lease lasts this long and is renewed three times as often.
constexpr int64_t kLeaseMs = 30000;
constexpr auto kLeaseRenewal = std::chrono::milliseconds(kLeaseMs / 3);

}  // namespace

RemoteLearner::RemoteLearner(const Game& game, RemoteLearnerOptions options)
    : game_(game), options_(std::move(options)), keys_(options_.run) {}

RemoteLearner::~RemoteLearner() { Stop(); }

absl::StatusOr<std::unique_ptr<RemoteLearner>> RemoteLearner::Connect(
    const Game& game, const RemoteLearnerOptions& options,
    const RunSettings& settings) {
  RETURN_IF_ERROR(ValidateRunName(options.run));
  std::unique_ptr<RemoteLearner> learner(new RemoteLearner(game, options));
  ASSIGN_OR_RETURN(learner->publisher_, RedisConnection::Connect(options.redis));
  ASSIGN_OR_RETURN(learner->reader_, RedisConnection::Connect(options.redis));
  learner->settings_ = settings;
  absl::StatusOr<WeightsInfo> latest =
      LatestWeights(*learner->publisher_, learner->keys_);
  if (latest.ok()) {
    learner->published_version_ = latest->version;
  } else if (!absl::IsNotFound(latest.status())) {
    return latest.status();
  }
  return learner;
}

absl::Status RemoteLearner::PublishWeights(const nn::Checkpoint& weights) {
  return PublishWeightsVersion(weights).status();
}

absl::Status RemoteLearner::ClaimRun() {
  if (claimed_) return absl::OkStatus();
  RETURN_IF_ERROR(
      HoldLearnerLease(*publisher_, keys_, options_.owner, kLeaseMs));
  RETURN_IF_ERROR(
      PublishSettings(*publisher_, keys_, SettingsToFields(settings_)));
  claimed_ = true;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RemoteLearner::PublishWeightsVersion(
    nn::Checkpoint checkpoint) {
  RETURN_IF_ERROR(ClaimRun());
  int64_t version = checkpoint.metadata.weight_version;
  if (version <= published_version_) version = published_version_ + 1;
  checkpoint.metadata.weight_version = version;
  ASSIGN_OR_RETURN(std::string bytes, nn::EncodeCheckpoint(checkpoint));
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (publisher_ == nullptr || publisher_->broken()) {
      absl::StatusOr<std::unique_ptr<RedisConnection>> c =
          RedisConnection::Connect(options_.redis);
      if (!c.ok()) {
        // Said once per outage; the next publish after it carries on.
        if (!publish_failing_) {
          LOG(WARNING) << "weights not published while Redis is away ("
                       << c.status().message() << "); actors keep version "
                       << published_version_;
        }
        publish_failing_ = true;
        return published_version_.load();
      }
      publisher_ = *std::move(c);
    }
    absl::Status s = store::PublishWeights(*publisher_, keys_, version, bytes);
    if (s.ok()) {
      if (publish_failing_) {
        LOG(INFO) << "weights published again, version " << version;
      }
      publish_failing_ = false;
      published_version_ = version;
      return version;
    }
    if (!absl::IsUnavailable(s)) return s;
    publisher_.reset();
  }
  return published_version_.load();
}

absl::Status RemoteLearner::Start(Inbox inbox,
                                  std::vector<selfplay::GameOrigin> stored) {
  SeenGames seen;
  for (const selfplay::GameOrigin& o : stored) seen.Insert(o.actor, o.seq);
  auto keep = std::move(inbox.keep);
  return StartIngest(
      std::move(seen),
      [keep](const GameMessage& origin, selfplay::GameRecord record) {
        record.origin.actor = origin.actor;
        record.origin.seq = origin.seq;
        return keep(std::move(record));
      },
      std::move(inbox.commit));
}

absl::Status RemoteLearner::StartIngest(SeenGames seen,
                                        GameIngest::StoreGame store,
                                        GameIngest::Commit commit) {
  if (thread_.joinable()) return absl::FailedPreconditionError("started");
  RETURN_IF_ERROR(ClaimRun());
  ASSIGN_OR_RETURN(GameStreamReader reader,
                   GameStreamReader::Open(*reader_, keys_, options_.consumer));
  ingest_ = std::make_unique<GameIngest>(game_, std::move(reader),
                                         std::move(seen), std::move(store),
                                         std::move(commit), options_.intake);
  thread_ = std::thread([this] { IngestLoop(); });
  return absl::OkStatus();
}

void RemoteLearner::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status RemoteLearner::Reconnect() {
  absl::StatusOr<std::unique_ptr<RedisConnection>> c =
      RedisConnection::Connect(options_.redis);
  if (!c.ok()) return c.status();
  reader_ = *std::move(c);
  ingest_->Recover();
  connected_ = true;
  LOG(INFO) << "Redis is back at " << options_.redis.address.ToString();
  return absl::OkStatus();
}

void RemoteLearner::IngestLoop() {
  auto last_renewal = std::chrono::steady_clock::now();
  while (!stop_) {
    if (reader_ == nullptr && !Reconnect().ok()) {
      std::this_thread::sleep_for(kReconnectPause);
      continue;
    }
    if (std::chrono::steady_clock::now() - last_renewal >= kLeaseRenewal) {
      absl::Status renewed =
          HoldLearnerLease(*reader_, keys_, options_.owner, kLeaseMs);
      if (absl::IsFailedPrecondition(renewed)) {
        std::lock_guard<std::mutex> lock(mu_);
        failure_ = renewed;
        break;
      }
      last_renewal = std::chrono::steady_clock::now();
    }
    absl::StatusOr<int> handled = ingest_->Poll(
        *reader_, options_.batch, options_.block_ms, published_version_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      counts_ = ingest_->counts();
    }
    if (handled.ok()) continue;
    if (stop_) break;  // a store released by the run's shutdown
    if (absl::IsUnavailable(handled.status())) {
      // Lost, or back but still loading its data: wait and try again.
      if (reader_->broken()) {
        LOG(WARNING) << "lost Redis (" << handled.status().message()
                     << "); games wait there until it is back";
        reader_.reset();
        connected_ = false;
      }
      std::this_thread::sleep_for(kReconnectPause);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    failure_ = handled.status();
    LOG(ERROR) << "game ingest stopped: " << failure_.message();
    break;
  }
}

absl::Status RemoteLearner::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

IngestCounts RemoteLearner::ingest_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

selfplay::RemoteActors::Counts RemoteLearner::counts() const {
  const IngestCounts c = ingest_counts();
  Counts out;
  out.accepted = c.accepted;
  out.rejected = c.rejected;
  out.mean_version_lag =
      c.accepted > 0 ? static_cast<double>(c.version_lag_sum) / c.accepted
                     : std::numeric_limits<double>::quiet_NaN();
  out.connected = connected_.load();
  return out;
}

std::string RemoteLearner::Describe() const {
  return absl::StrCat("learner of run ", keys_.run(), " at ",
                      options_.redis.address.ToString(), " (games stream ",
                      keys_.games(), ")");
}

}  // namespace az::store
