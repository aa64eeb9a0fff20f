// The layout of a training run directory, in one place, for the trainer that
// writes it and for the tools that read it (`run:DIR` players, `az gap`):
//
//   RUN/lock                   held (flock) by the one process writing the run
//   RUN/config                 the run's flags, one --name=value per line
//   RUN/checkpoints/step-NNNNNNNN.ckpt   weights after N training steps
//   RUN/checkpoints/latest     the file name of the newest checkpoint
//   RUN/checkpoints/step-NNNNNNNN.opt    the optimizer state at that step
//   RUN/replay/shard-*.azr     self-play games used for training
//   RUN/heldout/shard-*.azr    self-play games never trained on
//   RUN/metrics.csv            one row per report
//   RUN/log/                   the console log of every session
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace az::selfplay {

struct RunPaths {
  explicit RunPaths(std::string run_dir);

  std::string root;
  std::string lock() const;
  std::string config() const;
  std::string checkpoints() const;
  std::string latest_pointer() const;
  // RUN/checkpoints/step-NNNNNNNN.opt: the optimizer beside the weights.
  std::string optimizer_state(int64_t step) const;
  std::string replay() const;
  std::string heldout() const;
  std::string metrics() const;
  std::string log() const;
  // RUN/checkpoints/step-NNNNNNNN.ckpt
  std::string checkpoint(int64_t step) const;
};

// "step-00001200.ckpt".
std::string CheckpointFileName(int64_t step);

struct RunCheckpoint {
  int64_t step = 0;
  std::string path;
};

// The step-NNNNNNNN.ckpt files of a run, in training order (lowest step
// first); other files are ignored. NotFound if RUN/checkpoints is missing.
absl::StatusOr<std::vector<RunCheckpoint>> ListCheckpoints(
    const std::string& run_dir);

// The largest `latest` pointer LatestCheckpoint reads: one file name or
// path (PATH_MAX is 4096) and a newline.
constexpr size_t kMaxLatestPointerBytes = 4097;

// The checkpoint file named by RUN/checkpoints/latest. NotFound when the
// pointer or the directory is missing (or the pointer is empty); DataLoss
// when it holds more than one line; FailedPrecondition when it is not a
// regular file or longer than kMaxLatestPointerBytes.
absl::StatusOr<std::string> LatestCheckpoint(const std::string& run_dir);

// Points RUN/checkpoints/latest at `file_name` (atomically).
absl::Status WriteLatestPointer(const std::string& run_dir,
                                const std::string& file_name);

// The largest RUN/config RunRewardSpec reads: some 40 short lines of flags.
constexpr size_t kMaxRunConfigBytes = 64 << 10;

// The name of the reward spec a run trains on: the value of the
// `--reward=SPEC` line of RUN/config, or "rules" where the line (or the
// whole file, as in runs made before reward specs) is missing. Whether the
// name is on the game's menu is the caller's check. FailedPrecondition for
// a config that is not a regular file or is larger than kMaxRunConfigBytes,
// InvalidArgument for an empty value.
absl::StatusOr<std::string> RunRewardSpec(const std::string& run_dir);

// The exclusive right to write a run directory, held for as long as the
// object lives: an flock on RUN/lock, which names the holder (pid and host)
// for whoever is refused. The kernel drops the lock when the holder dies
// (kill -9 included), so a lock left by a dead process never blocks; the
// file itself stays, and is never trusted for anything but the message.
// Readers of a run (`run:DIR` players, `az gap --run`) take no lock.
class RunLock {
 public:
  // Creates RUN/lock if missing (RUN itself must exist) and takes it.
  // FailedPrecondition, naming the holder, when another process (or
  // another RunLock in this one) holds it.
  static absl::StatusOr<std::unique_ptr<RunLock>> Acquire(
      const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace az::selfplay
