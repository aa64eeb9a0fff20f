#include "tools/records.h"

#include <glog/logging.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "games/registry.h"
#include "selfplay/game_record.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"
#include "tools/command.h"

namespace az {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Enough digits that a float reads back to itself.
std::string Float(float x) { return absl::StrFormat("%.9g", x); }

std::string VisitsText(const Game& game, const selfplay::PositionRecord& p) {
  std::vector<std::string> parts;
  parts.reserve(p.visits.size());
  for (const auto& [action, n] : p.visits) {
    parts.push_back(absl::StrCat(game.ActionToString(action), ":", n));
  }
  return absl::StrJoin(parts, " ");
}

// Writes the positions of one valid record; `id` names the game.
void WriteGame(const Game& game, const selfplay::GameRecord& record,
               const std::string& id, RecordsFormat format, std::ostream& out) {
  std::vector<Action> before;
  before.reserve(record.moves.size());
  for (size_t ply = 0; ply < record.positions.size(); ++ply) {
    const selfplay::PositionRecord& p = record.positions[ply];
    const std::string moves = game.FormatMoves(before);
    if (format == RecordsFormat::kCsv) {
      out << id << ',' << ply << ',' << moves << ',' << VisitsText(game, p)
          << ',' << Float(p.v) << ',' << Float(p.q) << ',' << Float(p.z.value())
          << ',' << record.weights_version << '\n';
    } else {
      Json visits = Json::object();
      for (const auto& [action, n] : p.visits) {
        visits[game.ActionToString(action)] = n;
      }
      out << Json{{"game_id", id},
                  {"ply", ply},
                  {"moves", moves},
                  {"visits", visits},
                  {"v", p.v},
                  {"q", p.q},
                  {"z", p.z.value()},
                  {"weights_version", record.weights_version}}
                 .dump()
          << '\n';
    }
    before.push_back(record.moves[ply]);
  }
}

// Writes one shard's games; `game` is the game of the shards read so far
// (null before the first).
absl::Status WriteShard(const std::string& path, RecordsFormat format,
                        const Game** game, RecordsStats* stats,
                        std::ostream& out) {
  absl::StatusOr<selfplay::ShardContents> contents = selfplay::ReadShard(path);
  // A damaged header costs that shard's games, as in training.
  if (absl::IsDataLoss(contents.status())) {
    LOG(WARNING) << "skipped a shard: " << contents.status().message();
    ++stats->damaged_shards;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(contents.status());
  if (*game == nullptr) {
    ASSIGN_OR_RETURN(*game, FindGame(contents->game));
  } else if ((*game)->Name() != contents->game) {
    return UsageError(absl::StrCat("shard ", path, " holds games of ",
                                   contents->game, ", not ", (*game)->Name()));
  }
  ++stats->shards_read;
  stats->damaged_records += contents->corrupt_records;
  stats->truncated_tail_bytes += contents->truncated_tail_bytes;
  const std::string name = fs::path(path).filename().string();
  int64_t index = 0;
  for (const selfplay::GameRecord& record : contents->records) {
    const std::string id = absl::StrCat(name, ":", index++);
    if (!selfplay::ValidateGameRecord(**game, record).ok()) {
      ++stats->damaged_records;
      continue;
    }
    WriteGame(**game, record, id, format, out);
    ++stats->games;
    stats->positions += static_cast<int64_t>(record.positions.size());
  }
  if (!out) return absl::DataLossError("could not write the output");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecordsFormat> ParseRecordsFormat(const std::string& text) {
  if (text == "csv") return RecordsFormat::kCsv;
  if (text == "jsonl") return RecordsFormat::kJsonl;
  return UsageError(
      absl::StrCat("--format: \"", text, "\" is neither csv nor jsonl"));
}

absl::StatusOr<std::vector<std::string>> RecordShards(
    const RecordsRequest& request) {
  std::vector<std::string> shards;
  for (const std::string& input : request.inputs) {
    std::error_code error;
    if (fs::is_directory(input, error)) {
      const selfplay::RunPaths paths(input);
      const std::string dir =
          request.heldout ? paths.heldout() : paths.replay();
      if (!fs::is_directory(dir, error)) {
        return UsageError(
            absl::StrCat(input, " is no run directory (no ", dir, ")"));
      }
      ASSIGN_OR_RETURN(std::vector<std::string> in_run,
                       selfplay::ListShards(dir));
      shards.insert(shards.end(), in_run.begin(), in_run.end());
    } else if (fs::exists(input, error)) {
      shards.push_back(input);
    } else {
      return UsageError(absl::StrCat(input, ": no such run or shard file"));
    }
  }
  return shards;
}

std::string RecordsCsvHeader() {
  return "game_id,ply,moves,visits,v,q,z,weights_version\n";
}

absl::StatusOr<RecordsStats> WriteRecords(const RecordsRequest& request,
                                          std::ostream& out) {
  ASSIGN_OR_RETURN(const std::vector<std::string> shards,
                   RecordShards(request));
  if (request.format == RecordsFormat::kCsv) out << RecordsCsvHeader();
  RecordsStats stats;
  const Game* game = nullptr;
  for (const std::string& shard : shards) {
    RETURN_IF_ERROR(WriteShard(shard, request.format, &game, &stats, out));
  }
  out.flush();
  if (!out) return absl::DataLossError("could not write the output");
  return stats;
}

std::string RecordsSummary(const RecordsStats& s) {
  std::string text = absl::StrFormat("%d games, %d positions from %d shard%s",
                                     s.games, s.positions, s.shards_read,
                                     s.shards_read == 1 ? "" : "s");
  if (s.damaged_records > 0 || s.damaged_shards > 0 ||
      s.truncated_tail_bytes > 0) {
    absl::StrAppendFormat(&text,
                          "; skipped %d damaged records, %d shards with a "
                          "damaged header, %d bytes of an incomplete tail",
                          s.damaged_records, s.damaged_shards,
                          s.truncated_tail_bytes);
  }
  return text;
}

}  // namespace az
