#include "games/position_file.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"

namespace az {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Whether `token` was meant as a number (rather than as moves): it starts
// with a sign or digit and holds nothing but digits, signs and points.
bool LooksNumeric(absl::string_view token) {
  if (token.empty()) return false;
  char first = token[0];
  if (first != '+' && first != '-' && !absl::ascii_isdigit(first)) {
    return false;
  }
  for (char c : token) {
    if (!absl::ascii_isdigit(c) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// Printable form of file text in an error message.
std::string Printable(absl::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    }
  }
  if (text.size() > 40) out += "...";
  return out;
}

}  // namespace

absl::StatusOr<std::vector<PositionRecord>> ParsePositions(
    const Game& game, absl::string_view text, absl::string_view file_name) {
  std::vector<PositionRecord> records;
  std::unique_ptr<State> state = game.NewInitialState();
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    auto error = [&](absl::string_view reason) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_number, ": ", reason));
    };

    // Trim trailing blanks (and a CR); skip blank and comment lines.
    size_t last = line.size();
    while (last > 0 && IsBlank(line[last - 1])) --last;
    line = line.substr(0, last);
    size_t first = 0;
    while (first < line.size() && IsBlank(line[first])) ++first;
    if (first == line.size() || line[first] == '#') continue;

    // The last token is the score if it looks like a number and is not the
    // only token.
    PositionRecord record;
    record.line = line_number;
    absl::string_view moves = line;
    size_t split = line.size();
    while (split > first && !IsBlank(line[split - 1])) --split;
    absl::string_view last_token = line.substr(split);
    if (split > first && LooksNumeric(last_token)) {
      int score = 0;
      if (!absl::SimpleAtoi(last_token, &score)) {
        return error(absl::StrCat("bad score \"", Printable(last_token),
                                  "\" (expected an integer)"));
      }
      record.score = score;
      moves = line.substr(0, split);
    }

    // Leading blanks stay in the text given to ParseMoves so that the
    // character offsets it reports are columns of the line.
    absl::StatusOr<std::vector<Action>> actions = game.ParseMoves(moves);
    if (!actions.ok()) return error(actions.status().message());
    state = game.NewInitialState();
    for (Action a : *actions) state->Apply(a);
    if (state->IsTerminal()) {
      return error(absl::StrCat("the game is already over after these moves (",
                                OutcomeName(state->Outcome()), ")"));
    }
    record.moves = std::string(absl::StripAsciiWhitespace(moves));
    record.actions = std::move(*actions);
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<std::vector<PositionRecord>> ReadPositionFile(
    const Game& game, const std::string& path) {
  absl::StatusOr<std::string> text =
      base::ReadFileBounded(path, kMaxPositionFileBytes);
  if (!text.ok()) {
    return absl::Status(
        text.status().code(),
        absl::StrCat("position file: ", text.status().message()));
  }
  return ParsePositions(game, *text, path);
}

}  // namespace az
