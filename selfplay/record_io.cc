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
#include "base/crc32c.h"
#include "base/status_macros.h"
#include "glog/logging.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "game records are stored little-endian");

namespace az::selfplay {
namespace {

// Header: magic, u32 version, u32 name length, name, u32 CRC-32C of the
// version, length and name. This layout is the same in every version, past
// and future, so its checksum is verified before the version is believed.
constexpr char kMagic[8] = {'A', 'Z', 'R', 'E', 'C', '\r', '\n', '\x1a'};
constexpr uint32_t kMaxGameNameBytes = 256;
// The smallest payload a record can have: a one-byte weights version, the
// seed, the outcome and a one-byte move count of 0.
constexpr uint32_t kMinRecordBytes = 1 + 8 + 1 + 1;
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
// is set when the position got a quick search, not the full one. Version 3
// keeps the payload of version 2 and changes only the frame (FrameScanner).
// Version 4 appends the origin: varint actor length, actor, varint seq.
// Version 5 keeps only the quick-search bit in that byte (the reward bits
// are 0) and follows it with f32 z in [-1, 1]; after the origin come the
// reward spec (varint length, name), u8 verdict outcome and varint
// verdict ply + 1 (0 while the rules have not ended the game).
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
// The longest actor name a record's origin may carry.
constexpr uint64_t kMaxOriginActorBytes = 128;

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
  bool Bytes(uint64_t n, absl::string_view* out) {
    if (remaining() < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
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

// The largest action a payload may name.
constexpr uint64_t kMaxAction = std::numeric_limits<Action>::max();

// Reads the record's moves (record->moves is already sized): nullptr if
// well formed, else what is wrong.
const char* ReadMoves(PayloadReader* in, GameRecord* record) {
  for (Action& a : record->moves) {
    uint64_t value;
    if (!in->BoundedVarint(kMaxAction, &value)) return "move";
    a = static_cast<Action>(value);
  }
  return nullptr;
}

// Reads a position's visit entries. They share the bytes left with this
// position's count, v, q and z and with the `later` positions after it,
// which bounds their number.
const char* ReadVisits(PayloadReader* in, uint64_t later, PositionRecord* p) {
  const uint64_t reserved = (later + 1) * kMinPositionBytes;
  uint64_t entries;
  if (in->remaining() < reserved ||
      !in->BoundedVarint((in->remaining() - reserved) / kMinVisitEntryBytes,
                         &entries)) {
    return "visit count";
  }
  p->visits.resize(entries);
  for (auto& [action, visits] : p->visits) {
    uint64_t a, n;
    if (!in->BoundedVarint(kMaxAction, &a) ||
        !in->BoundedVarint(std::numeric_limits<uint32_t>::max(), &n)) {
      return "visits";
    }
    action = static_cast<Action>(a);
    visits = static_cast<uint32_t>(n);
  }
  return nullptr;
}

// The longest reward spec name a record may carry.
constexpr uint64_t kMaxRewardSpecBytes = 64;

// Turns the z byte of `format_version` into the position's reward and (from
// version 2) its full-search mark; from version 5 the byte holds the mark
// alone and the reward follows as a float.
const char* DecodeRewardByte(uint8_t z, uint32_t format_version,
                             PayloadReader* in, PositionRecord* p) {
  if (format_version >= 5) {
    p->full_search = (z & kQuickSearchBit) == 0;
    if ((z & ~kQuickSearchBit) != 0) return "unknown position flags";
    float value;
    if (!in->Fixed(&value)) return "position reward";
    if (!(value >= -1.0f && value <= 1.0f)) return "reward out of range";
    p->z = TerminalReward::Payoff(value);
    return nullptr;
  }
  if (format_version >= 2) {
    p->full_search = (z & kQuickSearchBit) == 0;
    if ((z & ~(kRewardMask | kQuickSearchBit)) != 0) {
      return "unknown position flags";
    }
    z &= kRewardMask;
  }
  switch (z) {
    case 0:
      p->z = TerminalReward::Loss();
      return nullptr;
    case 1:
      p->z = TerminalReward::Draw();
      return nullptr;
    case 2:
      p->z = TerminalReward::Win();
      return nullptr;
    default:
      return "reward out of range";
  }
}

// Reads one position, with `later` positions after it.
const char* ReadPosition(PayloadReader* in, uint64_t later,
                         uint32_t format_version, PositionRecord* p) {
  if (const char* why = ReadVisits(in, later, p); why != nullptr) return why;
  uint8_t z;
  if (!in->Fixed(&p->v) || !in->Fixed(&p->q) || !in->Fixed(&z)) {
    return "position values";
  }
  if (!std::isfinite(p->v) || !std::isfinite(p->q)) {
    return "value not finite";
  }
  return DecodeRewardByte(z, format_version, in, p);
}

// Reads the reward spec and the intended verdict that end a version 5
// record; an older record was paid by the rules, which ended it at its last
// ply (if it ended).
const char* ReadRewardAndVerdict(PayloadReader* in, uint32_t format_version,
                                 GameRecord* record) {
  if (format_version < 5) {
    record->reward = kRulesSpec;
    record->verdict =
        record->outcome == GameOutcome::kOngoing
            ? IntendedVerdict{}
            : IntendedVerdict{record->outcome,
                              static_cast<int>(record->moves.size())};
    return nullptr;
  }
  uint64_t name_bytes, ply_plus_one;
  absl::string_view name;
  uint8_t outcome;
  if (!in->BoundedVarint(kMaxRewardSpecBytes, &name_bytes) ||
      !in->Bytes(name_bytes, &name) || name.empty()) {
    return "reward spec";
  }
  if (!in->Fixed(&outcome) ||
      outcome > static_cast<uint8_t>(GameOutcome::kDraw) ||
      !in->BoundedVarint(record->moves.size() + 1, &ply_plus_one)) {
    return "verdict";
  }
  record->reward = std::string(name);
  record->verdict = {static_cast<GameOutcome>(outcome),
                     static_cast<int>(ply_plus_one) - 1};
  // Decided exactly when the rules ended the game at some ply.
  if (record->verdict.decided() != (record->verdict.ply >= 0)) {
    return "verdict ply";
  }
  return nullptr;
}

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The checksum stored over a version 3 frame header. Masked (as LevelDB
// does) so that no run of zeros checksums to zeros, and so that a CRC of
// bytes that hold a CRC does not degenerate.
uint32_t FrameHeaderCrc(const char* header) {
  const uint32_t crc = base::Crc32c(header, 8);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// How the records of one format version are framed.
struct Framing {
  size_t header_bytes;  // length, payload CRC and (version 3) header CRC
  bool header_crc;
};

Framing FramingOf(uint32_t format_version) {
  return format_version >= 3 ? Framing{12, true} : Framing{8, false};
}

// A whole frame: its header and payload checksums match.
struct Frame {
  size_t offset;  // of the frame header
  size_t payload_offset;
  uint32_t length;  // of the payload
};

// A stretch of bytes that is no whole frame.
struct Damage {
  size_t offset;
  size_t bytes;
};

// Where the frames of a shard are. Between and after whole frames lie
// stretches of damage; at the very end may lie a torn tail: the start of a
// frame whose write did not finish (fewer bytes than a frame header, or a
// frame header that checks but whose frame does not).
struct FrameLayout {
  std::vector<Frame> frames;
  std::vector<Damage> damage;
  size_t tail_offset = 0;  // where the torn tail starts; the size if none
  bool gave_up = false;    // resynchronisation ran out of work (see below)
};

// Finds the frames of `bytes` from `start`. A frame that does not check is
// not trusted for its length: the scan moves on byte by byte to the next
// offset where a whole frame checks, so one damaged frame costs one record.
// Candidates are filtered by their length range, (version 3) header CRC and
// the start of their payload before the payload is checksummed; to keep crafted
// input from making that quadratic, payload bytes checksummed while
// resynchronising are limited to a few times the file size, after which the
// rest is damage.
class FrameScanner {
 public:
  FrameScanner(absl::string_view bytes, Framing framing)
      : bytes_(bytes),
        framing_(framing),
        resync_budget_(4 * bytes.size() + (1 << 20)) {}

  FrameLayout Scan(size_t start) {
    FrameLayout layout;
    size_t pos = start;
    while (pos < bytes_.size()) {
      if (HeaderChecks(pos) && PayloadChecks(pos)) {
        const uint32_t length = LoadU32(bytes_.data() + pos);
        layout.frames.push_back({pos, pos + framing_.header_bytes, length});
        pos += framing_.header_bytes + length;
        continue;
      }
      const size_t next = NextFrame(pos + 1, &layout.gave_up);
      if (next != absl::string_view::npos) {
        layout.damage.push_back({pos, next - pos});
        pos = next;
        continue;
      }
      // Nothing readable follows: a torn write, or damage up to the end.
      if (!layout.gave_up &&
          (bytes_.size() - pos < framing_.header_bytes || HeaderChecks(pos))) {
        layout.tail_offset = pos;
        return layout;
      }
      layout.damage.push_back({pos, bytes_.size() - pos});
      break;
    }
    layout.tail_offset = bytes_.size();
    return layout;
  }

 private:
  // The frame header at `pos` is whole, checks (version 3), and its length
  // is one a record can have (it may still run past the end of the file).
  bool HeaderChecks(size_t pos) const {
    if (bytes_.size() - pos < framing_.header_bytes) return false;
    const char* header = bytes_.data() + pos;
    const uint32_t length = LoadU32(header);
    if (length < kMinRecordBytes || length > kMaxRecordBytes) return false;
    return !framing_.header_crc ||
           LoadU32(header + 8) == FrameHeaderCrc(header);
  }

  // The payload of the frame whose header checks at `pos` is all there and
  // matches its checksum.
  bool PayloadChecks(size_t pos) const {
    const uint32_t length = LoadU32(bytes_.data() + pos);
    if (bytes_.size() - pos - framing_.header_bytes < length) return false;
    const char* payload = bytes_.data() + pos + framing_.header_bytes;
    return LoadU32(bytes_.data() + pos + 4) == base::Crc32c(payload, length);
  }

  // The first offset from `from` where a whole frame checks; npos if none
  // (or if the work allowed for resynchronising ran out: `*gave_up`).
  size_t NextFrame(size_t from, bool* gave_up) {
    const size_t smallest = framing_.header_bytes + kMinRecordBytes;
    for (size_t pos = from; pos + smallest <= bytes_.size(); ++pos) {
      if (!HeaderChecks(pos)) continue;
      const uint32_t length = LoadU32(bytes_.data() + pos);
      if (bytes_.size() - pos - framing_.header_bytes < length) continue;
      // Garbage rarely starts like a record: a cheap test before the CRC.
      PayloadReader start(bytes_.substr(pos + framing_.header_bytes, length));
      RecordStart unused;
      if (ReadRecordStart(&start, &unused) != nullptr) continue;
      if (length > resync_budget_) {
        *gave_up = true;
        return absl::string_view::npos;
      }
      resync_budget_ -= length;
      if (PayloadChecks(pos)) return pos;
    }
    return absl::string_view::npos;
  }

  const absl::string_view bytes_;
  const Framing framing_;
  size_t resync_budget_;  // payload bytes NextFrame may still checksum
};

void AppendFrame(std::string* out, absl::string_view payload) {
  const size_t start = out->size();
  PutFixed<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  PutFixed<uint32_t>(out, base::Crc32c(payload.data(), payload.size()));
  PutFixed<uint32_t>(out, FrameHeaderCrc(out->data() + start));
  out->append(payload.data(), payload.size());
}

std::string EncodeHeader(const std::string& game) {
  std::string body;
  PutFixed<uint32_t>(&body, kRecordFormatVersion);
  PutFixed<uint32_t>(&body, static_cast<uint32_t>(game.size()));
  body += game;
  std::string header(kMagic, sizeof(kMagic));
  header += body;
  PutFixed<uint32_t>(&header, base::Crc32c(body.data(), body.size()));
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
  if (LoadU32(body + body_size) != base::Crc32c(body, body_size)) {
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

// A shard file that ShardWriter::Open() holds open and locked.
struct LockedShard {
  int fd = -1;
  bool created = false;  // by this Open()
};

// Gives up a shard that Open() cannot use and returns `status`. A shard
// that this call created and could not give a header is removed (the lock
// is still held, so nobody else is using it).
absl::Status Abandon(const std::string& path, const LockedShard& shard,
                     absl::Status status) {
  if (shard.created && !absl::IsFailedPrecondition(status)) {
    ::unlink(path.c_str());
  }
  ::close(shard.fd);
  return status;
}

// Opens `path` for writing, creating it if missing, and locks it against
// other writers.
absl::StatusOr<LockedShard> OpenAndLock(const std::string& path) {
  // Created exclusively, so two writers creating one shard get one file;
  // its header is written under the lock.
  LockedShard shard;
  shard.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  shard.created = shard.fd >= 0;
  if (!shard.created && errno == EEXIST) {
    shard.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (shard.fd < 0) return Errno("open", path);
  if (::flock(shard.fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Abandon(
          path, shard,
          absl::FailedPreconditionError(absl::StrCat(
              "game record shard ", path, " is open in another writer")));
    }
    return Abandon(path, shard, Errno("lock", path));
  }
  // The locked file must be the one at `path`, not one that was replaced
  // or removed meanwhile (its records would go nowhere).
  struct stat locked, named;
  if (::fstat(shard.fd, &locked) != 0) {
    return Abandon(path, shard, Errno("stat", path));
  }
  if (::stat(path.c_str(), &named) != 0 || named.st_dev != locked.st_dev ||
      named.st_ino != locked.st_ino) {
    return Abandon(path, shard,
                   absl::FailedPreconditionError(absl::StrCat(
                       "game record shard ", path,
                       " was replaced or removed while being opened")));
  }
  return shard;
}

// Writes the header of a new shard (or of one whose writer stopped before
// its header was whole) and makes it and its directory entry durable.
absl::Status WriteNewHeader(int fd, const std::string& header,
                            const std::string& path) {
  RETURN_IF_ERROR(WriteAll(fd, header, 0, path));
  if (::fsync(fd) != 0) return Errno("flush", path);
  return SyncDirectoryOf(path);
}

// The header of an existing shard that may be appended to: of `game` and
// of the version this code writes.
absl::StatusOr<ShardHeader> AppendableHeader(absl::string_view data,
                                             const std::string& path,
                                             const std::string& game) {
  ASSIGN_OR_RETURN(ShardHeader header, ParseHeader(data, path));
  if (header.format_version != kRecordFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("game record shard ", path, " has format version ",
                     header.format_version, "; appending needs version ",
                     kRecordFormatVersion));
  }
  if (header.game != game) {
    return absl::InvalidArgumentError(
        absl::StrCat("game record shard ", path, " holds games of ",
                     header.game, ", not ", game));
  }
  return header;
}

// Cuts a torn tail (a write a crash cut short) off the shard whose bytes
// are `data`, and returns where the whole records end. Damage elsewhere,
// even up to the end, stays for readers to skip, and nothing after it is
// lost: the scan is the readers' own.
absl::StatusOr<size_t> CutTornTail(int fd, absl::string_view data,
                                   const ShardHeader& header,
                                   const std::string& path) {
  const FrameLayout layout =
      FrameScanner(data, FramingOf(header.format_version)).Scan(header.size);
  const size_t end = layout.tail_offset;
  const int64_t truncated = static_cast<int64_t>(data.size() - end);
  if (truncated > 0) {
    LOG(WARNING) << "game record shard " << path << ": truncating " << truncated
                 << " bytes of an incomplete record at offset " << end
                 << " before appending";
    if (::ftruncate(fd, static_cast<off_t>(end)) != 0 || ::fsync(fd) != 0) {
      return Errno("truncate the damaged tail of", path);
    }
  }
  return end;
}

}  // namespace

std::string EncodeGameRecord(const GameRecord& record,
                             uint32_t format_version) {
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
    const uint8_t quick = p.full_search ? 0 : kQuickSearchBit;
    if (format_version >= 5) {
      PutFixed<uint8_t>(&out, quick);
      PutFixed<float>(&out, p.z.value());
    } else {
      PutFixed<uint8_t>(&out, static_cast<uint8_t>(p.z.value() + 1) | quick);
    }
  }
  if (format_version >= 4) {
    PutVarint(&out, record.origin.actor.size());
    out += record.origin.actor;
    PutVarint(&out, record.origin.seq);
  }
  if (format_version >= 5) {
    PutVarint(&out, record.reward.size());
    out += record.reward;
    PutFixed<uint8_t>(&out, static_cast<uint8_t>(record.verdict.outcome));
    PutVarint(&out, static_cast<uint64_t>(record.verdict.ply + 1));
  }
  return out;
}

absl::StatusOr<GameRecord> DecodeGameRecord(absl::string_view payload,
                                            const std::string& game,
                                            uint32_t format_version) {
  auto bad = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("malformed game record: ", why));
  };
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
  if (const char* why = ReadMoves(&in, &record); why != nullptr) {
    return bad(why);
  }
  for (size_t i = 0; i < record.positions.size(); ++i) {
    const uint64_t later = record.positions.size() - 1 - i;
    if (const char* why =
            ReadPosition(&in, later, format_version, &record.positions[i]);
        why != nullptr) {
      return bad(why);
    }
  }
  if (format_version >= 4) {
    uint64_t actor_bytes;
    absl::string_view actor;
    if (!in.BoundedVarint(kMaxOriginActorBytes, &actor_bytes) ||
        !in.Bytes(actor_bytes, &actor) || !in.Varint(&record.origin.seq)) {
      return bad("origin");
    }
    record.origin.actor = std::string(actor);
  }
  if (const char* why = ReadRewardAndVerdict(&in, format_version, &record);
      why != nullptr) {
    return bad(why);
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
  ASSIGN_OR_RETURN(const ShardHeader header, ParseHeader(*data, path));

  ShardContents contents;
  contents.game = header.game;
  contents.format_version = header.format_version;
  const absl::string_view bytes(*data);
  const FrameLayout layout =
      FrameScanner(bytes, FramingOf(header.format_version)).Scan(header.size);
  for (const Frame& frame : layout.frames) {
    absl::StatusOr<GameRecord> record =
        DecodeGameRecord(bytes.substr(frame.payload_offset, frame.length),
                         header.game, header.format_version);
    if (record.ok()) {
      contents.records.push_back(*std::move(record));
    } else {
      ++contents.corrupt_records;
      LOG(WARNING) << "game record shard " << path
                   << ": skipped a record at offset " << frame.offset << ": "
                   << record.status().message();
    }
  }
  for (const Damage& damage : layout.damage) {
    ++contents.corrupt_records;
    contents.corrupt_bytes += static_cast<int64_t>(damage.bytes);
    LOG(WARNING) << "game record shard " << path << ": skipped " << damage.bytes
                 << " damaged bytes at offset " << damage.offset
                 << " (at least one record lost)";
  }
  if (layout.gave_up) {
    LOG(WARNING) << "game record shard " << path
                 << ": stopped looking for records after damage at offset "
                 << layout.damage.back().offset << " (too many false starts)";
  }
  if (layout.tail_offset < bytes.size()) {
    contents.truncated_tail_bytes =
        static_cast<int64_t>(bytes.size() - layout.tail_offset);
    LOG(WARNING) << "game record shard " << path << ": skipped "
                 << contents.truncated_tail_bytes
                 << " bytes of an incomplete record at offset "
                 << layout.tail_offset;
  }
  return contents;
}

absl::StatusOr<std::optional<ShardContents>> ReadShardOfGame(
    const std::string& path, const std::string& game) {
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  if (absl::IsDataLoss(contents.status())) {
    LOG(WARNING) << "skipped a shard: " << contents.status().message();
    return std::nullopt;
  }
  if (!contents.ok()) return contents.status();
  if (contents->game != game) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", path, " holds games of ", contents->game, ", not ", game));
  }
  return std::optional<ShardContents>(*std::move(contents));
}

absl::StatusOr<std::unique_ptr<ShardWriter>> ShardWriter::Open(
    const std::string& path, const std::string& game) {
  if (game.empty() || game.size() > kMaxGameNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad game name for shard ", path, ": '", game, "'"));
  }
  ASSIGN_OR_RETURN(const LockedShard shard, OpenAndLock(path));
  auto fail = [&](absl::Status status) {
    return Abandon(path, shard, std::move(status));
  };
  absl::StatusOr<std::string> data = ReadWholeFile(shard.fd, path);
  if (!data.ok()) return fail(data.status());
  const std::string new_header = EncodeHeader(game);
  if (absl::string_view(new_header).substr(0, data->size()) == *data &&
      data->size() < new_header.size()) {
    // Just created, here or by a writer that stopped before its header was
    // whole: give it the header.
    if (absl::Status written = WriteNewHeader(shard.fd, new_header, path);
        !written.ok()) {
      return fail(std::move(written));
    }
    return std::unique_ptr<ShardWriter>(new ShardWriter(
        path, game, shard.fd, static_cast<int64_t>(new_header.size()),
        /*truncated=*/0));
  }
  absl::StatusOr<ShardHeader> header = AppendableHeader(*data, path, game);
  if (!header.ok()) return fail(header.status());
  absl::StatusOr<size_t> end = CutTornTail(shard.fd, *data, *header, path);
  if (!end.ok()) return fail(end.status());
  return std::unique_ptr<ShardWriter>(
      new ShardWriter(path, game, shard.fd, static_cast<int64_t>(*end),
                      static_cast<int64_t>(data->size() - *end)));
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
  AppendFrame(&buffer_, payload);
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
  RETURN_IF_ERROR(WriteBuffer());
  if (::fsync(fd_) != 0) error_ = Errno("flush", path_);
  return error_;
}

}  // namespace az::selfplay
