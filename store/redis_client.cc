#include "store/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace az::store {
namespace {

// A password file holds one short line; anything larger is not one.
constexpr size_t kMaxPasswordFileBytes = 4096;
// Replies nest a few levels (XREADGROUP: streams > entries > fields).
constexpr int kMaxReplyDepth = 16;

timeval Timeval(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

absl::StatusOr<RedisReply> CopyReply(const redisReply* r, int depth) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_NIL:
      out.type = RedisReply::Type::kNil;
      return out;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      return out;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      return out;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      return out;
    case REDIS_REPLY_ERROR:
      return StatusOfErrorReply(absl::string_view(r->str, r->len));
    case REDIS_REPLY_ARRAY:
      if (depth >= kMaxReplyDepth) {
        return absl::DataLossError("Redis reply nests too deeply");
      }
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        ASSIGN_OR_RETURN(RedisReply element,
                         CopyReply(r->element[i], depth + 1));
        out.elements.push_back(std::move(element));
      }
      return out;
    default:
      return absl::DataLossError(
          absl::StrCat("Redis reply of unknown type ", r->type));
  }
}

}  // namespace

absl::StatusOr<RedisAddress> RedisAddress::Parse(absl::string_view url) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store must be redis://HOST:PORT[/DB] (", why, "; got '", url,
        "')"));
  };
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "redis://")) return bad("not redis://");
  RedisAddress address;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(slash + 1), &address.db) ||
        address.db < 0 || address.db > 1'000'000) {
      return bad("DB must be a number >= 0");
    }
    rest = rest.substr(0, slash);
  }
  if (size_t colon = rest.rfind(':'); colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &address.port) ||
        address.port < 1 || address.port > 65535) {
      return bad("PORT must be in [1, 65535]");
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad("no HOST");
  for (char c : rest) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '-' && c != '_') {
      return bad("HOST must be a name or an IPv4 address");
    }
  }
  address.host = std::string(rest);
  return address;
}

std::string RedisAddress::ToString() const {
  return absl::StrCat("redis://", host, ":", port, "/", db);
}

absl::StatusOr<RedisCredentials> ReadRedisCredentials(
    const std::string& user, const std::string& password_file,
    const char* env_var) {
  RedisCredentials credentials;
  credentials.user = user;
  if (!password_file.empty()) {
    absl::StatusOr<std::string> text =
        base::ReadFileBounded(password_file, kMaxPasswordFileBytes);
    if (!text.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the Redis password file: ",
                       text.status().message()));
    }
    absl::string_view first = *text;
    first = first.substr(0, first.find('\n'));
    first = absl::StripTrailingAsciiWhitespace(first);
    if (first.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the Redis password file ", password_file, " holds no password"));
    }
    credentials.password = std::string(first);
  } else if (const char* value = env_var ? std::getenv(env_var) : nullptr) {
    credentials.password = value;
  }
  if (!credentials.user.empty() && credentials.password.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Redis user '", credentials.user, "' needs a password (a file, or $",
        env_var ? env_var : "", ")"));
  }
  return credentials;
}

absl::Status StatusOfErrorReply(absl::string_view text) {
  const std::string message = absl::StrCat("Redis: ", text);
  if (absl::StartsWith(text, "WRONGPASS") || absl::StartsWith(text, "NOAUTH") ||
      absl::StrContains(text, "invalid password") ||
      absl::StrContains(text, "without any password configured")) {
    return absl::UnauthenticatedError(message);
  }
  if (absl::StartsWith(text, "NOPERM")) {
    return absl::PermissionDeniedError(message);
  }
  if (absl::StartsWith(text, "LOADING") || absl::StartsWith(text, "BUSY") ||
      absl::StartsWith(text, "TRYAGAIN") ||
      absl::StartsWith(text, "MASTERDOWN")) {
    return absl::UnavailableError(message);
  }
  return absl::FailedPreconditionError(message);
}

RedisConnection::RedisConnection(redisContext* context, RedisOptions options)
    : context_(context), options_(std::move(options)) {}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) redisFree(context_);
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisOptions& options) {
  const timeval timeout = Timeval(options.timeout_ms);
  redisContext* context = redisConnectWithTimeout(
      options.address.host.c_str(), options.address.port, timeout);
  if (context == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a Redis context");
  }
  std::unique_ptr<RedisConnection> connection(
      new RedisConnection(context, options));
  if (context->err != 0) {
    return connection->ConnectionError("connecting");
  }
  if (redisSetTimeout(context, timeout) != REDIS_OK) {
    return connection->ConnectionError("setting the timeout");
  }
  if (!options.credentials.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options.credentials.user.empty()) {
      auth.push_back(options.credentials.user);
    }
    auth.push_back(options.credentials.password);
    absl::StatusOr<RedisReply> reply = connection->Command(auth);
    if (!reply.ok()) {
      if (absl::IsUnauthenticated(reply.status())) {
        return absl::UnauthenticatedError(absl::StrCat(
            "Redis at ", options.address.ToString(),
            " refused the password (", reply.status().message(), ")"));
      }
      return reply.status();
    }
  }
  if (options.address.db != 0) {
    RETURN_IF_ERROR(connection
                        ->Command({"SELECT", absl::StrCat(options.address.db)})
                        .status());
  }
  // A server that wants a password we did not give answers NOAUTH here.
  absl::StatusOr<RedisReply> ping = connection->Command({"PING"});
  if (!ping.ok()) {
    if (absl::IsUnauthenticated(ping.status())) {
      return absl::UnauthenticatedError(absl::StrCat(
          "Redis at ", options.address.ToString(),
          " wants a password (give it in a file or the environment)"));
    }
    return ping.status();
  }
  return connection;
}

absl::Status RedisConnection::ConnectionError(absl::string_view doing) {
  broken_ = true;
  return absl::UnavailableError(absl::StrCat(
      "Redis at ", options_.address.ToString(), ": ", doing, ": ",
      context_->errstr[0] != '\0' ? context_->errstr : "connection lost"));
}

absl::Status RedisConnection::Append(const std::vector<std::string>& args) {
  if (broken_) return ConnectionError("sending");
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(args.size()),
                             argv.data(), lengths.data()) != REDIS_OK) {
    return ConnectionError("sending");
  }
  return absl::OkStatus();
}

absl::StatusOr<RedisReply> RedisConnection::ReadReply() {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    return ConnectionError("reading a reply");
  }
  std::unique_ptr<redisReply, void (*)(void*)> reply(
      static_cast<redisReply*>(raw), freeReplyObject);
  return CopyReply(reply.get(), 0);
}

absl::StatusOr<RedisReply> RedisConnection::Command(
    const std::vector<std::string>& args) {
  RETURN_IF_ERROR(Append(args));
  return ReadReply();
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  for (const std::vector<std::string>& args : commands) {
    RETURN_IF_ERROR(Append(args));
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  absl::Status first_error;
  for (size_t i = 0; i < commands.size(); ++i) {
    absl::StatusOr<RedisReply> reply = ReadReply();
    if (broken_) return reply.status();
    if (!reply.ok()) {
      if (first_error.ok()) first_error = reply.status();
      replies.emplace_back();
      continue;
    }
    replies.push_back(*std::move(reply));
  }
  if (!first_error.ok()) return first_error;
  return replies;
}

}  // namespace az::store
