#include "nn/torch_plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace az::nn {
namespace {

using ApiFunction = const TorchApi* (*)();

std::string ExecutableDirectory() {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  std::string exe(path, n);
  return exe.substr(0, exe.rfind('/'));
}

absl::StatusOr<const TorchApi*> Load() {
  // Tests and tools that link the plugin directly already have the symbol.
  auto function = reinterpret_cast<ApiFunction>(dlsym(RTLD_DEFAULT, "AzTorchApi"));
  std::string path;
  if (function == nullptr) {
    path = ExecutableDirectory() + "/libaz_torch.so";
    VLOG(1) << "loading LibTorch support from " << path;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this needs LibTorch support, but ", path,
          " could not be loaded: ", dlerror()));
    }
    function = reinterpret_cast<ApiFunction>(dlsym(handle, "AzTorchApi"));
    if (function == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is not az's LibTorch plugin"));
    }
  }
  const TorchApi* api = function();
  if (api->version != kTorchApiVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "LibTorch plugin ", path, " has interface version ", api->version,
        ", this az needs ", kTorchApiVersion, " (rebuild)"));
  }
  return api;
}

}  // namespace

bool TorchBuiltWithCuda() {
#ifdef AZ_TORCH_CUDA
  return true;
#else
  return false;
#endif
}

absl::StatusOr<const TorchApi*> LoadTorchApi() {
  static const absl::StatusOr<const TorchApi*>* api =
      new absl::StatusOr<const TorchApi*>(Load());
  return *api;
}

}  // namespace az::nn
