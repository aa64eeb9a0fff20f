// Flags of the subcommands that reach a distributed run's Redis store
// (az train --store, az selfplay, az bench --what=ingest), and the
// connection options built from them. Defined once in store_flags.cc.
//
// The password is never a flag: it would show in `ps`. It is read from the
// file --redis_password_file names, else from $AZ_REDIS_PASSWORD.
#pragma once

#include <gflags/gflags.h>

#include "absl/status/statusor.h"
#include "store/redis_client.h"

DECLARE_string(store);
DECLARE_string(redis_user);
DECLARE_string(redis_password_file);
DECLARE_string(run_name);
DECLARE_int64(max_backlog);

namespace az {

// The environment variable a password may come from.
inline constexpr char kRedisPasswordVariable[] = "AZ_REDIS_PASSWORD";

// Where and as whom to connect, from the flags above; a malformed --store
// is a usage error, an unreadable password file a runtime one.
absl::StatusOr<store::RedisOptions> RedisOptionsFromFlags();

// The run's name in the store: --run_name, else the last component of
// `run_dir`; a usage error when it is not a valid name.
absl::StatusOr<std::string> RunNameFromFlags(const std::string& run_dir);

}  // namespace az
