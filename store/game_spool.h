// Games an actor could not send yet, kept in a local file so that a Redis
// outage (or a restart of the actor) costs no finished game.
//
// The file is a magic line followed by framed entries, each
//   [u32 payload length][u32 CRC-32C of the payload][payload]
// (little-endian), the payload holding one GameMessage. Appends are flushed
// to the disk before Append() returns; a torn last entry (a crash mid-write)
// is dropped when the file is opened, and anything after a damaged frame is
// dropped too (the file is local and short-lived: there is nothing to
// resynchronise for). The file is locked: one actor process per spool.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/run_store.h"

namespace az::store {

class GameSpool {
 public:
  // Opens (creating) the spool at `path`, keeping what an earlier process
  // left in it. At most `max_bytes` of games are held; Append() refuses more.
  // FailedPrecondition when another process holds the file.
  static absl::StatusOr<std::unique_ptr<GameSpool>> Open(
      const std::string& path, int64_t max_bytes);
  ~GameSpool();
  GameSpool(const GameSpool&) = delete;
  GameSpool& operator=(const GameSpool&) = delete;

  // Adds a game; ResourceExhausted (nothing written) when it would not fit.
  absl::Status Append(const GameMessage& game);

  // Hands the held games to `send` in order, in batches of up to `batch`;
  // each batch that `send` accepts is gone from the spool. The first error
  // of `send` stops the drain, with the unsent games kept.
  absl::Status Drain(
      const std::function<absl::Status(const std::vector<GameMessage>&)>& send,
      int batch);

  size_t games() const { return held_.size(); }
  int64_t bytes() const { return bytes_; }
  int64_t max_bytes() const { return max_bytes_; }
  // Entries of the file that could not be read back when it was opened.
  int64_t dropped_on_open() const { return dropped_on_open_; }
  const std::string& path() const { return path_; }

 private:
  GameSpool(std::string path, int fd, int64_t max_bytes)
      : path_(std::move(path)), fd_(fd), max_bytes_(max_bytes) {}
  absl::Status Load();
  absl::Status Rewrite();

  std::string path_;
  int fd_;
  int64_t max_bytes_;
  int64_t bytes_ = 0;
  int64_t dropped_on_open_ = 0;
  std::vector<GameMessage> held_;
};

// The payload of one spool entry, and back (DataLoss when malformed).
std::string EncodeGameMessage(const GameMessage& game);
absl::StatusOr<GameMessage> DecodeGameMessage(const std::string& payload);

}  // namespace az::store
