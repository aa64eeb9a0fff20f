// `az info`: prints what a checkpoint holds (game, shape, step, version);
// the text and the JSON are made by tools/checkpoint_info.h.
#include <cstdio>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "nn/checkpoint.h"
#include "tools/checkpoint_info.h"
#include "tools/command.h"
#include "tools/common_flags.h"

namespace az {
namespace {

absl::Status Info(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return UsageError("give exactly one checkpoint path (az info PATH)");
  }
  const std::string& path = args[1];
  ASSIGN_OR_RETURN(nn::Checkpoint checkpoint, nn::LoadCheckpoint(path));
  const std::string text = FLAGS_json
                               ? CheckpointInfoJson(path, checkpoint) + "\n"
                               : CheckpointInfoText(path, checkpoint);
  std::fputs(text.c_str(), stdout);
  return absl::OkStatus();
}

int RunInfo(const std::vector<std::string>& args) {
  return ExitCode("info", Info(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND(info, "info", "print a checkpoint's metadata",
                    "az info PATH [--json]", az::RunInfo);
