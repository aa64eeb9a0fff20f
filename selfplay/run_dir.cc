#include "selfplay/run_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "glog/logging.h"

namespace az::selfplay {

RunPaths::RunPaths(std::string run_dir) : root(std::move(run_dir)) {}
std::string RunPaths::lock() const { return absl::StrCat(root, "/lock"); }
std::string RunPaths::config() const { return absl::StrCat(root, "/config"); }
std::string RunPaths::checkpoints() const {
  return absl::StrCat(root, "/checkpoints");
}
std::string RunPaths::latest_pointer() const {
  return absl::StrCat(checkpoints(), "/latest");
}
std::string RunPaths::optimizer_state(int64_t step) const {
  return absl::StrCat(checkpoints(), absl::StrFormat("/step-%08d.opt", step));
}
std::string RunPaths::replay() const { return absl::StrCat(root, "/replay"); }
std::string RunPaths::heldout() const { return absl::StrCat(root, "/heldout"); }
std::string RunPaths::metrics() const {
  return absl::StrCat(root, "/metrics.csv");
}
std::string RunPaths::log() const { return absl::StrCat(root, "/log"); }
std::string RunPaths::checkpoint(int64_t step) const {
  return absl::StrCat(checkpoints(), "/", CheckpointFileName(step));
}

absl::StatusOr<std::string> RunRewardSpec(const std::string& run_dir) {
  const std::string path = RunPaths(run_dir).config();
  absl::StatusOr<std::string> config =
      base::ReadFileBounded(path, kMaxRunConfigBytes);
  if (absl::IsNotFound(config.status())) return std::string("rules");
  if (!config.ok()) return config.status();
  // The last line wins, as when gflags reads a flag twice.
  std::optional<std::string> spec;
  for (absl::string_view line : absl::StrSplit(*config, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "--reward=")) spec = std::string(line);
  }
  if (!spec.has_value()) return std::string("rules");
  if (spec->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": --reward= names no reward spec"));
  }
  return *spec;
}

std::string CheckpointFileName(int64_t step) {
  return absl::StrFormat("step-%08d.ckpt", step);
}

absl::StatusOr<std::vector<RunCheckpoint>> ListCheckpoints(
    const std::string& run_dir) {
  const std::string dir = RunPaths(run_dir).checkpoints();
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot list ", dir, ": ",
                                            std::strerror(errno),
                                            " (is ", run_dir,
                                            " a training run?)"));
  }
  std::vector<RunCheckpoint> found;
  while (dirent* entry = readdir(handle)) {
    absl::string_view name = entry->d_name;
    if (!absl::ConsumePrefix(&name, "step-") ||
        !absl::ConsumeSuffix(&name, ".ckpt")) {
      continue;
    }
    int64_t step = 0;
    if (!absl::SimpleAtoi(name, &step) || step < 0) continue;
    found.push_back({step, absl::StrCat(dir, "/", entry->d_name)});
  }
  closedir(handle);
  std::sort(found.begin(), found.end(),
            [](const RunCheckpoint& a, const RunCheckpoint& b) {
              return a.step < b.step;
            });
  return found;
}

absl::StatusOr<std::string> LatestCheckpoint(const std::string& run_dir) {
  const RunPaths paths(run_dir);
  const std::string pointer = paths.latest_pointer();
  absl::StatusOr<std::string> contents =
      base::ReadFileBounded(pointer, kMaxLatestPointerBytes);
  if (absl::IsNotFound(contents.status())) {
    return absl::NotFoundError(
        absl::StrCat("no checkpoint pointer ", pointer, " (is ", run_dir,
                     " a training run with a checkpoint yet?)"));
  }
  // Anything else that is wrong with the pointer is an error, never
  // NotFound: a resume must not take a run with a broken pointer for a run
  // without checkpoints.
  if (!contents.ok()) {
    return absl::Status(
        contents.status().code(),
        absl::StrCat("checkpoint pointer: ", contents.status().message()));
  }
  std::string name(absl::StripAsciiWhitespace(*contents));
  if (name.empty()) {
    return absl::NotFoundError(absl::StrCat(pointer, " is empty"));
  }
  // One file name or path on one line, as WriteLatestPointer writes it.
  if (std::any_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      })) {
    return absl::DataLossError(absl::StrCat(
        "checkpoint pointer ", pointer,
        " is damaged: it holds more than one line or control characters"));
  }
  return absl::StartsWith(name, "/")
             ? name
             : absl::StrCat(paths.checkpoints(), "/", name);
}

absl::Status WriteLatestPointer(const std::string& run_dir,
                                const std::string& file_name) {
  return base::WriteFileAtomically(RunPaths(run_dir).latest_pointer(),
                                 absl::StrCat(file_name, "\n"));
}

absl::StatusOr<std::unique_ptr<RunLock>> RunLock::Acquire(
    const std::string& run_dir) {
  const std::string path = RunPaths(run_dir).lock();
  // Never truncated on open: until the lock is ours, the file is the
  // holder's message.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("cannot open the run lock ", path));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error != EWOULDBLOCK) {
      ::close(fd);
      return absl::ErrnoToStatus(error,
                                 absl::StrCat("cannot lock ", path));
    }
    char holder[128] = {};
    const ssize_t n = ::pread(fd, holder, sizeof(holder) - 1, 0);
    ::close(fd);
    std::string who(absl::StripAsciiWhitespace(
        absl::string_view(holder, n > 0 ? static_cast<size_t>(n) : 0)));
    // Printable text only: the file is someone else's.
    for (char& c : who) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run_dir, " is in use by ",
        who.empty() ? "another process" : who, " (", path,
        "); stop it first, or use another --run_dir"));
  }
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  const std::string text =
      absl::StrCat("process ", ::getpid(), " on ", host, "\n");
  // The message is a courtesy: failing to write it does not lose the lock.
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) !=
          static_cast<ssize_t>(text.size())) {
    LOG(WARNING) << "cannot write the holder into " << path << ": "
                 << std::strerror(errno);
  }
  return std::unique_ptr<RunLock>(new RunLock(fd));
}

// Closing the descriptor releases the lock; the file stays (removing it
// would let a third process lock a new file while a second one waits on
// the old).
RunLock::~RunLock() { ::close(fd_); }

}  // namespace az::selfplay
