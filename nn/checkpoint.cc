#include "nn/checkpoint.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/crc32c.h"
#include "base/file.h"
#include "nlohmann/json.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "checkpoints are stored little-endian");

namespace az::nn {
namespace {

constexpr char kMagic[8] = {'A', 'Z', 'C', 'K', 'P', 'T', '\r', '\n'};
constexpr size_t kMaxMetadataBytes = 1 << 20;
constexpr uint32_t kMaxTensors = 1 << 16;
constexpr uint32_t kMaxDims = 8;

template <typename T>
void Put(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reads fields from a byte buffer, remembering the first failure.
class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T* value) {
    if (data_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool GetBytes(size_t n, absl::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

nlohmann::json ConfigToJson(const NetworkConfig& c) {
  return {{"game", c.game},
          {"input_planes", c.input_planes},
          {"board_height", c.board_height},
          {"board_width", c.board_width},
          {"num_actions", c.num_actions},
          {"blocks", c.blocks},
          {"channels", c.channels},
          {"policy_channels", c.policy_channels},
          {"value_channels", c.value_channels},
          {"value_hidden", c.value_hidden}};
}

NetworkConfig ConfigFromJson(const nlohmann::json& j) {
  NetworkConfig c;
  c.game = j.at("game").get<std::string>();
  c.input_planes = j.at("input_planes").get<int>();
  c.board_height = j.at("board_height").get<int>();
  c.board_width = j.at("board_width").get<int>();
  c.num_actions = j.at("num_actions").get<int>();
  c.blocks = j.at("blocks").get<int>();
  c.channels = j.at("channels").get<int>();
  c.policy_channels = j.at("policy_channels").get<int>();
  c.value_channels = j.at("value_channels").get<int>();
  c.value_hidden = j.at("value_hidden").get<int>();
  return c;
}

}  // namespace

absl::StatusOr<std::string> EncodeCheckpoint(const Checkpoint& checkpoint) {
  const CheckpointMetadata& m = checkpoint.metadata;
  nlohmann::json meta = {{"network", ConfigToJson(m.config)},
                         {"training_step", m.training_step},
                         {"weight_version", m.weight_version}};
  std::string json = meta.dump();
  std::string out(kMagic, sizeof(kMagic));
  Put<uint32_t>(&out, kCheckpointFormatVersion);
  Put<uint32_t>(&out, static_cast<uint32_t>(json.size()));
  out += json;
  Put<uint32_t>(&out, static_cast<uint32_t>(checkpoint.tensors.size()));
  for (const NamedTensor& t : checkpoint.tensors) {
    int64_t count = 1;
    bool overflow = false;
    for (int64_t d : t.shape) {
      overflow |= d < 0 || __builtin_mul_overflow(count, d, &count);
    }
    if (overflow || count != static_cast<int64_t>(t.values.size())) {
      return absl::InternalError(absl::StrCat(
          "tensor ", t.name, " has ", t.values.size(),
          " values but its shape holds ", count));
    }
    Put<uint32_t>(&out, static_cast<uint32_t>(t.name.size()));
    out += t.name;
    Put<uint32_t>(&out, static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) Put<int64_t>(&out, d);
    out.append(reinterpret_cast<const char*>(t.values.data()),
               t.values.size() * sizeof(float));
  }
  Put<uint32_t>(&out, base::Crc32c(out.data(), out.size()));
  // Never make what DecodeCheckpoint would refuse to read.
  if (out.size() > static_cast<uint64_t>(kMaxCheckpointBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(out.size(), " bytes, over the limit of ",
                     kMaxCheckpointBytes, " that az loads"));
  }
  return out;
}

absl::Status SaveCheckpoint(const Checkpoint& checkpoint,
                            const std::string& path) {
  absl::StatusOr<std::string> bytes = EncodeCheckpoint(checkpoint);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        absl::StrCat("cannot save checkpoint ", path, ": ",
                                     bytes.status().message()));
  }
  return base::WriteFileAtomically(path, *bytes);
}

namespace {

// The metadata's JSON, checked.
absl::Status ReadMetadata(absl::string_view json, CheckpointMetadata* m) {
  try {
    nlohmann::json meta = nlohmann::json::parse(json.begin(), json.end());
    m->config = ConfigFromJson(meta.at("network"));
    m->training_step = meta.at("training_step").get<int64_t>();
    m->weight_version = meta.at("weight_version").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad metadata: ", e.what()));
  }
  return m->config.Validate();
}

// Tensor `i` from `r`; the error says why it is not one (as "corrupt: X").
absl::StatusOr<NamedTensor> ReadTensor(Reader& r, uint32_t i) {
  auto bad = [](absl::string_view why) {
    return absl::InvalidArgumentError(why);
  };
  NamedTensor t;
  uint32_t name_size = 0, dims = 0;
  absl::string_view name;
  if (!r.Get(&name_size) || name_size > 4096 || !r.GetBytes(name_size, &name) ||
      !r.Get(&dims) || dims > kMaxDims) {
    return bad(absl::StrCat("bad header of tensor ", i));
  }
  t.name = std::string(name);
  // The name comes from the file: escaped, it cannot break the message.
  const std::string printable_name = absl::CHexEscape(t.name);
  // A checksum only proves the bytes are the ones written; a buggy or
  // hostile writer can still claim any shape. So the element count is
  // multiplied without overflow and must fit in the bytes that are left
  // before anything is allocated for it.
  uint64_t count = 1;
  for (uint32_t d = 0; d < dims; ++d) {
    int64_t size = 0;
    if (!r.Get(&size) || size < 0) {
      return bad(absl::StrCat("bad shape of tensor ", printable_name));
    }
    t.shape.push_back(size);
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(size), &count)) {
      return bad(absl::StrCat("the shape of tensor ", printable_name,
                              " overflows its element count"));
    }
  }
  uint64_t byte_count = 0;
  absl::string_view bytes;
  if (__builtin_mul_overflow(count, sizeof(float), &byte_count) ||
      byte_count > r.remaining() ||
      !r.GetBytes(static_cast<size_t>(byte_count), &bytes)) {
    return bad(absl::StrCat("tensor ", printable_name, " holds ", count,
                            " values, more than the file has left"));
  }
  t.values.resize(static_cast<size_t>(count));
  if (count > 0) std::memcpy(t.values.data(), bytes.data(), bytes.size());
  return t;
}

}  // namespace

absl::StatusOr<Checkpoint> DecodeCheckpoint(absl::string_view data,
                                            absl::string_view source) {
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("checkpoint ", source, " is corrupt: ", why));
  };
  if (data.size() < sizeof(kMagic) ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError(
        absl::StrCat(source, " is not an az checkpoint (bad magic bytes)"));
  }
  // The checksum first: until it holds, no field is believed, the version
  // included (a flipped bit there is damage, not a newer az). Every format
  // version keeps this frame: magic, fields, CRC-32C of all before it.
  if (data.size() < sizeof(kMagic) + 8 + 4) return corrupt("truncated");
  uint32_t stored_crc;
  std::memcpy(&stored_crc, data.data() + data.size() - 4, 4);
  if (base::Crc32c(data.data(), data.size() - 4) != stored_crc) {
    return corrupt("checksum mismatch (truncated or damaged file)");
  }
  Reader r(data.substr(sizeof(kMagic)));
  uint32_t version = 0;
  if (!r.Get(&version)) return corrupt("truncated header");
  if (version > kCheckpointFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint ", source, " has format version ", version,
        ", newer than this az reads (", kCheckpointFormatVersion,
        "); update az"));
  }
  if (version == 0) return corrupt("format version 0");
  uint32_t json_size = 0;
  absl::string_view json;
  if (!r.Get(&json_size) || json_size > kMaxMetadataBytes ||
      !r.GetBytes(json_size, &json)) {
    return corrupt("bad metadata length");
  }
  Checkpoint checkpoint;
  checkpoint.metadata.format_version = version;
  if (absl::Status s = ReadMetadata(json, &checkpoint.metadata); !s.ok()) {
    return corrupt(s.message());
  }
  uint32_t num_tensors = 0;
  if (!r.Get(&num_tensors) || num_tensors > kMaxTensors) {
    return corrupt("bad tensor count");
  }
  for (uint32_t i = 0; i < num_tensors; ++i) {
    absl::StatusOr<NamedTensor> t = ReadTensor(r, i);
    if (!t.ok()) return corrupt(t.status().message());
    checkpoint.tensors.push_back(*std::move(t));
  }
  if (r.remaining() != 4) return corrupt("unexpected bytes after the tensors");
  return checkpoint;
}

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  absl::StatusOr<std::string> read =
      base::ReadFileBounded(path, kMaxCheckpointBytes);
  if (!read.ok()) {
    return absl::Status(read.status().code(),
                        absl::StrCat("checkpoint: ", read.status().message()));
  }
  return DecodeCheckpoint(*read, path);
}

absl::Status CheckCheckpointMatches(const CheckpointMetadata& metadata,
                                    const NetworkConfig& expected,
                                    const std::string& path) {
  const NetworkConfig& got = metadata.config;
  if (got.game != expected.game) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint ", path, " is a ", got.game,
                     " network, not ", expected.game));
  }
  if (got.input_planes != expected.input_planes ||
      got.board_height != expected.board_height ||
      got.board_width != expected.board_width ||
      got.num_actions != expected.num_actions) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint ", path, " has input/output shape ", got.Describe(),
        " but this build's ", expected.game, " needs ", expected.Describe()));
  }
  return absl::OkStatus();
}

}  // namespace az::nn
