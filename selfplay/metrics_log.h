// A CSV file that grows by one row per report (RUN/metrics.csv): fixed,
// named columns so that scripts and plots can rely on them, each row
// appended (O_APPEND) in one write and flushed, so that a killed run keeps
// every row it reported. A row that fails part way (a full disk) is cut off
// again at once, and a half-written last line (a crash mid-write) when the
// file is opened again: two rows never merge.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace az::selfplay {

class MetricsLog {
 public:
  // Opens `path` for appending, writing the header line if the file is new
  // or empty. A file whose header names other columns (written by another
  // version) is moved aside to PATH.N first, never appended to or lost.
  static absl::StatusOr<std::unique_ptr<MetricsLog>> Open(
      const std::string& path, std::vector<std::string> columns);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // Appends one row: `values` by column name; missing columns stay empty.
  // InvalidArgument for a name that is not a column or a value with a comma,
  // quote or line break.
  absl::Status Append(const std::map<std::string, std::string>& values);

  // The last whole row that was in the file when it was opened, by column
  // (empty if there was none): how a resumed run finds where it stopped.
  const std::map<std::string, std::string>& last_row_on_open() const {
    return last_row_;
  }
  // A number of that row: NotFound when the column is empty or there was
  // no row, InvalidArgument (one line, naming the file) when it is not a
  // finite number.
  absl::StatusOr<double> NumberInLastRow(const std::string& column) const;
  const std::vector<std::string>& columns() const { return columns_; }

  // The largest metrics file Open() reads (a row every 30 s for years).
  static constexpr size_t kMaxBytes = size_t{1} << 30;
  const std::string& path() const { return path_; }

 private:
  MetricsLog(std::string path, std::vector<std::string> columns, int fd);
  // Writes one whole line at the end and flushes it; on failure the file
  // is cut back to where it was, so no partial line stays behind.
  absl::Status AppendLine(const std::string& line);

  std::string path_;
  std::vector<std::string> columns_;
  int fd_;
  std::map<std::string, std::string> last_row_;
};

}  // namespace az::selfplay
