// `az selfplay`: an actor of a distributed training run. It needs no run
// directory: the run's settings and newest weights come from the store,
// and every finished game goes back there (store/remote_actor.h).
#include <gflags/gflags.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "store/remote_actor.h"
#include "store/run_store.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/run_flags.h"
#include "tools/selfplay_flags.h"
#include "tools/signals.h"
#include "tools/store_flags.h"

DEFINE_int64(max_games, 0, "Stop after sending this many games (0: no limit).");
DEFINE_string(spool, "",
              "File for finished games while the store cannot be reached "
              "(default: ~/.cache/az/spool-RUN).");
DEFINE_int32(spool_mb, 64,
             "The most the spool holds, in MiB; beyond it self-play waits "
             "for the store.");
DEFINE_double(progress_seconds, 30, "Seconds between progress lines.");

namespace az {
namespace {

absl::StatusOr<std::string> DefaultSpool(const std::string& run) {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string dir = cache != nullptr && cache[0] != '\0'
                        ? absl::StrCat(cache, "/az")
                        : absl::StrCat(home != nullptr ? home : "/tmp",
                                       "/.cache/az");
  RETURN_IF_ERROR(base::MakeDirectories(dir));
  return absl::StrCat(dir, "/spool-", run);
}

// The actor's options from the flags; usage errors for bad values.
absl::StatusOr<store::RemoteActorOptions> ActorOptionsFromFlags() {
  if (FLAGS_store.empty()) {
    return UsageError("--store=redis://HOST:PORT[/DB] is required");
  }
  if (FLAGS_run.empty()) return UsageError("--run=NAME (the run's name in the store) is required");
  if (absl::Status s = store::ValidateRunName(FLAGS_run); !s.ok()) {
    return AsUsageError(s);
  }
  if (FLAGS_actor_threads < 1 || FLAGS_games_per_thread < 0 ||
      FLAGS_max_games < 0 || FLAGS_max_minutes < 0 || FLAGS_spool_mb < 1 ||
      !(FLAGS_progress_seconds > 0) || FLAGS_selfplay_cache < -1) {
    return UsageError(
        "--actor_threads, --spool_mb and --progress_seconds must be above 0, "
        "--games_per_thread, --max_games and --max_minutes not negative, "
        "--selfplay_cache -1 (the run's) or more");
  }
  store::RemoteActorOptions o;
  ASSIGN_OR_RETURN(o.redis, RedisOptionsFromFlags());
  o.run = FLAGS_run;
  o.actor_threads = FLAGS_actor_threads;
  o.games_per_thread = FLAGS_games_per_thread;
  o.cache_entries = FLAGS_selfplay_cache;
  absl::StatusOr<nn::InferenceServerOptions> inference =
      InferenceServerOptionsFromFlags(FLAGS_actor_threads,
                                      NetworkUse::kSelfPlay);
  if (!inference.ok()) return AsUsageError(inference.status());
  o.inference = *inference;
  if (FLAGS_spool.empty()) {
    ASSIGN_OR_RETURN(o.spool_path, DefaultSpool(FLAGS_run));
  } else {
    o.spool_path = FLAGS_spool;
  }
  o.spool_bytes = int64_t{FLAGS_spool_mb} << 20;
  o.max_minutes = FLAGS_max_minutes;
  o.max_games = FLAGS_max_games;
  o.seed = FLAGS_seed;
  return o;
}

std::string ProgressLine(const store::RemoteActorReport& r) {
  return absl::StrFormat(
      "%6.0fs | games %d played, %d sent (%.1f/s), %d spooled | weights v%d "
      "(%d refused) | learner backlog %d%s%s",
      r.elapsed_s, r.games_played, r.games_sent, r.games_per_s,
      r.games_spooled, r.weights_version, r.weights_refused, r.backlog,
      r.connected ? "" : " | store unreachable", r.paused ? " | paused" : "");
}

absl::Status SelfPlay(const std::vector<std::string>& args) {
  RETURN_IF_ERROR(NoPositionalArguments(args));
  ASSIGN_OR_RETURN(store::RemoteActorOptions options, ActorOptionsFromFlags());
  ASSIGN_OR_RETURN(std::unique_ptr<store::RemoteActor> actor,
                   store::RemoteActor::Connect(options));
  std::printf("az selfplay: %s\n", actor->Describe().c_str());
  std::fflush(stdout);
  const std::atomic<bool>& stop = StopOnInterrupt(
      "\naz selfplay: stopping (sending the finished games); press Ctrl-C "
      "again to quit at once\n");
  store::RemoteActorReport last;
  absl::Status ran = actor->Run(
      stop, FLAGS_progress_seconds, [&](const store::RemoteActorReport& r) {
        last = r;
        std::printf("%s\n", ProgressLine(r).c_str());
        std::fflush(stdout);
      });
  std::printf("az selfplay: stopped: %lld games played, %lld sent, %lld left "
              "in the spool %s\n",
              static_cast<long long>(last.games_played),
              static_cast<long long>(last.games_sent),
              static_cast<long long>(last.games_spooled),
              options.spool_path.c_str());
  return ran;
}

int RunSelfPlay(const std::vector<std::string>& args) {
  return ExitCode("selfplay", SelfPlay(args));
}

}  // namespace

AZ_REGISTER_COMMAND_WITH_FLAGS(
    selfplay, "selfplay",
    "An actor of a distributed run: plays its games, sends them to the store.",
    "az selfplay --store=redis://HOST:PORT[/DB] --run=NAME "
    "[--actor_threads=N] [--max_games=N] [--max_minutes=M]",
    RunSelfPlay, "selfplay", "network", "store", "run");

}  // namespace az
