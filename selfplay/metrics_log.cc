#include "selfplay/metrics_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace az::selfplay {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int error = errno;
  const std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  return error == ENOENT ? absl::NotFoundError(message)
                         : absl::PermissionDeniedError(message);
}

absl::Status WriteAllAt(int fd, const std::string& text,
                        const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("write to", path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsLog>> MetricsLog::Open(
    const std::string& path, std::vector<std::string> columns) {
  const std::string header = absl::StrJoin(columns, ",");
  std::string contents;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::stringstream buffer;
      buffer << in.rdbuf();
      contents = buffer.str();
    }
  }
  // Whole lines only: a crash may have left part of a row at the end.
  const size_t last_newline = contents.rfind('\n');
  const size_t whole = last_newline == std::string::npos ? 0 : last_newline + 1;
  std::map<std::string, std::string> last_row;
  bool new_file = whole == 0;
  if (!new_file) {
    std::vector<std::string> lines =
        absl::StrSplit(contents.substr(0, whole - 1), '\n');
    if (lines.front() != header) {
      // Another layout: keep that file under a free name and start afresh.
      std::string aside;
      for (int n = 1;; ++n) {
        aside = absl::StrCat(path, ".", n);
        struct stat info;
        if (::stat(aside.c_str(), &info) != 0) break;
      }
      if (std::rename(path.c_str(), aside.c_str()) != 0) {
        return Errno("move aside", path);
      }
      new_file = true;
    } else if (lines.size() > 1) {
      std::vector<std::string> values = absl::StrSplit(lines.back(), ',');
      for (size_t i = 0; i < columns.size() && i < values.size(); ++i) {
        last_row[columns[i]] = values[i];
      }
    }
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", path);
  auto log = std::unique_ptr<MetricsLog>(
      new MetricsLog(path, std::move(columns), fd));
  log->last_row_ = std::move(last_row);
  const off_t keep = new_file ? 0 : static_cast<off_t>(whole);
  if (::ftruncate(fd, keep) != 0) return Errno("truncate", path);
  if (::lseek(fd, 0, SEEK_END) < 0) return Errno("seek in", path);
  if (new_file) {
    absl::Status status = WriteAllAt(fd, header + "\n", path);
    if (!status.ok()) return status;
  }
  return log;
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
  return WriteAllAt(fd_, absl::StrCat(absl::StrJoin(row, ","), "\n"), path_);
}

}  // namespace az::selfplay
