#include "tools/serve_http.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace az {

bool IsLoopback(const std::string& address) {
  return address == "localhost" || address == "::1" ||
         absl::StartsWith(address, "127.");
}

struct BoardServer::Impl {
  AnalysisBoard* board = nullptr;
  HttpOptions options;
  httplib::Server server;
  int port = 0;
  std::thread thread;
};

namespace {

std::string ErrorBody(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

// Whether the request carries the token (always, where none is needed).
bool Authorized(const httplib::Request& request, const std::string& token) {
  if (token.empty()) return true;
  if (request.get_header_value("Authorization") == "Bearer " + token) {
    return true;
  }
  return request.has_param("token") &&
         request.get_param_value("token") == token;
}

void Answer(AnalysisBoard* board, const std::string& token,
            const httplib::Request& request, httplib::Response& response) {
  if (!Authorized(request, token)) {
    response.status = 401;
    response.set_content(ErrorBody("a valid access token is needed"),
                         "application/json");
    return;
  }
  ApiRequest api;
  api.method = request.method;
  api.path = request.path;
  for (const auto& [key, value] : request.params) api.params[key] = value;
  api.body = request.body;
  ApiReply reply = board->Handle(api);
  response.status = reply.status;
  response.set_header("Cache-Control", "no-store");
  response.set_content(std::move(reply.body), reply.content_type);
}

}  // namespace

BoardServer::BoardServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BoardServer::~BoardServer() {
  Stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<BoardServer>> BoardServer::Start(
    AnalysisBoard* board, const HttpOptions& options) {
  if (!IsLoopback(options.listen) && options.token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen=", options.listen,
        " reaches other machines: give an access token (--token_file)"));
  }
  auto impl = std::make_unique<Impl>();
  impl->board = board;
  impl->options = options;
  httplib::Server& server = impl->server;
  const int threads = options.threads;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  server.set_payload_max_length(board->options().max_body_bytes);
  const std::string token = options.token;
  auto handler = [board, token](const httplib::Request& request,
                                httplib::Response& response) {
    Answer(board, token, request, response);
  };
  server.Get(R"(/.*)", handler);
  server.Post(R"(/.*)", handler);
  // What httplib refuses itself (an oversized body, an unknown method)
  // still gets a one-line reason.
  server.set_error_handler([](const httplib::Request&, httplib::Response& r) {
    if (!r.body.empty()) return;
    r.set_content(
        ErrorBody(r.status == 413 ? "the body is too large"
                                  : absl::StrCat("HTTP error ", r.status)),
        "application/json");
  });
  impl->port =
      options.port == 0
          ? server.bind_to_any_port(options.listen)
          : (server.bind_to_port(options.listen, options.port) ? options.port
                                                               : -1);
  if (impl->port <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", options.listen, ":", options.port));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  return std::unique_ptr<BoardServer>(new BoardServer(std::move(impl)));
}

int BoardServer::port() const { return impl_->port; }

void BoardServer::Stop() { impl_->server.stop(); }

void BoardServer::Wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace az
