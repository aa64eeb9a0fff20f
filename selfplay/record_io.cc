#include "selfplay/record_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "nn/checkpoint.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "game records are stored little-endian");

namespace az::selfplay {
namespace {

// Header: magic, u32 version, u32 name length, name, u32 CRC-32C of the
// version, length and name. This layout is the same in every version, past
// and future, so its checksum is verified before the version is believed.
constexpr char kMagic[8] = {'A', 'Z', 'R', 'E', 'C', '\r', '\n', '\x1a'};
constexpr uint32_t kMaxGameNameBytes = 256;
constexpr size_t kFrameBytes = 8;  // u32 length + u32 CRC
// The least bytes a position takes (no visits: a one-byte count; v, q and
// the z byte), a move with its position (a one-byte action), and one visit
// entry (a one-byte action and count). Counts read from a payload are
// bounded by these, so nothing is sized beyond what the bytes can hold.
constexpr uint64_t kMinPositionBytes = 1 + 4 + 4 + 1;
constexpr uint64_t kMinMoveBytes = 1 + kMinPositionBytes;
constexpr uint64_t kMinVisitEntryBytes = 2;
// Records are buffered in memory up to this size before a write.
constexpr size_t kWriteBufferBytes = 1 << 20;

// Payload of a record, version 1 (varints are LEB128; zigzag for signed):
//   zigzag varint weights_version, fixed64 seed, u8 outcome,
//   varint number of moves n, n varint actions, then n positions:
//     varint number of visit entries m, m x (varint action, varint count),
//     f32 v, f32 q, u8 z (0 loss, 1 draw, 2 win).
// Version 2 is version 1 with one more bit in the z byte: bit 2 (value 4)
// is set when the position got a quick search, not the full one.
constexpr uint8_t kRewardMask = 0x03;
constexpr uint8_t kQuickSearchBit = 0x04;

void PutVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

template <typename T>
void PutFixed(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reads the fields of a payload, failing (never crashing) on short or
// out-of-range input.
class PayloadReader {
 public:
  explicit PayloadReader(absl::string_view data) : data_(data) {}

  bool Varint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      if (shift == 63 && byte > 1) return false;  // more than 64 bits
      result |= uint64_t{byte & 0x7fu} << shift;
      if (!(byte & 0x80)) {
        *value = result;
        return true;
      }
    }
    return false;
  }
  // A varint no larger than `max`.
  bool BoundedVarint(uint64_t max, uint64_t* value) {
    return Varint(value) && *value <= max;
  }
  template <typename T>
  bool Fixed(T* value) {
    if (data_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

// The fields of a payload before its moves.
struct RecordStart {
  uint64_t zigzag_weights_version = 0;
  uint64_t seed = 0;
  uint8_t outcome = 0;
  uint64_t moves = 0;
};

// Reads a record's start from `in`: nullptr if well formed, else what is
// wrong. The move count is bounded by the bytes left (kMinMoveBytes each),
// so nothing is ever sized by a count the payload cannot hold.
const char* ReadRecordStart(PayloadReader* in, RecordStart* start) {
  if (!in->Varint(&start->zigzag_weights_version) || !in->Fixed(&start->seed) ||
      !in->Fixed(&start->outcome)) {
    return "short header";
  }
  if (start->outcome > static_cast<uint8_t>(GameOutcome::kDraw)) {
    return "unknown outcome";
  }
  if (!in->BoundedVarint(in->remaining() / kMinMoveBytes, &start->moves)) {
    return "move count";
  }
  return nullptr;
}

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

std::string EncodeHeader(const std::string& game) {
  std::string body;
  PutFixed<uint32_t>(&body, kRecordFormatVersion);
  PutFixed<uint32_t>(&body, static_cast<uint32_t>(game.size()));
  body += game;
  std::string header(kMagic, sizeof(kMagic));
  header += body;
  PutFixed<uint32_t>(&header, nn::Crc32c(body.data(), body.size()));
  return header;
}

struct ShardHeader {
  std::string game;
  uint32_t format_version = 0;
  size_t size = 0;  // bytes of the header in the file
};

absl::StatusOr<ShardHeader> ParseHeader(absl::string_view data,
                                        const std::string& path) {
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("game record shard ", path, " has a bad header: ", why));
  };
  if (data.size() < sizeof(kMagic) ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return bad("not a game record file (wrong magic bytes)");
  }
  if (data.size() < sizeof(kMagic) + 8) return bad("file ends in the header");
  // The checksum first: until it matches, no field is believed (a flipped
  // bit in the version must not read as a file of a newer az).
  const uint32_t name_size = LoadU32(data.data() + sizeof(kMagic) + 4);
  if (name_size > kMaxGameNameBytes) return bad("game name too long");
  const size_t body_size = 8 + name_size;
  if (data.size() < sizeof(kMagic) + body_size + 4) {
    return bad("file ends in the header");
  }
  const char* body = data.data() + sizeof(kMagic);
  if (LoadU32(body + body_size) != nn::Crc32c(body, body_size)) {
    return bad("header checksum mismatch");
  }
  ShardHeader header;
  header.format_version = LoadU32(body);
  if (header.format_version == 0) return bad("format version 0");
  if (header.format_version > kRecordFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "game record shard ", path, " has format version ",
        header.format_version, " (written by a newer az); this az reads up to ",
        kRecordFormatVersion));
  }
  header.game.assign(body + 8, name_size);
  header.size = sizeof(kMagic) + body_size + 4;
  return header;
}

absl::Status Errno(absl::string_view action, const std::string& path) {
  const int error = errno;
  return absl::ErrnoToStatus(
      error, absl::StrCat("cannot ", action, " game record shard ", path));
}

absl::StatusOr<std::string> ReadWholeFile(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("stat", path);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(fd, data.data() + done, data.size() - done, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path);
    }
    if (n == 0) break;  // shrank while reading: keep what is there
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

// Makes a new directory entry for `path` durable.
absl::Status SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open the directory of", path);
  const bool synced = ::fsync(fd) == 0;
  const absl::Status status =
      synced ? absl::OkStatus() : Errno("sync the directory of", path);
  ::close(fd);
  return status;
}

// The status of writing all of `data` at `offset`.
absl::Status WriteAll(int fd, absl::string_view data, int64_t offset,
                      const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                         offset + static_cast<int64_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeGameRecord(const GameRecord& record) {
  std::string out;
  out.reserve(16 + record.moves.size() * 24);
  const uint64_t version = static_cast<uint64_t>(record.weights_version);
  PutVarint(&out,
            (version << 1) ^ (record.weights_version < 0 ? ~uint64_t{0} : 0));
  PutFixed<uint64_t>(&out, record.seed);
  PutFixed<uint8_t>(&out, static_cast<uint8_t>(record.outcome));
  PutVarint(&out, record.moves.size());
  for (Action a : record.moves) PutVarint(&out, static_cast<uint32_t>(a));
  for (const PositionRecord& p : record.positions) {
    PutVarint(&out, p.visits.size());
    for (const auto& [action, count] : p.visits) {
      PutVarint(&out, static_cast<uint32_t>(action));
      PutVarint(&out, count);
    }
    PutFixed<float>(&out, p.v);
    PutFixed<float>(&out, p.q);
    PutFixed<uint8_t>(&out, static_cast<uint8_t>(p.z.value() + 1) |
                                (p.full_search ? 0 : kQuickSearchBit));
  }
  return out;
}

absl::StatusOr<GameRecord> DecodeGameRecord(absl::string_view payload,
                                            const std::string& game,
                                            uint32_t format_version) {
  auto bad = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("malformed game record: ", why));
  };
  constexpr uint64_t kMaxAction = std::numeric_limits<Action>::max();
  PayloadReader in(payload);
  RecordStart start;
  if (const char* why = ReadRecordStart(&in, &start); why != nullptr) {
    return bad(why);
  }
  GameRecord record;
  record.game = game;
  record.seed = start.seed;
  const uint64_t zigzag = start.zigzag_weights_version;
  record.weights_version =
      static_cast<int64_t>(zigzag >> 1) ^ -static_cast<int64_t>(zigzag & 1);
  record.outcome = static_cast<GameOutcome>(start.outcome);
  record.moves.resize(start.moves);
  record.positions.resize(start.moves);
  for (Action& a : record.moves) {
    uint64_t value;
    if (!in.BoundedVarint(kMaxAction, &value)) return bad("move");
    a = static_cast<Action>(value);
  }
  for (size_t i = 0; i < record.positions.size(); ++i) {
    PositionRecord& p = record.positions[i];
    // The entries share the bytes left with this position's count, v, q and
    // z and with every later position.
    const uint64_t later = record.positions.size() - 1 - i;
    const uint64_t reserved = (later + 1) * kMinPositionBytes;
    uint64_t entries;
    if (in.remaining() < reserved ||
        !in.BoundedVarint((in.remaining() - reserved) / kMinVisitEntryBytes,
                          &entries)) {
      return bad("visit count");
    }
    p.visits.resize(entries);
    for (auto& [action, visits] : p.visits) {
      uint64_t a, n;
      if (!in.BoundedVarint(kMaxAction, &a) ||
          !in.BoundedVarint(std::numeric_limits<uint32_t>::max(), &n)) {
        return bad("visits");
      }
      action = static_cast<Action>(a);
      visits = static_cast<uint32_t>(n);
    }
    uint8_t z;
    if (!in.Fixed(&p.v) || !in.Fixed(&p.q) || !in.Fixed(&z)) {
      return bad("position values");
    }
    if (!std::isfinite(p.v) || !std::isfinite(p.q)) {
      return bad("value not finite");
    }
    if (format_version >= 2) {
      p.full_search = (z & kQuickSearchBit) == 0;
      if ((z & ~(kRewardMask | kQuickSearchBit)) != 0) {
        return bad("unknown position flags");
      }
      z &= kRewardMask;
    }
    switch (z) {
      case 0:
        p.z = TerminalReward::Loss();
        break;
      case 1:
        p.z = TerminalReward::Draw();
        break;
      case 2:
        p.z = TerminalReward::Win();
        break;
      default:
        return bad("reward out of range");
    }
  }
  if (in.remaining() != 0) return bad("trailing bytes");
  return record;
}

absl::StatusOr<ShardContents> ReadShard(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  absl::StatusOr<std::string> data = ReadWholeFile(fd, path);
  ::close(fd);
  if (!data.ok()) return data.status();
  absl::StatusOr<ShardHeader> header = ParseHeader(*data, path);
  if (!header.ok()) return header.status();

  ShardContents contents;
  contents.game = header->game;
  contents.format_version = header->format_version;
  const absl::string_view bytes(*data);
  size_t pos = header->size;
  while (pos < bytes.size()) {
    const size_t left = bytes.size() - pos;
    uint32_t length = 0;
    if (left >= kFrameBytes) length = LoadU32(bytes.data() + pos);
    // An incomplete frame: a crash mid-write (or a length field so damaged
    // that the rest of the file cannot be framed; either way it is skipped).
    if (left < kFrameBytes || length > kMaxRecordBytes ||
        length > left - kFrameBytes) {
      contents.truncated_tail_bytes = static_cast<int64_t>(left);
      LOG(WARNING) << "game record shard " << path << ": skipped " << left
                   << " bytes of an incomplete record at offset " << pos;
      break;
    }
    const absl::string_view payload = bytes.substr(pos + kFrameBytes, length);
    const uint32_t crc = LoadU32(bytes.data() + pos + 4);
    absl::StatusOr<GameRecord> record =
        crc == nn::Crc32c(payload.data(), payload.size())
            ? DecodeGameRecord(payload, header->game, header->format_version)
            : absl::DataLossError("checksum mismatch");
    if (record.ok()) {
      contents.records.push_back(*std::move(record));
    } else {
      ++contents.corrupt_records;
      LOG(WARNING) << "game record shard " << path
                   << ": skipped a record at offset " << pos << ": "
                   << record.status().message();
    }
    pos += kFrameBytes + length;
  }
  return contents;
}

absl::StatusOr<std::unique_ptr<ShardWriter>> ShardWriter::Open(
    const std::string& path, const std::string& game) {
  if (game.empty() || game.size() > kMaxGameNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad game name for shard ", path, ": '", game, "'"));
  }
  // Created exclusively, so two writers creating one shard get one file;
  // its header is written below, under the lock.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  const bool created = fd >= 0;
  if (!created && errno == EEXIST) {
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (fd < 0) return Errno("open", path);
  auto fail = [&](absl::Status status) {
    // A shard this call created and could not give a header is removed
    // (the lock is still held, so nobody else is using it).
    if (created && !absl::IsFailedPrecondition(status)) {
      ::unlink(path.c_str());
    }
    ::close(fd);
    return status;
  };
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(absl::FailedPreconditionError(absl::StrCat(
          "game record shard ", path, " is open in another writer")));
    }
    return fail(Errno("lock", path));
  }
  // The locked file must be the one at `path`, not one that was replaced
  // or removed meanwhile (its records would go nowhere).
  struct stat locked, named;
  if (::fstat(fd, &locked) != 0) return fail(Errno("stat", path));
  if (::stat(path.c_str(), &named) != 0 || named.st_dev != locked.st_dev ||
      named.st_ino != locked.st_ino) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("game record shard ", path,
                     " was replaced or removed while being opened")));
  }
  absl::StatusOr<std::string> data = ReadWholeFile(fd, path);
  if (!data.ok()) return fail(data.status());
  const std::string new_header = EncodeHeader(game);
  if (absl::string_view(new_header).substr(0, data->size()) == *data &&
      data->size() < new_header.size()) {
    // Just created, here or by a writer that stopped before its header was
    // whole: give it the header.
    absl::Status written = WriteAll(fd, new_header, 0, path);
    if (written.ok() && ::fsync(fd) != 0) written = Errno("flush", path);
    if (written.ok()) written = SyncDirectoryOf(path);
    if (!written.ok()) return fail(written);
    return std::unique_ptr<ShardWriter>(
        new ShardWriter(path, game, fd, static_cast<int64_t>(new_header.size()),
                        /*truncated=*/0));
  }
  absl::StatusOr<ShardHeader> header = ParseHeader(*data, path);
  if (!header.ok()) return fail(header.status());
  if (header->format_version != kRecordFormatVersion) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("game record shard ", path, " has format version ",
                     header->format_version, "; appending needs version ",
                     kRecordFormatVersion)));
  }
  if (header->game != game) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("game record shard ", path, " holds games of ",
                     header->game, ", not ", game)));
  }
  // Walk the frames to the end of the last whole record. Only the tail is
  // cut: a crash leaves an incomplete last frame, or a complete-looking one
  // whose bytes never reached the disk (checksum mismatch). A damaged record
  // in the middle stays (readers skip it); nothing after it is lost.
  const absl::string_view bytes(*data);
  size_t pos = header->size;
  while (pos < bytes.size()) {
    const size_t left = bytes.size() - pos;
    if (left < kFrameBytes) break;
    const uint32_t length = LoadU32(bytes.data() + pos);
    if (length > kMaxRecordBytes || length > left - kFrameBytes) break;
    if (length == left - kFrameBytes &&
        LoadU32(bytes.data() + pos + 4) !=
            nn::Crc32c(bytes.data() + pos + kFrameBytes, length)) {
      break;
    }
    pos += kFrameBytes + length;
  }
  const int64_t truncated = static_cast<int64_t>(bytes.size() - pos);
  if (truncated > 0) {
    LOG(WARNING) << "game record shard " << path << ": truncating " << truncated
                 << " bytes of an incomplete record at offset " << pos
                 << " before appending";
    if (::ftruncate(fd, static_cast<off_t>(pos)) != 0 || ::fsync(fd) != 0) {
      return fail(Errno("truncate the damaged tail of", path));
    }
  }
  return std::unique_ptr<ShardWriter>(
      new ShardWriter(path, game, fd, static_cast<int64_t>(pos), truncated));
}

ShardWriter::ShardWriter(std::string path, std::string game, int fd,
                         int64_t size, int64_t truncated)
    : path_(std::move(path)),
      game_(std::move(game)),
      fd_(fd),
      committed_bytes_(size),
      truncated_on_open_(truncated) {}

ShardWriter::~ShardWriter() {
  absl::Status status = Flush();
  if (!status.ok()) LOG(ERROR) << status;
  ::close(fd_);
}

absl::Status ShardWriter::Append(const GameRecord& record) {
  if (!error_.ok()) return error_;
  if (record.game != game_) {
    return absl::InvalidArgumentError(absl::StrCat("a record of ", record.game,
                                                   " cannot go into shard ",
                                                   path_, " of ", game_));
  }
  if (record.moves.size() != record.positions.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("game record has ", record.moves.size(), " moves but ",
                     record.positions.size(), " positions (they must match)"));
  }
  const std::string payload = EncodeGameRecord(record);
  if (payload.size() > kMaxRecordBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "game record of ", payload.size(), " bytes is over the limit"));
  }
  PutFixed<uint32_t>(&buffer_, static_cast<uint32_t>(payload.size()));
  PutFixed<uint32_t>(&buffer_, nn::Crc32c(payload.data(), payload.size()));
  buffer_ += payload;
  ++records_appended_;
  if (buffer_.size() >= kWriteBufferBytes) return WriteBuffer();
  return absl::OkStatus();
}

absl::Status ShardWriter::WriteBuffer() {
  if (!error_.ok()) return error_;
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status status = WriteAll(fd_, buffer_, committed_bytes_, path_);
  if (!status.ok()) {
    // Cut off what part of the buffer made it, so the shard stays framed.
    if (::ftruncate(fd_, static_cast<off_t>(committed_bytes_)) != 0) {
      PLOG(WARNING) << "cannot truncate " << path_;
    }
    error_ = status;
    buffer_.clear();
    return error_;
  }
  committed_bytes_ += static_cast<int64_t>(buffer_.size());
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status ShardWriter::WriteOut() { return WriteBuffer(); }

absl::Status ShardWriter::Flush() {
  if (absl::Status status = WriteBuffer(); !status.ok()) return status;
  if (::fsync(fd_) != 0) error_ = Errno("flush", path_);
  return error_;
}

}  // namespace az::selfplay
