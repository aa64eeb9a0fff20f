// A small, synchronous Redis client over hiredis: the one place az talks the
// Redis protocol. Runs across machines (the learner of az train --store and
// the actors of az selfplay) reach their shared store through it.
//
// Everything that goes over the wire is binary-safe (commands are sent as
// argument vectors, never formatted into a command string), every reply is
// copied out of hiredis into a plain RedisReply, and every failure is an
// absl::Status:
//   - the server cannot be reached, the connection broke or timed out:
//     Unavailable (the caller may reconnect and retry);
//   - a wrong or missing password: Unauthenticated;
//   - the user's ACL forbids the command or key: PermissionDenied;
//   - any other error reply: FailedPrecondition, with Redis's own text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct redisContext;

namespace az::store {

// Where the store is: redis://HOST:PORT[/DB]. HOST is a name or an IPv4
// address; PORT defaults to 6379, DB (the logical database) to 0.
struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;

  // Parses the form above; anything else is InvalidArgument naming the text.
  static absl::StatusOr<RedisAddress> Parse(absl::string_view url);
  std::string ToString() const;  // redis://HOST:PORT/DB
};

// Who az is to Redis. An empty password means no AUTH; an empty user with a
// password is the `requirepass` form (AUTH PASSWORD), a user too is an ACL
// user (AUTH USER PASSWORD). Never taken from the command line, where `ps`
// would show it: see ReadRedisCredentials.
struct RedisCredentials {
  std::string user;
  std::string password;
};

// The credentials of ACL user `user` (empty: the default user): the
// password is the first line of `password_file` when one is named, else the
// value of the environment variable `env_var` when it is set; neither means
// no password. A named file that cannot be read or holds no password is an
// error, not "no password".
absl::StatusOr<RedisCredentials> ReadRedisCredentials(
    const std::string& user, const std::string& password_file,
    const char* env_var);

// One reply, copied out of hiredis.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // kString and kStatus
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_string() const { return type == Type::kString; }
  bool is_array() const { return type == Type::kArray; }
  bool is_integer() const { return type == Type::kInteger; }
};

struct RedisOptions {
  RedisAddress address;
  RedisCredentials credentials;
  // Connecting, and each command, give up after this long (Unavailable).
  int timeout_ms = 5000;
};

// One connection. Not thread-safe: one thread uses a connection at a time.
class RedisConnection {
 public:
  // Connects, authenticates and selects the database.
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(
      const RedisOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and waits for its reply. An error reply is a status
  // (see the top of this file), not a RedisReply.
  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& args);

  // Sends all `commands` at once and reads their replies in order (one
  // round trip). The first failing command's status is returned, after all
  // replies have been read, so the connection stays usable.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // Whether the connection broke (a later Command fails at once); a broken
  // connection is dropped and a new one made.
  bool broken() const { return broken_; }
  const RedisOptions& options() const { return options_; }

 private:
  RedisConnection(redisContext* context, RedisOptions options);
  absl::Status Append(const std::vector<std::string>& args);
  absl::StatusOr<RedisReply> ReadReply();
  absl::Status ConnectionError(absl::string_view doing);

  redisContext* context_;
  RedisOptions options_;
  bool broken_ = false;
};

// The status of an error reply's text ("WRONGPASS ...", "NOPERM ...").
absl::Status StatusOfErrorReply(absl::string_view text);

}  // namespace az::store
