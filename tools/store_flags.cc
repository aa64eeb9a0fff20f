#include "tools/store_flags.h"

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

}  // namespace az
