#include "store/game_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/crc32c.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace az::store {
namespace {

constexpr char kMagic[] = "az game spool 1\n";
constexpr size_t kMagicBytes = sizeof(kMagic) - 1;
constexpr size_t kFrameHeaderBytes = 8;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLittle(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  }
  return v;
}

std::string Frame(const GameMessage& game) {
  const std::string payload = EncodeGameMessage(game);
  std::string frame;
  PutU32(&frame, static_cast<uint32_t>(payload.size()));
  PutU32(&frame, base::Crc32c(payload.data(), payload.size()));
  return frame + payload;
}

absl::Status Errno(absl::string_view doing, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat(doing, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

std::string EncodeGameMessage(const GameMessage& game) {
  std::string out;
  PutU32(&out, static_cast<uint32_t>(game.actor.size()));
  out += game.actor;
  PutU64(&out, game.seq);
  PutU64(&out, static_cast<uint64_t>(game.weights_version));
  out += game.record;
  return out;
}

absl::StatusOr<GameMessage> DecodeGameMessage(const std::string& payload) {
  if (payload.size() < 4) return absl::DataLossError("spool entry too short");
  const uint64_t actor_bytes = GetLittle(payload.data(), 4);
  if (actor_bytes > 128 || payload.size() < 4 + actor_bytes + 16) {
    return absl::DataLossError("spool entry of the wrong shape");
  }
  GameMessage game;
  game.actor = payload.substr(4, actor_bytes);
  const char* p = payload.data() + 4 + actor_bytes;
  game.seq = GetLittle(p, 8);
  game.weights_version = static_cast<int64_t>(GetLittle(p + 8, 8));
  game.record = payload.substr(4 + actor_bytes + 16);
  return game;
}

absl::StatusOr<std::unique_ptr<GameSpool>> GameSpool::Open(
    const std::string& path, int64_t max_bytes) {
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "the game spool ", path, " is in use by another actor process"));
  }
  std::unique_ptr<GameSpool> spool(new GameSpool(path, fd, max_bytes));
  RETURN_IF_ERROR(spool->Load());
  return spool;
}

GameSpool::~GameSpool() { ::close(fd_); }

absl::Status GameSpool::Load() {
  // Twice the limit: a spool written under a larger limit is still read,
  // up to a bound.
  absl::StatusOr<std::string> text =
      base::ReadFileBounded(path_, 2 * max_bytes_ + kMagicBytes);
  if (absl::IsNotFound(text.status())) return Rewrite();
  if (!text.ok()) return text.status();
  if (text->compare(0, kMagicBytes, kMagic) != 0) {
    return absl::DataLossError(
        absl::StrCat(path_, " is not a game spool of this az; move it away"));
  }
  size_t at = kMagicBytes;
  bool damaged = false;
  while (at < text->size()) {
    if (text->size() - at < kFrameHeaderBytes) {
      damaged = true;
      break;
    }
    const uint64_t length = GetLittle(text->data() + at, 4);
    const uint32_t crc = static_cast<uint32_t>(GetLittle(text->data() + at + 4, 4));
    if (length > text->size() - at - kFrameHeaderBytes) {
      damaged = true;
      break;
    }
    const std::string payload = text->substr(at + kFrameHeaderBytes, length);
    absl::StatusOr<GameMessage> game = DecodeGameMessage(payload);
    if (base::Crc32c(payload.data(), payload.size()) != crc || !game.ok()) {
      damaged = true;
      break;
    }
    bytes_ += kFrameHeaderBytes + length;
    held_.push_back(*std::move(game));
    at += kFrameHeaderBytes + length;
  }
  if (damaged) {
    // What follows a bad frame cannot be framed again; count it as one.
    dropped_on_open_ = 1;
    return Rewrite();
  }
  return absl::OkStatus();
}

absl::Status GameSpool::Rewrite() {
  std::string text(kMagic, kMagicBytes);
  for (const GameMessage& game : held_) text += Frame(game);
  bytes_ = static_cast<int64_t>(text.size() - kMagicBytes);
  return base::WriteFileAtomically(path_, text);
}

absl::Status GameSpool::Append(const GameMessage& game) {
  const std::string frame = Frame(game);
  if (bytes_ + static_cast<int64_t>(frame.size()) > max_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the game spool ", path_, " is full (", bytes_, " of ", max_bytes_,
        " bytes)"));
  }
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path_);
  size_t done = 0;
  while (done < frame.size()) {
    const ssize_t n = ::write(fd, frame.data() + done, frame.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status error = Errno("cannot append to", path_);
      ::close(fd);
      // A partial frame is a torn tail: the next Open() drops it.
      return error;
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fdatasync(fd) == 0;
  ::close(fd);
  if (!synced) return Errno("cannot flush", path_);
  bytes_ += static_cast<int64_t>(frame.size());
  held_.push_back(game);
  return absl::OkStatus();
}

absl::Status GameSpool::Drain(
    const std::function<absl::Status(const std::vector<GameMessage>&)>& send,
    int batch) {
  size_t sent = 0;
  absl::Status result;
  while (sent < held_.size()) {
    const size_t end = std::min(held_.size(), sent + std::max(1, batch));
    std::vector<GameMessage> chunk(held_.begin() + sent, held_.begin() + end);
    result = send(chunk);
    if (!result.ok()) break;
    sent = end;
  }
  if (sent == 0) return result;
  // Rewritten once, not per batch; a crash before this resends what was
  // sent, which the learner drops as duplicates.
  held_.erase(held_.begin(), held_.begin() + sent);
  RETURN_IF_ERROR(Rewrite());
  return result;
}

}  // namespace az::store
