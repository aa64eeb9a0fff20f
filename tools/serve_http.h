// The sockets of az serve: an HTTP server (cpp-httplib) that hands every
// request to an AnalysisBoard and writes back its reply. Bound to 127.0.0.1
// unless told otherwise; on any other address every request must carry the
// access token (an "Authorization: Bearer TOKEN" header, or ?token=TOKEN on
// the page's address, which the page then sends with each call).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/serve.h"

namespace az {

struct HttpOptions {
  std::string listen = "127.0.0.1";
  int port = 8080;  // 0: any free port
  // Required unless `listen` is a loopback address.
  std::string token;
  // Threads answering requests.
  int threads = 8;
};

// Whether `address` only reaches this machine (127.0.0.0/8, ::1,
// localhost).
bool IsLoopback(const std::string& address);

class BoardServer {
 public:
  // Binds and starts answering on a thread of its own. FailedPrecondition
  // when the address cannot be bound; InvalidArgument for a non-loopback
  // address without a token.
  static absl::StatusOr<std::unique_ptr<BoardServer>> Start(
      AnalysisBoard* board, const HttpOptions& options);
  ~BoardServer();  // stops
  BoardServer(const BoardServer&) = delete;
  BoardServer& operator=(const BoardServer&) = delete;

  int port() const;
  // Stops answering (from any thread, a signal handler's watcher too).
  void Stop();
  // Blocks until Stop().
  void Wait();

 private:
  struct Impl;
  explicit BoardServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace az
