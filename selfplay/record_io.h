// Game records on disk: shard files of self-play games.
//
// A shard is a file header (magic, format version, game name, header CRC;
// the same layout in every version) followed by records appended one after
// another, each framed (little-endian) as
//   [u32 payload length][u32 CRC-32C of the payload]
//   [u32 masked CRC-32C of the 8 bytes before it][payload]
// The frame header's own checksum makes a damaged length detectable, and
// its mask keeps runs of zeros from passing for frames; no payload is
// shorter than the smallest record. A frame that does not check is never
// trusted for its length: readers look byte by byte for the next frame that
// does, so one damaged frame costs one record, and report the bytes skipped
// as damage. Only a torn tail (the start of a frame whose write a crash cut
// short) is reported as such, and it is what a writer reopening the shard
// truncates before appending; damage elsewhere is left for readers to skip.
// Files come from other machines too, so nothing in one is believed before
// its checksum matches, and no count is trusted beyond what the bytes left
// can hold. The payload layout is in record_io.cc; a file written by a newer
// format version is refused rather than guessed at.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "selfplay/game_record.h"

namespace az::selfplay {

// Version of the shard layout written by this code. Version 2 added the
// full-search mark of each position; version 3 added the frame header's
// checksum; version 4 the game's origin (the actor and its number, for a
// game from another machine) at the end of each record; version 5 stores z
// as a float (a graded reward spec pays any number in [-1, 1]) and ends each
// record with the reward spec z was paid under and the intended verdict
// (the rules' outcome and the ply where they ended the game). Shards of
// older versions are still read (their games have no origin, were paid by
// the rules, and the rules ended them at their last ply), but never
// appended to.
constexpr uint32_t kRecordFormatVersion = 5;

// A record larger than this is taken as a corrupt length field, not a game
// (the longest games here encode to a few kilobytes).
constexpr uint32_t kMaxRecordBytes = 64 << 20;

// The bytes of one record's payload (no frame), and back. Exposed for tests
// and for stores that frame records themselves. Versions before 4 have no
// origin (tests write such payloads to check the old layouts still read).
std::string EncodeGameRecord(const GameRecord& record,
                             uint32_t format_version = kRecordFormatVersion);
// DataLoss if `payload` is not a well-formed record of layout
// `format_version`; `game` fills record.game (the name lives in the shard
// header, not in each record).
absl::StatusOr<GameRecord> DecodeGameRecord(
    absl::string_view payload, const std::string& game,
    uint32_t format_version = kRecordFormatVersion);

struct ShardContents {
  std::string game;  // from the header
  uint32_t format_version = 0;
  std::vector<GameRecord> records;  // the whole, valid records, in file order
  // Records lost to damage: each stretch of bytes between whole frames (or
  // from the last one to the end) that is no frame counts one (at least one
  // record was there), and so does each whole frame that does not decode.
  int64_t corrupt_records = 0;
  // Bytes of those stretches (in the middle of the file or up to its end).
  int64_t corrupt_bytes = 0;
  // Bytes of an incomplete record at the end (a crash mid-write); 0 if none.
  int64_t truncated_tail_bytes = 0;
};

// Reads a whole shard. NotFound if missing; DataLoss for a damaged or
// incomplete header; FailedPrecondition if written by a newer format
// version. Damaged records are skipped and counted in the result, not
// errors.
absl::StatusOr<ShardContents> ReadShard(const std::string& path);

// ReadShard() for a reader that goes on without a damaged shard: nullopt
// (with a warning) when the header is damaged, so that its games are lost
// but nothing else; an error for a shard that cannot be read, is of another
// game than `game` or of a newer format.
absl::StatusOr<std::optional<ShardContents>> ReadShardOfGame(
    const std::string& path, const std::string& game);

// Appends records to one shard. Not thread-safe (one writer per shard; the
// file is locked against a second writer, also in another process).
class ShardWriter {
 public:
  // Opens `path` for appending, creating it if missing (exclusively: of two
  // writers creating one shard, one gets it and the other is refused). An
  // existing shard must be of `game` and of a version this code writes, with
  // a header that checks (DataLoss otherwise: it is never written to); a
  // partial record at its tail is truncated away first. FailedPrecondition
  // if another writer has the shard open.
  static absl::StatusOr<std::unique_ptr<ShardWriter>> Open(
      const std::string& path, const std::string& game);

  ~ShardWriter();  // flushes (errors are logged; call Flush() to see them)
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Buffers one record (written out when the buffer fills, or by Flush()).
  // InvalidArgument if the record is of another game or inconsistent; after
  // a write error every call returns that error (the shard keeps only whole
  // records: a partly written one is cut off again).
  absl::Status Append(const GameRecord& record);
  // Hands buffered records to the operating system without waiting for the
  // disk: they survive the death of this process (kill -9), not of the
  // machine.
  absl::Status WriteOut();
  // Writes out buffered records and fsyncs: they survive a crash after this.
  absl::Status Flush();

  const std::string& path() const { return path_; }
  int64_t records_appended() const { return records_appended_; }
  // Size the file will have once flushed.
  int64_t bytes() const { return committed_bytes_ + buffer_.size(); }
  // Bytes of a damaged tail that Open() truncated (0 for a clean shard).
  int64_t truncated_bytes_on_open() const { return truncated_on_open_; }

 private:
  ShardWriter(std::string path, std::string game, int fd, int64_t size,
              int64_t truncated);
  absl::Status WriteBuffer();

  std::string path_;
  std::string game_;
  int fd_;
  int64_t committed_bytes_;  // bytes in the file that are whole records
  int64_t truncated_on_open_;
  int64_t records_appended_ = 0;
  std::string buffer_;
  absl::Status error_;  // sticky: the first write error
};

}  // namespace az::selfplay
