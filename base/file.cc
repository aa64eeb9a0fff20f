#include "base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace az::base {
namespace {

// The directory part of `path` ("." for a bare name) and the rest.
void SplitPath(const std::string& path, std::string* dir, std::string* name) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *name = path;
  } else {
    *dir = slash == 0 ? "/" : path.substr(0, slash);
    *name = path.substr(slash + 1);
  }
}

// NAME.tmp.PID.N: unique to one call (N counts the process's writes), so
// that threads writing the same file never share a temporary one.
std::string TemporaryName(absl::string_view name) {
  static std::atomic<uint64_t> writes{0};
  return absl::StrCat(name, ".tmp.", ::getpid(), ".", writes.fetch_add(1));
}

// Whether a process with this PID exists. EPERM means it does, but belongs
// to someone else; only ESRCH says it is gone.
bool ProcessIsAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// Removes NAME.tmp.PID files in `dir` whose writer is no longer alive. Best
// effort: a file that cannot be removed stays, and the write goes on.
void RemoveStaleTemporaryFiles(const std::string& dir,
                               const std::string& name) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return;  // the write itself reports why
  const std::string prefix = absl::StrCat(name, ".tmp.");
  const pid_t self = ::getpid();
  while (const dirent* entry = ::readdir(handle)) {
    absl::string_view entry_name = entry->d_name;
    if (!absl::StartsWith(entry_name, prefix)) continue;
    // The PID, then (in names of this version) a dot and a sequence number.
    absl::string_view digits = entry_name.substr(prefix.size());
    if (const size_t dot = digits.find('.'); dot != absl::string_view::npos) {
      const absl::string_view sequence = digits.substr(dot + 1);
      if (sequence.empty() || !std::all_of(sequence.begin(), sequence.end(),
                                           absl::ascii_isdigit)) {
        continue;
      }
      digits = digits.substr(0, dot);
    }
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
      continue;
    }
    int32_t pid = 0;
    // PID 0 and negative numbers would make kill() signal process groups.
    if (!absl::SimpleAtoi(digits, &pid) || pid <= 0 || pid == self) continue;
    if (ProcessIsAlive(pid)) continue;
    struct stat info;
    if (::fstatat(::dirfd(handle), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) !=
            0 ||
        !S_ISREG(info.st_mode)) {
      continue;
    }
    ::unlinkat(::dirfd(handle), entry->d_name, 0);
  }
  ::closedir(handle);
}

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

absl::Status ErrnoStatus(int error_number, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(error_number),
                      absl::StrCat(what, ": ", std::strerror(error_number)));
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  std::string dir, name;
  SplitPath(path, &dir, &name);
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write ", path, ": not a file name"));
  }
  RemoveStaleTemporaryFiles(dir, name);
  const std::string tmp =
      absl::StrCat(path.substr(0, path.size() - name.size()),
                   TemporaryName(name));
  // O_EXCL (with O_NOFOLLOW): a file or link planted under the temporary
  // name is an error, never followed or overwritten.
  const int fd = ::open(
      tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    const int error = errno;
    return ErrnoStatus(error, absl::StrCat("cannot create ", tmp));
  }
  auto fail = [&](absl::string_view what) {
    const int error = errno;
    absl::Status status = ErrnoStatus(error, absl::StrCat(what, " ", tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return status;
  };
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n =
        ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    if (n == 0) {
      errno = EIO;  // no progress and no reason: do not spin
      return fail("cannot write");
    }
    written += static_cast<size_t>(n);
  }
  // Some file systems report a full disk or a failed device only here.
  if (::fsync(fd) != 0) return fail("cannot flush");
  if (::close(fd) != 0) {
    const int error = errno;
    absl::Status status =
        ErrnoStatus(error, absl::StrCat("cannot close ", tmp));
    ::unlink(tmp.c_str());
    return status;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    absl::Status status =
        ErrnoStatus(error, absl::StrCat("cannot rename ", tmp, " to ", path));
    ::unlink(tmp.c_str());
    return status;
  }
  // The new name lives in the directory: until the directory is on disk,
  // a power cut may bring back the old file or none.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    const int error = errno;
    return ErrnoStatus(error, absl::StrCat("wrote ", path,
                                           " but cannot open its directory "
                                           "to make it durable"));
  }
  if (::fsync(dir_fd) != 0) {
    const int error = errno;
    absl::Status status = ErrnoStatus(
        error, absl::StrCat("wrote ", path,
                            " but cannot flush its directory, so it may not "
                            "survive a crash"));
    ::close(dir_fd);
    return status;
  }
  ::close(dir_fd);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileBounded(const std::string& path,
                                            size_t max_bytes) {
  // O_NONBLOCK so that opening a FIFO does not wait for a writer; fstat
  // then refuses it before anything is read.
  const int fd =
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    return ErrnoStatus(error, absl::StrCat("cannot open ", path));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    return ErrnoStatus(error, absl::StrCat("cannot stat ", path));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": it is ", FileKind(info.st_mode),
                     ", not a regular file"));
  }
  auto too_large = [&](absl::string_view how) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": it ", how, " the limit of ",
                     max_bytes, " bytes for this kind of file"));
  };
  if (static_cast<uint64_t>(info.st_size) > max_bytes) {
    return too_large(absl::StrCat("holds ", info.st_size, " bytes, over"));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int error = errno;
    return ErrnoStatus(error, absl::StrCat("cannot read ", path));
  }
  // One byte more than allowed tells a file that grew past the limit from
  // one that ends exactly at it.
  const size_t cap = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
  std::string contents;
  contents.resize(std::min<size_t>(cap, static_cast<size_t>(info.st_size) + 1));
  size_t size = 0;
  while (size < cap) {
    if (size == contents.size()) {
      contents.resize(std::min(cap, std::max<size_t>(2 * size, 4096)));
    }
    const ssize_t n =
        ::read(fd, contents.data() + size, contents.size() - size);
    if (n < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      return ErrnoStatus(error, absl::StrCat("cannot read ", path));
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > max_bytes) return too_large("grew past");
  contents.resize(size);
  return contents;
}

absl::Status MakeDirectories(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("cannot create a directory: empty path");
  }
  // Each prefix that ends before a '/', then the whole path.
  for (size_t end = 0; end != std::string::npos;) {
    end = path.find('/', end + 1);
    const std::string prefix = path.substr(0, end);
    if (prefix.empty() || prefix.back() == '/') continue;  // "//" or "/"
    if (::mkdir(prefix.c_str(), 0755) == 0) continue;
    const int error = errno;
    struct stat info;
    if (::stat(prefix.c_str(), &info) == 0) {
      // Existing (EEXIST, or a refusal such as EROFS about an existing one).
      if (S_ISDIR(info.st_mode)) continue;
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create the directory ", path, ": ", prefix,
                       " exists and is not a directory"));
    }
    return ErrnoStatus(error,
                       absl::StrCat("cannot create the directory ", prefix));
  }
  return absl::OkStatus();
}

}  // namespace az::base
