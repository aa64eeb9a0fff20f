// `az init`: writes a freshly initialised network as a checkpoint.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstdio>

#include "games/registry.h"
#include "nn/network_builder.h"
#include "tools/command.h"
#include "tools/game_profile.h"
#include "tools/common_flags.h"


namespace az {
namespace {

int RunInit(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    std::fprintf(stderr, "az init: unexpected argument '%s'\n", args[1].c_str());
    return 2;
  }
  if (FLAGS_out.empty()) {
    std::fprintf(stderr, "az init: --out=PATH is required\n");
    return 2;
  }
  absl::StatusOr<const Game*> game = FindGame(FLAGS_game);
  if (!game.ok()) {
    std::fprintf(stderr, "az init: %s\n", std::string(game.status().message()).c_str());
    return 2;
  }
  if (FLAGS_blocks < 0 || FLAGS_channels < 0) {
    std::fprintf(stderr, "az init: --blocks and --channels must not be negative\n");
    return 2;
  }
  nn::NetworkConfig config =
      NetworkOf(**game, FLAGS_blocks, FLAGS_channels);
  absl::StatusOr<nn::Checkpoint> checkpoint =
      nn::NewRandomCheckpoint(config, FLAGS_seed);
  if (!checkpoint.ok()) {
    std::fprintf(stderr, "az init: %s\n",
                 std::string(checkpoint.status().message()).c_str());
    return 2;
  }
  if (absl::Status s = nn::SaveCheckpoint(*checkpoint, FLAGS_out); !s.ok()) {
    std::fprintf(stderr, "az init: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  LOG(INFO) << "wrote " << config.Describe() << " network to " << FLAGS_out;
  return 0;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND(init, "init", "write a freshly initialised network checkpoint",
                    "az init --game=G --out=PATH [--blocks=B --channels=C --seed=S]",
                    az::RunInit);
