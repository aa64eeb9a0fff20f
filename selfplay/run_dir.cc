#include "selfplay/run_dir.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/file.h"

namespace az::selfplay {

RunPaths::RunPaths(std::string run_dir) : root(std::move(run_dir)) {}
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

}  // namespace az::selfplay
