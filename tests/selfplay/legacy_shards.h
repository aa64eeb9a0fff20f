// Shard bytes built by hand, for the tests that give the readers files no
// ShardWriter of this version would write (other versions, damage).
#pragma once

#include <cstdint>
#include <string>

#include "nn/checkpoint.h"

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
  AppendU32(&header, nn::Crc32c(body.data(), body.size()));
  return header;
}

}  // namespace az::selfplay::testing
