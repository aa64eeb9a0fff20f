#include "store/run_store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/crc32c.h"
#include "base/status_macros.h"

namespace az::store {
namespace {

// A finished game of the games here is a few kB; one far larger is not a
// game, and is refused where it is parsed (see StreamEntry).
constexpr size_t kMaxFieldBytes = 16 << 20;

absl::StatusOr<int64_t> ToInt(const RedisReply& reply, const char* what) {
  int64_t value = 0;
  if (reply.is_integer()) return reply.integer;
  if (reply.is_string() && absl::SimpleAtoi(reply.str, &value)) return value;
  return absl::DataLossError(absl::StrCat("Redis: ", what, " is not a number"));
}

// One [id, [field, value, ...]] element of a stream reply.
StreamEntry ParseEntry(const RedisReply& element) {
  StreamEntry entry;
  if (!element.is_array() || element.elements.size() != 2 ||
      !element.elements[0].is_string()) {
    entry.parsed = absl::DataLossError("stream entry of the wrong shape");
    return entry;
  }
  entry.id = element.elements[0].str;
  const RedisReply& fields = element.elements[1];
  if (fields.is_nil()) {
    entry.parsed = absl::DataLossError("stream entry deleted before reading");
    return entry;
  }
  if (!fields.is_array() || fields.elements.size() % 2 != 0) {
    entry.parsed = absl::DataLossError("stream entry fields of the wrong shape");
    return entry;
  }
  bool has_actor = false, has_seq = false, has_version = false,
       has_record = false;
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    const RedisReply& name = fields.elements[i];
    const RedisReply& value = fields.elements[i + 1];
    if (!name.is_string() || !value.is_string() ||
        value.str.size() > kMaxFieldBytes) {
      entry.parsed = absl::DataLossError("stream entry field is not a string "
                                         "of a sane size");
      return entry;
    }
    if (name.str == "actor") {
      has_actor = !value.str.empty() && value.str.size() <= 128;
      entry.game.actor = value.str;
    } else if (name.str == "seq") {
      has_seq = absl::SimpleAtoi(value.str, &entry.game.seq) &&
                entry.game.seq > 0;
    } else if (name.str == "weights_version") {
      has_version = absl::SimpleAtoi(value.str, &entry.game.weights_version) &&
                    entry.game.weights_version >= 0;
    } else if (name.str == "record") {
      has_record = true;
      entry.game.record = value.str;
    }
  }
  if (!has_actor || !has_seq || !has_version || !has_record) {
    entry.parsed = absl::DataLossError(
        "stream entry lacks a valid actor, seq, weights_version or record");
  }
  return entry;
}

// The entries of an XREADGROUP reply (nil: none).
absl::StatusOr<std::vector<StreamEntry>> ParseReadGroup(
    const RedisReply& reply) {
  std::vector<StreamEntry> entries;
  if (reply.is_nil()) return entries;
  if (!reply.is_array() || reply.elements.size() != 1 ||
      !reply.elements[0].is_array() ||
      reply.elements[0].elements.size() != 2 ||
      !reply.elements[0].elements[1].is_array()) {
    return absl::DataLossError("Redis: XREADGROUP reply of the wrong shape");
  }
  for (const RedisReply& element : reply.elements[0].elements[1].elements) {
    entries.push_back(ParseEntry(element));
  }
  return entries;
}

}  // namespace

absl::Status ValidateRunName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "run name '", name, "' must be 1 to 64 of A-Z a-z 0-9 . _ -"));
  }
  return absl::OkStatus();
}

std::string RunKeys::weights(int64_t version) const {
  return absl::StrCat(prefix(), "weights:", version);
}

absl::Status PublishSettings(
    RedisConnection& redis, const RunKeys& keys,
    const std::map<std::string, std::string>& settings) {
  if (settings.empty()) {
    return absl::InvalidArgumentError("a run's settings cannot be empty");
  }
  std::vector<std::string> hset = {"HSET", keys.settings()};
  for (const auto& [name, value] : settings) {
    hset.push_back(name);
    hset.push_back(value);
  }
  // Replaced as a whole, in one transaction: a reader sees old or new.
  ASSIGN_OR_RETURN(std::vector<RedisReply> replies,
                   redis.Pipeline({{"MULTI"}, {"DEL", keys.settings()}, hset,
                                   {"EXEC"}}));
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> ReadSettings(
    RedisConnection& redis, const RunKeys& keys) {
  ASSIGN_OR_RETURN(RedisReply reply,
                   redis.Command({"HGETALL", keys.settings()}));
  if (!reply.is_array() || reply.elements.size() % 2 != 0) {
    return absl::DataLossError("Redis: run settings of the wrong shape");
  }
  if (reply.elements.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no run '", keys.run(), "' in Redis at ",
        redis.options().address.ToString(),
        " (no learner has started it: az train --store=... --run_dir=.../",
        keys.run(), ")"));
  }
  std::map<std::string, std::string> settings;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    settings[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  return settings;
}

absl::Status HoldLearnerLease(RedisConnection& redis, const RunKeys& keys,
                              const std::string& owner, int64_t ttl_ms) {
  const std::string ttl = absl::StrCat(ttl_ms);
  ASSIGN_OR_RETURN(RedisReply taken, redis.Command({"SET", keys.learner(), owner,
                                                    "NX", "PX", ttl}));
  if (!taken.is_nil()) return absl::OkStatus();
  ASSIGN_OR_RETURN(RedisReply holder, redis.Command({"GET", keys.learner()}));
  if (holder.is_nil()) {  // expired in between: take it again
    return HoldLearnerLease(redis, keys, owner, ttl_ms);
  }
  if (holder.str != owner) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run '", keys.run(), "' in Redis is trained by another learner (",
        holder.str.substr(0, 200), "); give this one another --run_name"));
  }
  return redis.Command({"SET", keys.learner(), owner, "XX", "PX", ttl})
      .status();
}

absl::Status PublishWeights(RedisConnection& redis, const RunKeys& keys,
                            int64_t version, const std::string& checkpoint) {
  absl::StatusOr<WeightsInfo> previous = LatestWeights(redis, keys);
  if (!previous.ok() && !absl::IsNotFound(previous.status())) {
    return previous.status();
  }
  if (previous.ok() && version <= previous->version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "weights version ", version, " is not above the published ",
        previous->version, " of run '", keys.run(), "'"));
  }
  const uint32_t crc = base::Crc32c(checkpoint.data(), checkpoint.size());
  std::vector<std::vector<std::string>> commands = {
      {"MULTI"},
      {"SET", keys.weights(version), checkpoint},
      {"HSET", keys.weights(), "version", absl::StrCat(version), "crc32c",
       absl::StrCat(crc), "bytes", absl::StrCat(checkpoint.size())}};
  // Keep the previous version for actors that read the pointer just before
  // this; delete the one before it.
  if (previous.ok()) {
    ASSIGN_OR_RETURN(RedisReply older,
                     redis.Command({"HGET", keys.weights(), "previous"}));
    if (older.is_string()) commands.push_back({"DEL", keys.weights() + ":" + older.str});
    commands.push_back({"HSET", keys.weights(), "previous",
                        absl::StrCat(previous->version)});
  }
  commands.push_back({"EXEC"});
  ASSIGN_OR_RETURN(std::vector<RedisReply> replies, redis.Pipeline(commands));
  if (replies.back().is_nil()) {
    return absl::AbortedError("Redis: the weights transaction was aborted");
  }
  return absl::OkStatus();
}

absl::StatusOr<WeightsInfo> LatestWeights(RedisConnection& redis,
                                          const RunKeys& keys) {
  ASSIGN_OR_RETURN(RedisReply reply,
                   redis.Command({"HMGET", keys.weights(), "version", "crc32c",
                                  "bytes"}));
  if (!reply.is_array() || reply.elements.size() != 3) {
    return absl::DataLossError("Redis: weights pointer of the wrong shape");
  }
  if (reply.elements[0].is_nil()) {
    return absl::NotFoundError(
        absl::StrCat("run '", keys.run(), "' has no published weights yet"));
  }
  WeightsInfo info;
  ASSIGN_OR_RETURN(info.version, ToInt(reply.elements[0], "weights version"));
  ASSIGN_OR_RETURN(int64_t crc, ToInt(reply.elements[1], "weights crc32c"));
  ASSIGN_OR_RETURN(info.bytes, ToInt(reply.elements[2], "weights size"));
  if (crc < 0 || crc > 0xffffffffLL || info.bytes < 0 || info.version < 0) {
    return absl::DataLossError("Redis: weights pointer out of range");
  }
  info.crc32c = static_cast<uint32_t>(crc);
  return info;
}

absl::StatusOr<std::string> FetchWeights(RedisConnection& redis,
                                         const RunKeys& keys,
                                         const WeightsInfo& info,
                                         int64_t max_bytes) {
  if (info.bytes > max_bytes) {
    return absl::DataLossError(absl::StrCat(
        "published weights of ", info.bytes, " bytes exceed the limit of ",
        max_bytes));
  }
  // STRLEN first: a value larger than announced is not read at all.
  ASSIGN_OR_RETURN(RedisReply length,
                   redis.Command({"STRLEN", keys.weights(info.version)}));
  if (length.is_integer() && length.integer == 0) {
    return absl::NotFoundError(absl::StrCat("weights version ", info.version,
                                            " is no longer published"));
  }
  if (!length.is_integer() || length.integer != info.bytes) {
    return absl::DataLossError(absl::StrCat(
        "published weights version ", info.version, " have ", length.integer,
        " bytes, not the announced ", info.bytes));
  }
  ASSIGN_OR_RETURN(RedisReply bytes,
                   redis.Command({"GET", keys.weights(info.version)}));
  if (bytes.is_nil()) {
    return absl::NotFoundError(absl::StrCat("weights version ", info.version,
                                            " is no longer published"));
  }
  if (static_cast<int64_t>(bytes.str.size()) != info.bytes ||
      base::Crc32c(bytes.str.data(), bytes.str.size()) != info.crc32c) {
    return absl::DataLossError(absl::StrCat(
        "published weights version ", info.version,
        " do not match their checksum; refused"));
  }
  return std::move(bytes.str);
}

absl::Status SendGames(RedisConnection& redis, const RunKeys& keys,
                       const std::vector<GameMessage>& games) {
  if (games.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> commands;
  commands.reserve(games.size());
  for (const GameMessage& g : games) {
    commands.push_back({"XADD", keys.games(), "*", "actor", g.actor, "seq",
                        absl::StrCat(g.seq), "weights_version",
                        absl::StrCat(g.weights_version), "record", g.record});
  }
  return redis.Pipeline(commands).status();
}

absl::StatusOr<int64_t> GamesBacklog(RedisConnection& redis,
                                     const RunKeys& keys) {
  ASSIGN_OR_RETURN(RedisReply reply, redis.Command({"XLEN", keys.games()}));
  return ToInt(reply, "XLEN");
}

absl::StatusOr<GameStreamReader> GameStreamReader::Open(RedisConnection& redis,
                                                        const RunKeys& keys,
                                                        std::string consumer) {
  absl::StatusOr<RedisReply> created = redis.Command(
      {"XGROUP", "CREATE", keys.games(), kGroup, "0", "MKSTREAM"});
  if (!created.ok() &&
      created.status().message().find("BUSYGROUP") == absl::string_view::npos) {
    return created.status();
  }
  return GameStreamReader(keys, std::move(consumer));
}

absl::StatusOr<std::vector<StreamEntry>> GameStreamReader::ReadUnacknowledged(
    RedisConnection& redis, int count, int64_t claim_idle_ms) {
  // Our own pending entries first ("0": from the start of our list).
  ASSIGN_OR_RETURN(RedisReply own,
                   redis.Command({"XREADGROUP", "GROUP", kGroup, consumer_,
                                  "COUNT", absl::StrCat(count), "STREAMS",
                                  keys_.games(), "0"}));
  ASSIGN_OR_RETURN(std::vector<StreamEntry> entries, ParseReadGroup(own));
  if (!entries.empty()) return entries;
  // Then what other consumers were given and left.
  ASSIGN_OR_RETURN(RedisReply claimed,
                   redis.Command({"XAUTOCLAIM", keys_.games(), kGroup,
                                  consumer_, absl::StrCat(claim_idle_ms), "0",
                                  "COUNT", absl::StrCat(count)}));
  if (!claimed.is_array() || claimed.elements.size() < 2 ||
      !claimed.elements[1].is_array()) {
    return absl::DataLossError("Redis: XAUTOCLAIM reply of the wrong shape");
  }
  for (const RedisReply& element : claimed.elements[1].elements) {
    entries.push_back(ParseEntry(element));
  }
  return entries;
}

absl::StatusOr<std::vector<StreamEntry>> GameStreamReader::ReadNew(
    RedisConnection& redis, int count, int block_ms) {
  ASSIGN_OR_RETURN(RedisReply reply,
                   redis.Command({"XREADGROUP", "GROUP", kGroup, consumer_,
                                  "COUNT", absl::StrCat(count), "BLOCK",
                                  absl::StrCat(block_ms), "STREAMS",
                                  keys_.games(), ">"}));
  return ParseReadGroup(reply);
}

absl::Status GameStreamReader::Acknowledge(RedisConnection& redis,
                                           const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  std::vector<std::string> ack = {"XACK", keys_.games(), kGroup};
  std::vector<std::string> del = {"XDEL", keys_.games()};
  ack.insert(ack.end(), ids.begin(), ids.end());
  del.insert(del.end(), ids.begin(), ids.end());
  return redis.Pipeline({ack, del}).status();
}

}  // namespace az::store
