// `az init`: writes a freshly initialised network as a checkpoint.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <string>
#include <vector>

#include "base/status_macros.h"
#include "nn/network_builder.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/game_profile.h"

namespace az {
namespace {

absl::Status Init(const std::vector<std::string>& args) {
  RETURN_IF_ERROR(NoPositionalArguments(args));
  if (FLAGS_out.empty()) return UsageError("--out=PATH is required");
  ASSIGN_OR_RETURN(const Game* game, GameOfCommandLine(args));
  if (FLAGS_blocks < 0 || FLAGS_channels < 0) {
    return UsageError("--blocks and --channels must not be negative");
  }
  nn::NetworkConfig config = NetworkOf(*game, FLAGS_blocks, FLAGS_channels);
  absl::StatusOr<nn::Checkpoint> checkpoint =
      nn::NewRandomCheckpoint(config, FLAGS_seed);
  if (!checkpoint.ok()) return AsUsageError(checkpoint.status());
  RETURN_IF_ERROR(nn::SaveCheckpoint(*checkpoint, FLAGS_out));
  LOG(INFO) << "wrote " << config.Describe() << " network to " << FLAGS_out;
  return absl::OkStatus();
}

int RunInit(const std::vector<std::string>& args) {
  return ExitCode("init", Init(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND(init, "init", "write a freshly initialised network checkpoint",
                    "az init --game=G --out=PATH [--blocks=B --channels=C --seed=S]",
                    az::RunInit);
