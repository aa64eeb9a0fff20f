// Position files: lists of positions with optional exact scores, read by
// `az solve` and `az gap`.
//
// One position per line: the move sequence from the initial position in the
// game's notation, optionally followed by whitespace and an integer score for
// the side to move (Pascal Pons' Connect Four benchmark format: "4453 -2").
// Blank lines and lines whose first non-blank character is '#' are skipped.
// When a line has two or more whitespace-separated tokens and the last one
// looks like a number, it is the score; so in games whose moves are numbers,
// moves are written back to back ("4453") or separated by commas.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az {

// The largest position file ReadPositionFile reads: 256 MiB, millions of
// positions (the Connect Four benchmark sets are 1000 lines, ~30 KB each).
constexpr int64_t kMaxPositionFileBytes = int64_t{256} << 20;

struct PositionRecord {
  int line = 0;                 // 1-based line number in the file
  std::string moves;            // the move text as written in the file
  std::vector<Action> actions;  // the moves, parsed and checked legal
  std::optional<int> score;     // the score given in the file, if any
};

// Parses the contents of a position file. Every position must be an
// unfinished game of `game`; any malformed line is an InvalidArgument error
// "NAME:LINE: reason", where NAME is `file_name`.
absl::StatusOr<std::vector<PositionRecord>> ParsePositions(
    const Game& game, absl::string_view text, absl::string_view file_name);

// Reads and parses the position file at `path`. A missing file is NotFound;
// one that is not a regular file (a FIFO, a device) or is over
// kMaxPositionFileBytes is FailedPrecondition, refused before it is read;
// an unreadable one another error naming the file and the reason.
absl::StatusOr<std::vector<PositionRecord>> ReadPositionFile(
    const Game& game, const std::string& path);

}  // namespace az
