// Shards in the layout of format versions 1 and 2, built byte by byte, for
// the tests that check that runs written by an older az still read and
// resume. Those versions framed each record as [u32 length][u32 CRC-32C of
// the payload][payload], without a checksum over the frame header.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/crc32c.h"
#include "selfplay/game_record.h"
#include "selfplay/record_io.h"

namespace az::selfplay::testing {

inline void AppendU32(std::string* out, uint32_t value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

// A shard header of `version` for `game` (the header layout is the same in
// every version).
inline std::string ShardHeaderBytes(uint32_t version, const std::string& game) {
  std::string body;
  AppendU32(&body, version);
  AppendU32(&body, static_cast<uint32_t>(game.size()));
  body += game;
  std::string header("AZREC\r\n\x1a", 8);
  header += body;
  AppendU32(&header, base::Crc32c(body.data(), body.size()));
  return header;
}

// The bytes of a version 1 or 2 shard of `game` holding `records` (versions
// 1 to 3 share the record layout; version 1 lacks the full-search mark, and
// only version 4 has the origin). `offsets`, if given, gets where
// each frame starts.
inline std::string LegacyShardBytes(uint32_t version, const std::string& game,
                                    const std::vector<GameRecord>& records,
                                    std::vector<int64_t>* offsets = nullptr) {
  std::string bytes = ShardHeaderBytes(version, game);
  for (const GameRecord& record : records) {
    if (offsets) offsets->push_back(static_cast<int64_t>(bytes.size()));
    const std::string payload = EncodeGameRecord(record, version);
    AppendU32(&bytes, static_cast<uint32_t>(payload.size()));
    AppendU32(&bytes, base::Crc32c(payload.data(), payload.size()));
    bytes += payload;
  }
  return bytes;
}

// The bytes of a shard of `version` 3 or 4 (frames with a header
// checksum) of `game` holding `records`.
inline std::string FramedShardBytes(uint32_t version, const std::string& game,
                                    const std::vector<GameRecord>& records) {
  std::string bytes = ShardHeaderBytes(version, game);
  for (const GameRecord& record : records) {
    const std::string payload = EncodeGameRecord(record, version);
    const size_t start = bytes.size();
    AppendU32(&bytes, static_cast<uint32_t>(payload.size()));
    AppendU32(&bytes, base::Crc32c(payload.data(), payload.size()));
    const uint32_t crc = base::Crc32c(bytes.data() + start, 8);
    AppendU32(&bytes, ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    bytes += payload;
  }
  return bytes;
}

}  // namespace az::selfplay::testing
