// Whole files on disk, the way every az format needs them: written
// atomically (a reader sees the old contents or the new, never a mix, and a
// crash leaves no half-written file under the final name), read whole but
// only up to a size the caller says the file can legitimately have, and
// directories created with their parents.
//
// Errors are statuses whose code follows the system's errno (ENOSPC is
// ResourceExhausted, ENOENT NotFound, EACCES PermissionDenied...) and whose
// message names the file and the reason, on one line.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace az::base {

// The status of a failed system call: `what` (e.g. "cannot write /a/b"),
// then the system's reason; the code follows `error_number` as
// absl::ErrnoToStatusCode maps it (ENOSPC and EDQUOT: ResourceExhausted).
absl::Status ErrnoStatus(int error_number, absl::string_view what);

// Writes `contents` to `path` atomically: into a new PATH.tmp.PID.N beside
// it (N numbers the process's writes, so threads writing the same `path` at
// once each get their own temporary file, and the last rename wins),
// fsynced, renamed over `path`, and then the directory is fsynced so that
// the rename itself survives a power cut. Any failed step is an error, the
// directory's fsync included: the file may then be in place but is not
// known to be durable.
//
// Before writing, temporary files of earlier writers of the same `path`
// (PATH.tmp.PID.N, or PATH.tmp.PID of older versions) are removed when no
// process with that PID is alive, so a writer that crashed does not leave
// them behind for ever. A process in another PID namespace (another
// container sharing the directory) looks dead from here: give each such
// writer its own files.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

// The whole contents of the regular file at `path`, refused (with one
// status, not a read) when it could not be a legitimate file of its kind:
//   NotFound            `path` does not exist;
//   FailedPrecondition  it is not a regular file (a FIFO, a device such as
//                       /dev/zero, a directory), or it holds more than
//                       `max_bytes`, or it grew past that while being read.
// A FIFO is refused without waiting for a writer, and at most
// max_bytes + 1 bytes are ever read, so a file that grows while it is read
// cannot exhaust memory.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path,
                                            size_t max_bytes);

// Creates the directory `path` and any missing parents (mkdir -p). OK when
// it exists already; FailedPrecondition when it or a parent exists and is
// not a directory; otherwise the status of the failed mkdir.
absl::Status MakeDirectories(const std::string& path);

}  // namespace az::base
