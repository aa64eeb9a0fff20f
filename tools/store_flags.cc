#include "tools/store_flags.h"

#include "absl/strings/str_cat.h"
#include "store/run_store.h"
#include "tools/command.h"

DEFINE_string(store, "",
              "A distributed run's store, redis://HOST:PORT[/DB]: az train "
              "is then its learner (and publishes the run there), az "
              "selfplay one of its actors. Empty: the run stays in this "
              "process.");
DEFINE_string(redis_user, "",
              "Redis ACL user to log in as (empty: the default user).");
DEFINE_string(redis_password_file, "",
              "File whose first line is the Redis password; without it the "
              "password comes from $AZ_REDIS_PASSWORD, if set. Never give "
              "it on the command line.");

DEFINE_string(run_name, "",
              "The run's name in the store, which its actors give as "
              "az selfplay --run=NAME (default: the last component of "
              "--run_dir).");
DEFINE_int64(max_backlog, 0,
             "Games the store may hold for the learner before actors pause "
             "(0: --max_selfplay_lead's positions in games of half the "
             "game's longest length, at least 64).");

namespace az {

absl::StatusOr<store::RedisOptions> RedisOptionsFromFlags() {
  store::RedisOptions options;
  absl::StatusOr<store::RedisAddress> address =
      store::RedisAddress::Parse(FLAGS_store);
  if (!address.ok()) return AsUsageError(address.status());
  options.address = *address;
  absl::StatusOr<store::RedisCredentials> credentials =
      store::ReadRedisCredentials(FLAGS_redis_user, FLAGS_redis_password_file,
                                  kRedisPasswordVariable);
  if (!credentials.ok()) return credentials.status();
  options.credentials = *credentials;
  return options;
}

absl::StatusOr<std::string> RunNameFromFlags(const std::string& run_dir) {
  std::string name = FLAGS_run_name;
  if (name.empty()) {
    std::string dir = run_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const size_t slash = dir.rfind('/');
    name = slash == std::string::npos ? dir : dir.substr(slash + 1);
  }
  absl::Status valid = store::ValidateRunName(name);
  if (!valid.ok()) {
    return UsageError(absl::StrCat(
        valid.message(), FLAGS_run_name.empty()
                             ? " (from --run_dir; give --run_name)"
                             : ""));
  }
  return name;
}

}  // namespace az
