// `az records`: the stored positions of runs or shard files, one line each
// (CSV or JSON lines) on stdout, for analysis in other tools. The work is
// in tools/records.h.
#include <gflags/gflags.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "tools/command.h"
#include "tools/records.h"

DEFINE_string(format, "csv", "records: csv (with a header line) or jsonl.");
DEFINE_bool(heldout, false,
            "records: read a run's held-out games (RUN/heldout) instead of "
            "its training games (RUN/replay).");

namespace az {
namespace {

absl::Status RecordsCommand(const std::vector<std::string>& args) {
  RecordsRequest request;
  request.inputs.assign(args.begin() + 1, args.end());
  if (request.inputs.empty()) {
    return UsageError("name at least one run directory or shard file");
  }
  ASSIGN_OR_RETURN(request.format, ParseRecordsFormat(FLAGS_format));
  request.heldout = FLAGS_heldout;
  std::ios::sync_with_stdio(false);
  ASSIGN_OR_RETURN(const RecordsStats stats, WriteRecords(request, std::cout));
  std::fprintf(stderr, "az records: %s\n", RecordsSummary(stats).c_str());
  return absl::OkStatus();
}

int RunRecords(const std::vector<std::string>& args) {
  return ExitCode("records", RecordsCommand(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND(
    records, "records", "write a run's stored positions as CSV or JSON lines",
    "az records RUN_OR_SHARD... [--format=csv|jsonl] [--heldout]\n\n"
    "One line per stored position: game_id (SHARD:INDEX), ply, moves (before "
    "the position, in the game's notation), visits (MOVE:N ...), v (the raw "
    "network value), q (the search value), z (the reward the game paid the "
    "side to move) and weights_version. Shards are read one at a time "
    "(constant memory); damaged records and shards are skipped and counted "
    "on stderr.",
    az::RunRecords);
