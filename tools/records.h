// az records apart from its flags: the stored positions of a run's shards
// (or of shard files given by name) written out one line per position, CSV
// or JSON lines, for analysis in other tools. One shard is read at a time,
// so memory stays at one shard's worth however many millions of positions a
// run holds. Damaged records and shards are skipped and counted, as the
// training run's readers do; everything goes through selfplay/record_io.h.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace az {

enum class RecordsFormat { kCsv, kJsonl };

struct RecordsRequest {
  // Run directories (their RUN/replay or RUN/heldout shards) and shard
  // files, in the order given.
  std::vector<std::string> inputs;
  RecordsFormat format = RecordsFormat::kCsv;
  // Runs: read RUN/heldout instead of RUN/replay.
  bool heldout = false;
};

// What was written and what was skipped.
struct RecordsStats {
  int64_t shards_read = 0;
  int64_t games = 0;
  int64_t positions = 0;
  // Records lost to damage or not replayable in their game.
  int64_t damaged_records = 0;
  // Shards skipped whole: their header is damaged.
  int64_t damaged_shards = 0;
  // Bytes of incomplete last records (a crash mid-write).
  int64_t truncated_tail_bytes = 0;
};

// "csv" or "jsonl"; a usage error naming --format otherwise.
absl::StatusOr<RecordsFormat> ParseRecordsFormat(const std::string& text);

// The shard files of each input, in order: a directory is a run (its
// replay/ or heldout/ shards), anything else a shard file. NotFound (a
// usage error) for an input that does not exist.
absl::StatusOr<std::vector<std::string>> RecordShards(
    const RecordsRequest& request);

// The header line of the CSV form.
std::string RecordsCsvHeader();

// Writes every position of the request's shards to `out` (the CSV header
// first). The columns: game_id (SHARD_FILE:INDEX, the record's place among
// the whole records of its shard), ply, moves (the moves before this
// position, in the game's notation), visits (MOVE:N ...), v, q, z (the
// reward the game paid the side to move), weights_version. All shards must
// be of one game. A shard that cannot be read at all, of another game or of
// a newer format is an error; damage inside one is counted.
absl::StatusOr<RecordsStats> WriteRecords(const RecordsRequest& request,
                                          std::ostream& out);

// "N games, M positions from S shards; skipped ..." for stderr.
std::string RecordsSummary(const RecordsStats& stats);

}  // namespace az
