#include "nn/checkpoint.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/crc32c.h"
#include "gtest/gtest.h"
#include "nn/fast_forward.h"
#include "tests/child_process.h"
#include "tests/nn/test_networks.h"
#include "tests/test_util.h"

namespace az::nn {
namespace {

using ::az::testing::ReadFileBytes;
using ::az::testing::WriteFileBytes;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/ckpt_" + std::to_string(getpid()) + "_" + name;
}

template <typename T>
void Append(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Replaces the checksum that ends `bytes` by the right one for the rest.
void Reseal(std::string* bytes) {
  bytes->resize(bytes->size() - 4);
  Append<uint32_t>(bytes, base::Crc32c(bytes->data(), bytes->size()));
}

// A checkpoint file with `valid`'s header and metadata and one tensor of
// `shape` followed by `value_bytes` bytes, with a valid checksum: what a
// buggy or malicious writer could produce, which the checksum cannot catch.
std::string CraftedCheckpoint(const std::string& valid,
                              const std::vector<int64_t>& shape,
                              size_t value_bytes) {
  uint32_t json_size = 0;
  std::memcpy(&json_size, valid.data() + 12, 4);
  std::string out = valid.substr(0, 16 + json_size);
  Append<uint32_t>(&out, 1);  // tensors
  Append<uint32_t>(&out, 1);  // name size
  out += "w";
  Append<uint32_t>(&out, static_cast<uint32_t>(shape.size()));
  for (int64_t d : shape) Append<int64_t>(&out, d);
  out.append(value_bytes, '\0');
  Append<uint32_t>(&out, 0);
  Reseal(&out);
  return out;
}

bool OneLine(absl::string_view message) {
  return !message.empty() && message.find('\n') == absl::string_view::npos;
}

class CheckpointTest : public ::testing::Test {
 protected:
  Checkpoint original_ = testing::RandomCheckpoint("connect4", 1, 16, 9, 7);
  std::string path_ = TempPath("net");
  void SetUp() override { ASSERT_TRUE(SaveCheckpoint(original_, path_).ok()); }
};

TEST_F(CheckpointTest, RoundTripKeepsMetadataAndTensorsExactly) {
  absl::StatusOr<Checkpoint> loaded = LoadCheckpoint(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->metadata.config.SameShape(original_.metadata.config));
  EXPECT_EQ(loaded->metadata.weight_version, 7);
  EXPECT_EQ(loaded->metadata.training_step, 70);
  EXPECT_EQ(loaded->metadata.format_version, kCheckpointFormatVersion);
  ASSERT_EQ(loaded->tensors.size(), original_.tensors.size());
  for (size_t i = 0; i < original_.tensors.size(); ++i) {
    EXPECT_EQ(loaded->tensors[i].name, original_.tensors[i].name);
    EXPECT_EQ(loaded->tensors[i].shape, original_.tensors[i].shape);
    EXPECT_EQ(loaded->tensors[i].values, original_.tensors[i].values);
  }
}

TEST_F(CheckpointTest, BytesInMemoryAreTheFileAndAreCheckedTheSame) {
  absl::StatusOr<std::string> bytes = EncodeCheckpoint(original_);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, ReadFileBytes(path_));
  absl::StatusOr<Checkpoint> decoded = DecodeCheckpoint(*bytes, "redis weights 7");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->metadata.weight_version, 7);
  ASSERT_EQ(decoded->tensors.size(), original_.tensors.size());
  EXPECT_EQ(decoded->tensors.back().values, original_.tensors.back().values);
  std::string damaged = *bytes;
  damaged[damaged.size() / 2] ^= 0x10;
  absl::StatusOr<Checkpoint> refused = DecodeCheckpoint(damaged, "redis weights 7");
  EXPECT_TRUE(absl::IsDataLoss(refused.status()));
  EXPECT_NE(std::string(refused.status().message()).find("redis weights 7"),
            std::string::npos);
}

TEST_F(CheckpointTest, LoadedNetworkGivesBitIdenticalOutputs) {
  const Game& game = **FindGame("connect4");
  auto positions = testing::RandomPositions(game, 16, 3);
  std::vector<float> obs(positions.size() * game.GetObservationShape().size());
  for (size_t i = 0; i < positions.size(); ++i) {
    positions[i]->EncodeObservation(obs.data() + i * game.GetObservationShape().size());
  }
  auto run = [&](const Checkpoint& ck) {
    auto net = FastForward::Create(ck);
    EXPECT_TRUE(net.ok());
    std::vector<float> out(positions.size() * (7 + 3));
    (*net)->Forward(obs.data(), positions.size(), out.data(),
                    out.data() + positions.size() * 7);
    return out;
  };
  absl::StatusOr<Checkpoint> loaded = LoadCheckpoint(path_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(run(original_), run(*loaded));
}

TEST_F(CheckpointTest, MissingFileIsNotFound) {
  auto r = LoadCheckpoint(TempPath("does_not_exist"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CheckpointTest, EveryTruncationIsDetected) {
  std::string bytes = ReadFileBytes(path_);
  std::string cut = TempPath("cut");
  for (size_t len : {size_t{0}, size_t{5}, size_t{8}, size_t{20}, bytes.size() / 2,
                     bytes.size() - 5, bytes.size() - 1}) {
    WriteFileBytes(cut, bytes.substr(0, len));
    auto r = LoadCheckpoint(cut);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss)
        << "length " << len << ": " << r.status();
  }
}

TEST_F(CheckpointTest, FlippedBytesAreDetected) {
  std::string bytes = ReadFileBytes(path_);
  std::string bad = TempPath("flip");
  for (size_t pos : {size_t{3}, size_t{12}, size_t{40}, bytes.size() / 3,
                     bytes.size() - 2}) {
    std::string copy = bytes;
    copy[pos] ^= 0x10;
    WriteFileBytes(bad, copy);
    auto r = LoadCheckpoint(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss)
        << "byte " << pos << ": " << r.status();
  }
}

TEST_F(CheckpointTest, NewerFormatVersionIsRefusedByName) {
  std::string bytes = ReadFileBytes(path_);
  bytes[8] = static_cast<char>(kCheckpointFormatVersion + 1);
  Reseal(&bytes);  // written so by a newer az, not damaged
  std::string newer = TempPath("newer");
  WriteFileBytes(newer, bytes);
  auto r = LoadCheckpoint(newer);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("newer"), std::string::npos);
}

// A bit flip in the version field is damage like any other: the checksum
// says so before the version is believed.
TEST_F(CheckpointTest, AFlippedVersionByteIsDamageNotANewerVersion) {
  const std::string bytes = ReadFileBytes(path_);
  std::string bad = TempPath("flipped_version");
  for (char flip : {'\x02', '\x40', '\x80'}) {
    std::string copy = bytes;
    copy[8] ^= flip;
    WriteFileBytes(bad, copy);
    auto r = LoadCheckpoint(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
    EXPECT_EQ(r.status().message().find("newer"), std::string::npos)
        << r.status();
    EXPECT_NE(r.status().message().find("checksum"), std::string::npos)
        << r.status();
  }
}

TEST_F(CheckpointTest, ACraftedTensorWithAValidChecksumLoads) {
  std::string crafted = TempPath("crafted");
  WriteFileBytes(crafted, CraftedCheckpoint(ReadFileBytes(path_), {2, 3}, 24));
  auto r = LoadCheckpoint(crafted);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->tensors.size(), 1u);
  EXPECT_EQ(r->tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r->tensors[0].values.size(), 6u);
}

// Shapes whose element counts overflow 64 bits (or wrap to a small number)
// in a file with a valid checksum: each is one DataLoss line, never an
// exception from resize() or a tensor with fewer values than its shape.
TEST_F(CheckpointTest, ShapesThatOverflowTheElementCountAreCorrupt) {
  const std::string valid = ReadFileBytes(path_);
  const int64_t k2_31 = int64_t{1} << 31, k2_32 = int64_t{1} << 32;
  const std::vector<std::vector<int64_t>> shapes = {
      {k2_32, k2_31},         // 2^63: negative as int64
      {k2_32, k2_32},         // 2^64: wraps to 0
      {k2_32, k2_32, k2_32},  // wraps again
      {k2_31, 4, k2_31},      // over the limit only after the last factor
      {int64_t{1} << 30},     // fits, but the file holds no such bytes
      {k2_32, 0},             // zero elements, absurd shape: fine
  };
  std::string crafted = TempPath("overflow");
  for (const auto& shape : shapes) {
    WriteFileBytes(crafted, CraftedCheckpoint(valid, shape, 0));
    auto r = LoadCheckpoint(crafted);
    if (shape.back() == 0) {
      EXPECT_TRUE(r.ok()) << r.status();
      continue;
    }
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss)
        << shape[0] << "x...: " << r.status();
    EXPECT_TRUE(OneLine(r.status().message())) << r.status();
  }
}

// Not files a checkpoint can be: each refused at once, in a child whose
// address space and time are capped, so that reading /dev/zero to the end
// or waiting on a FIFO shows as a failure instead of taking the machine.
TEST_F(CheckpointTest, DevicesFifosAndDirectoriesAreRefusedWithoutReading) {
  const std::string fifo = TempPath("fifo");
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const std::string dir = ::testing::TempDir();
  for (const std::string& path : {std::string("/dev/zero"), fifo, dir}) {
    az::testing::ChildOutcome outcome = az::testing::RunInBoundedChild(
        [&] {
          auto r = LoadCheckpoint(path);
          std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
          // "not a regular file": refused from what it is, not after
          // reading it (a capped read of /dev/zero fails too, but late).
          const absl::string_view message = r.status().message();
          return !r.ok() && OneLine(message) &&
                         message.find(path) != std::string::npos &&
                         message.find("regular file") != std::string::npos
                     ? 0
                     : 1;
        },
        /*timeout_s=*/10);
    EXPECT_TRUE(outcome.ok()) << path << ": " << outcome.Describe();
  }
  std::remove(fifo.c_str());
}

// A sparse file over the limit: refused from its size, before any read.
TEST_F(CheckpointTest, AFileOverTheSizeLimitIsRefusedUnread) {
  const std::string huge = TempPath("huge");
  WriteFileBytes(huge, "");
  ASSERT_EQ(::truncate(huge.c_str(), kMaxCheckpointBytes + 1), 0);
  az::testing::ChildOutcome outcome = az::testing::RunInBoundedChild(
      [&] {
        auto r = LoadCheckpoint(huge);
        std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
        return !r.ok() && OneLine(r.status().message()) &&
                       r.status().message().find("limit") != std::string::npos
                   ? 0
                   : 1;
      },
      /*timeout_s=*/20);
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
  std::remove(huge.c_str());
}

TEST_F(CheckpointTest, AnotherGamesCheckpointIsRefused) {
  const Game& ttt = **FindGame("tictactoe");
  auto r = LoadCheckpoint(path_);
  ASSERT_TRUE(r.ok());
  absl::Status s = CheckCheckpointMatches(r->metadata,
                                          NetworkConfig::ForGame(ttt), path_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("connect4"), std::string::npos) << s;
  EXPECT_NE(s.message().find("tictactoe"), std::string::npos) << s;
  const Game& c4 = **FindGame("connect4");
  EXPECT_TRUE(CheckCheckpointMatches(r->metadata, NetworkConfig::ForGame(c4), path_).ok());
}

TEST_F(CheckpointTest, UnwritableDirectoryIsAnErrorNotACrash) {
  absl::Status s = SaveCheckpoint(original_, "/nonexistent_dir_az/x/net");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent_dir_az/x/net"), std::string::npos) << s;
}

}  // namespace
}  // namespace az::nn
