#include "base/file.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/child_process.h"
#include "tests/test_util.h"

namespace az::base {
namespace {

using ::az::testing::ReadFileBytes;
using ::az::testing::WriteFileBytes;

namespace fs = std::filesystem;
using ::az::testing::ChildOutcome;
using ::az::testing::RunInBoundedChild;

// A fresh, empty directory for one test.
std::string FreshDir(const std::string& name) {
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/base_file_", ::getpid(), "_", name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

bool Contains(absl::string_view text, absl::string_view part) {
  return text.find(part) != absl::string_view::npos;
}

// The PID of a process that has exited and been reaped.
pid_t DeadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// --- WriteFileAtomically ---------------------------------------------------

TEST(WriteFileAtomicallyTest, ReplacesTheWholeFileAndLeavesNoTemporary) {
  const std::string dir = FreshDir("replace");
  const std::string path = dir + "/data";
  ASSERT_TRUE(WriteFileAtomically(path, std::string(10000, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "short").ok());
  EXPECT_EQ(ReadFileBytes(path), "short");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(ReadFileBytes(path), "");
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++entries;
    EXPECT_EQ(entry.path().filename(), "data");
  }
  EXPECT_EQ(entries, 1);
}

TEST(WriteFileAtomicallyTest, KeepsEmbeddedZeroBytes) {
  const std::string path = FreshDir("binary") + "/data";
  const std::string bytes("a\0b\0\0c", 6);
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  EXPECT_EQ(ReadFileBytes(path), bytes);
}

TEST(WriteFileAtomicallyTest, MissingDirectoryIsNotFoundNamingTheFile) {
  absl::Status s = WriteFileAtomically("/nonexistent_dir_az/x/data", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_TRUE(Contains(s.message(), "/nonexistent_dir_az/x/data")) << s;
  EXPECT_FALSE(Contains(s.message(), "\n")) << s;
}

TEST(WriteFileAtomicallyTest, RemovesTheTemporaryFileOfADeadWriter) {
  const std::string dir = FreshDir("stale");
  const std::string path = dir + "/data";
  const std::string stale = absl::StrCat(path, ".tmp.", DeadPid());
  WriteFileBytes(stale, "half-written by a writer that crashed");
  ASSERT_TRUE(fs::exists(stale));
  ASSERT_TRUE(WriteFileAtomically(path, "new").ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_EQ(ReadFileBytes(path), "new");
}

TEST(WriteFileAtomicallyTest, KeepsTheTemporaryFileOfALiveWriter) {
  const std::string dir = FreshDir("live");
  const std::string path = dir + "/data";
  const pid_t writer = ::fork();
  if (writer == 0) {
    ::pause();  // a writer still at work
    ::_exit(0);
  }
  ASSERT_GT(writer, 0);
  const std::string live = absl::StrCat(path, ".tmp.", writer);
  WriteFileBytes(live, "being written");
  const absl::Status s = WriteFileAtomically(path, "new");
  ::kill(writer, SIGKILL);
  ::waitpid(writer, nullptr, 0);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(fs::exists(live));
  EXPECT_EQ(ReadFileBytes(live), "being written");
}

TEST(WriteFileAtomicallyTest, LeavesOtherFilesThatLookLikeTemporaries) {
  const std::string dir = FreshDir("others");
  const std::string path = dir + "/data";
  const pid_t dead = DeadPid();
  // Another target's temporary, a name that is not NAME.tmp.PID, PID 0
  // (which kill() would take for the process group), and a directory.
  const std::string other = absl::StrCat(dir, "/other.tmp.", dead);
  const std::string not_a_pid = path + ".tmp.12x";
  const std::string pid_zero = path + ".tmp.0";
  const std::string directory = absl::StrCat(path, ".tmp.", DeadPid());
  WriteFileBytes(other, "x");
  WriteFileBytes(not_a_pid, "x");
  WriteFileBytes(pid_zero, "x");
  fs::create_directory(directory);
  ASSERT_TRUE(WriteFileAtomically(path, "new").ok());
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists(not_a_pid));
  EXPECT_TRUE(fs::exists(pid_zero));
  EXPECT_TRUE(fs::is_directory(directory));
}

TEST(WriteFileAtomicallyTest, DoesNotFollowASymbolicLinkAtTheTemporaryName) {
  const std::string dir = FreshDir("symlink");
  const std::string path = dir + "/data";
  const std::string victim = dir + "/victim";
  WriteFileBytes(victim, "keep me");
  // Links under every temporary name this process could use next.
  for (int n = 0; n < 5000; ++n) {
    fs::create_symlink(victim, absl::StrCat(path, ".tmp.", ::getpid(), ".", n));
  }
  EXPECT_FALSE(WriteFileAtomically(path, "new").ok());
  EXPECT_EQ(ReadFileBytes(victim), "keep me");
}

TEST(WriteFileAtomicallyTest, ThreadsWritingOneFileEachGetAWholeWrite) {
  const std::string dir = FreshDir("threads");
  const std::string path = dir + "/data";
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!WriteFileAtomically(path, absl::StrCat("writer ", t, " ", i)).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ReadFileBytes(path).rfind("writer ", 0), 0u) << ReadFileBytes(path);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "data");
  }
  EXPECT_EQ(files, 1);
}

TEST(WriteFileAtomicallyTest, ErrnoCodesMapToStatusCodes) {
  EXPECT_EQ(ErrnoStatus(ENOSPC, "w").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus(EDQUOT, "w").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus(ENOENT, "w").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoStatus(EACCES, "w").code(),
            absl::StatusCode::kPermissionDenied);
  const absl::Status s = ErrnoStatus(ENOSPC, "cannot write /x/y");
  EXPECT_EQ(s.message(),
            absl::StrCat("cannot write /x/y: ", std::strerror(ENOSPC)));
}

// A real full disk: a 16 KiB tmpfs mounted in a private mount namespace of a
// child process (so nothing outside sees it). Skipped where the machine
// does not allow such namespaces.
TEST(WriteFileAtomicallyTest, AFullDiskIsResourceExhausted) {
  const std::string mount_point = FreshDir("full_disk");
  constexpr int kCannotSetUp = 77;
  ChildOutcome outcome = RunInBoundedChild([&] {
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    if (::unshare(CLONE_NEWNS) != 0) {
      // Without privileges, a user namespace grants them inside it.
      if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return kCannotSetUp;
      std::ofstream("/proc/self/setgroups") << "deny";
      std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
      std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=16k") != 0) {
      return kCannotSetUp;
    }
    const absl::Status s =
        WriteFileAtomically(mount_point + "/data", std::string(1 << 20, 'x'));
    if (s.code() != absl::StatusCode::kResourceExhausted ||
        !Contains(s.message(), mount_point + "/data")) {
      std::fprintf(stderr, "got %s\n", s.ToString().c_str());
      return 1;
    }
    // The temporary file is gone too, and the disk is usable again.
    if (!WriteFileAtomically(mount_point + "/data", "small").ok()) return 2;
    return 0;
  });
  if (outcome.exited && outcome.exit_code == kCannotSetUp) {
    GTEST_SKIP() << "cannot mount a small tmpfs in a private namespace here";
  }
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

// A directory the writer can write into but not open for reading: the
// rename succeeds, the directory cannot be synced, and that must be an
// error rather than a silent success. Root reads any directory, so as
// root the write runs in a child that drops to an unprivileged user.
TEST(WriteFileAtomicallyTest, ADirectoryThatCannotBeSyncedIsAnError) {
  const std::string dir = FreshDir("no_sync");
  constexpr uid_t kNobody = 65534;
  const bool root = ::geteuid() == 0;
  if (root && ::chown(dir.c_str(), kNobody, kNobody) != 0) {
    GTEST_SKIP() << "cannot hand the directory to an unprivileged user";
  }
  ASSERT_EQ(::chmod(dir.c_str(), 0300), 0);  // write and search, no read
  constexpr int kCannotSetUp = 77;
  ChildOutcome outcome = RunInBoundedChild([&] {
    if (root && (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)) {
      return kCannotSetUp;
    }
    // The directory must be reachable from here for the test to mean much.
    if (::access(dir.c_str(), W_OK | X_OK) != 0) return kCannotSetUp;
    const absl::Status s = WriteFileAtomically(dir + "/data", "x");
    if (s.ok() || !Contains(s.message(), dir + "/data")) {
      std::fprintf(stderr, "got %s\n", s.ToString().c_str());
      return 1;
    }
    return 0;
  });
  ::chmod(dir.c_str(), 0755);
  if (outcome.exited && outcome.exit_code == kCannotSetUp) {
    GTEST_SKIP() << "cannot run the writer without read access to its "
                    "directory";
  }
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

// --- ReadFileBounded -------------------------------------------------------

TEST(ReadFileBoundedTest, ReadsAWholeFileUpToTheLimit) {
  const std::string path = FreshDir("read") + "/data";
  const std::string bytes = std::string("x\0y", 3) + std::string(5000, 'z');
  WriteFileBytes(path, bytes);
  absl::StatusOr<std::string> read = ReadFileBounded(path, bytes.size());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
  WriteFileBytes(path, "");
  read = ReadFileBounded(path, 0);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
}

TEST(ReadFileBoundedTest, AFileOverTheLimitIsRefusedNamingPathAndLimit) {
  const std::string path = FreshDir("over") + "/data";
  WriteFileBytes(path, std::string(1001, 'x'));
  absl::StatusOr<std::string> read = ReadFileBounded(path, 1000);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(read.status().message(), path)) << read.status();
  EXPECT_TRUE(Contains(read.status().message(), "1000")) << read.status();
}

TEST(ReadFileBoundedTest, MissingFileIsNotFound) {
  absl::StatusOr<std::string> read =
      ReadFileBounded(FreshDir("missing") + "/nothing", 100);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
}

// A FIFO with no writer would block a plain open() for ever; the child's
// alarm turns such a hang into a failure instead of a stuck suite.
TEST(ReadFileBoundedTest, AFifoIsRefusedAtOnceWithoutAWriter) {
  const std::string fifo = FreshDir("fifo") + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0) << std::strerror(errno);
  ChildOutcome outcome = RunInBoundedChild(
      [&] {
        absl::StatusOr<std::string> read = ReadFileBounded(fifo, 100);
        return read.status().code() == absl::StatusCode::kFailedPrecondition &&
                       Contains(read.status().message(), "FIFO")
                   ? 0
                   : 1;
      },
      /*timeout_s=*/5);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

TEST(ReadFileBoundedTest, DevZeroIsRefusedAsADevice) {
  ChildOutcome outcome = RunInBoundedChild(
      [] {
        absl::StatusOr<std::string> read =
            ReadFileBounded("/dev/zero", size_t{1} << 40);
        if (read.ok()) return 1;
        std::fprintf(stderr, "%s\n", read.status().ToString().c_str());
        return read.status().code() == absl::StatusCode::kFailedPrecondition &&
                       Contains(read.status().message(), "/dev/zero") &&
                       Contains(read.status().message(), "device")
                   ? 0
                   : 2;
      },
      /*timeout_s=*/10, /*extra_address_space=*/size_t{256} << 20);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

TEST(ReadFileBoundedTest, ADirectoryIsRefused) {
  const std::string dir = FreshDir("dir");
  absl::StatusOr<std::string> read = ReadFileBounded(dir, 100);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(read.status().message(), "directory")) << read.status();
}

// Files under /proc say they are empty and then produce bytes: the size
// from fstat is no bound, the read itself must stop at the limit.
TEST(ReadFileBoundedTest, AFileLongerThanItsSizeStopsAtTheLimit) {
  absl::StatusOr<std::string> read = ReadFileBounded("/proc/self/status", 16);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(read.status().message(), "16 bytes")) << read.status();
  read = ReadFileBounded("/proc/self/status", 1 << 20);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(Contains(*read, "Pid:"));
}

// --- MakeDirectories -------------------------------------------------------

TEST(MakeDirectoriesTest, CreatesMissingParentsAndAcceptsExistingOnes) {
  const std::string dir = FreshDir("mkdir");
  const std::string nested = dir + "/a/b//c/";
  ASSERT_TRUE(MakeDirectories(nested).ok());
  EXPECT_TRUE(fs::is_directory(dir + "/a/b/c"));
  EXPECT_TRUE(MakeDirectories(nested).ok());
  EXPECT_TRUE(MakeDirectories(dir + "/a").ok());
  EXPECT_TRUE(MakeDirectories("/").ok());
}

TEST(MakeDirectoriesTest, AFileInTheWayIsFailedPrecondition) {
  const std::string dir = FreshDir("in_the_way");
  WriteFileBytes(dir + "/file", "x");
  absl::Status s = MakeDirectories(dir + "/file/sub");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(Contains(s.message(), dir + "/file")) << s;
  EXPECT_EQ(MakeDirectories(dir + "/file").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MakeDirectoriesTest, AnEmptyPathIsInvalid) {
  EXPECT_EQ(MakeDirectories("").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace az::base
