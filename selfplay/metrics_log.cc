#include "selfplay/metrics_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace az::selfplay {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int error = errno;
  const std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  return error == ENOENT ? absl::NotFoundError(message)
                         : absl::PermissionDeniedError(message);
}

// Keeps the file at `path` under the first free name PATH.N.
absl::Status MoveAside(const std::string& path) {
  std::string aside;
  for (int n = 1;; ++n) {
    aside = absl::StrCat(path, ".", n);
    struct stat info;
    if (::stat(aside.c_str(), &info) != 0) break;
  }
  if (std::rename(path.c_str(), aside.c_str()) != 0) {
    return Errno("move aside", path);
  }
  return absl::OkStatus();
}

// What Open() keeps of the file it finds.
struct ExistingLog {
  bool new_file = true;  // none, empty, or moved aside: write the header
  size_t whole = 0;      // bytes of whole lines, kept when not new_file
  std::map<std::string, std::string> last_row;
};

// Reads the file at `path`, if there is one: its whole lines (a crash may
// have left part of a row at the end) and its last row by the file's
// column names. A file with another header (another layout) is moved
// aside, to start afresh.
absl::StatusOr<ExistingLog> ReadExistingLog(
    const std::string& path, const std::string& header, size_t max_bytes) {
  std::string contents;
  absl::StatusOr<std::string> read = base::ReadFileBounded(path, max_bytes);
  if (read.ok()) {
    contents = *std::move(read);
  } else if (!absl::IsNotFound(read.status())) {
    return read.status();
  }
  ExistingLog log;
  const size_t last_newline = contents.rfind('\n');
  log.whole = last_newline == std::string::npos ? 0 : last_newline + 1;
  log.new_file = log.whole == 0;
  if (log.new_file) return log;
  std::vector<std::string> lines =
      absl::StrSplit(contents.substr(0, log.whole - 1), '\n');
  // The last row is read by the file's own header, so that a resumed run
  // finds where it stopped (its elapsed time, say) in a file of another
  // layout too; only then is that file moved aside.
  if (lines.size() > 1) {
    const std::vector<std::string> names = absl::StrSplit(lines.front(), ',');
    const std::vector<std::string> values = absl::StrSplit(lines.back(), ',');
    for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
      log.last_row[names[i]] = values[i];
    }
  }
  if (lines.front() != header) {
    RETURN_IF_ERROR(MoveAside(path));
    log.new_file = true;
  }
  return log;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsLog>> MetricsLog::Open(
    const std::string& path, std::vector<std::string> columns) {
  const std::string header = absl::StrJoin(columns, ",");
  ASSIGN_OR_RETURN(ExistingLog existing,
                   ReadExistingLog(path, header, kMaxBytes));
  // O_APPEND: every row goes to the end of the file as it is, whatever
  // else has written or cut it since.
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", path);
  auto log =
      std::unique_ptr<MetricsLog>(new MetricsLog(path, std::move(columns), fd));
  log->last_row_ = std::move(existing.last_row);
  const off_t keep = existing.new_file ? 0 : static_cast<off_t>(existing.whole);
  if (::ftruncate(fd, keep) != 0) return Errno("truncate", path);
  if (existing.new_file) {
    RETURN_IF_ERROR(log->AppendLine(header + "\n"));
  }
  return log;
}

absl::StatusOr<double> MetricsLog::NumberInLastRow(
    const std::string& column) const {
  auto it = last_row_.find(column);
  if (it == last_row_.end() || it->second.empty()) {
    return absl::NotFoundError(absl::StrCat(
        path_, ": the last row has no ", column));
  }
  double value = 0;
  if (!absl::SimpleAtod(it->second, &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, ": the last row's ", column, " is '", it->second,
        "', not a finite number (was the file edited?)"));
  }
  return value;
}

absl::Status MetricsLog::AppendLine(const std::string& line) {
  struct stat info;
  if (::fstat(fd_, &info) != 0) return Errno("stat", path_);
  size_t done = 0;
  absl::Status status;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = Errno("write to", path_);
      break;
    }
    done += static_cast<size_t>(n);
  }
  // Flushed, so that a report on screen is a row on disk.
  if (status.ok() && ::fdatasync(fd_) != 0) status = Errno("flush", path_);
  if (!status.ok() && done > 0) {
    // Part of the line got in (a full disk): cut it off again, or the next
    // row would continue it. If even that fails, the next Open() cuts a
    // partial last line.
    if (::ftruncate(fd_, info.st_size) != 0) {
      return absl::Status(status.code(),
                          absl::StrCat(status.message(),
                                       "; the partial row stays at the end"));
    }
  }
  return status;
}

MetricsLog::MetricsLog(std::string path, std::vector<std::string> columns,
                       int fd)
    : path_(std::move(path)), columns_(std::move(columns)), fd_(fd) {}

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status MetricsLog::Append(
    const std::map<std::string, std::string>& values) {
  std::vector<std::string> row(columns_.size());
  size_t used = 0;
  for (size_t i = 0; i < columns_.size(); ++i) {
    auto it = values.find(columns_[i]);
    if (it == values.end()) continue;
    if (it->second.find_first_of(",\"\n\r") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics value '", it->second, "' of ", it->first,
          " would break the CSV"));
    }
    row[i] = it->second;
    ++used;
  }
  if (used != values.size()) {
    for (const auto& [name, value] : values) {
      bool known = false;
      for (const std::string& column : columns_) known |= column == name;
      if (!known) {
        return absl::InvalidArgumentError(
            absl::StrCat("metrics has no column ", name));
      }
    }
  }
  // One write per row: a killed process leaves whole rows, or a partial
  // last one that the next Open() cuts off.
  return AppendLine(absl::StrCat(absl::StrJoin(row, ","), "\n"));
}

}  // namespace az::selfplay
