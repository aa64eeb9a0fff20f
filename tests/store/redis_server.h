// A real redis-server for tests: started on 127.0.0.1 at a free port in a
// scratch directory, stopped (and reaped) by the destructor. Tests of runs
// across machines talk to it exactly as az does to a production Redis.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "store/redis_client.h"

namespace az::testing {

// The redis-server binary, or "" when it is not installed.
inline std::string RedisServerBinary() {
  for (const char* path : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int FreeLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

struct RedisServerOptions {
  std::string requirepass;       // the default user's password
  std::vector<std::string> acl;  // extra "user ..." lines
  bool appendonly = false;       // survive a restart with its data
};

class RedisServer {
 public:
  using Options = RedisServerOptions;

  RedisServer() : RedisServer(Options()) {}
  explicit RedisServer(Options options) : options_(std::move(options)) {
    dir_ = ::testing::TempDir() + "redis-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter()++);
    std::string command = "rm -rf '" + dir_ + "' && mkdir -p '" + dir_ + "'";
    if (std::system(command.c_str()) != 0) ADD_FAILURE() << "cannot make " << dir_;
    port_ = FreeLocalPort();
  }
  ~RedisServer() { Stop(); }

  // Starts the server (again, after Stop(), on the same port and directory);
  // false, with a test failure, if it does not answer within 10 s.
  bool Start() {
    WriteConfig();
    pid_ = ::fork();
    if (pid_ == 0) {
      // The server dies with the test, even one that crashes.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const std::string binary = RedisServerBinary();
      const std::string config = dir_ + "/redis.conf";
      ::execl(binary.c_str(), binary.c_str(), config.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (Answers()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "redis-server did not start on port " << port_
                  << "; its log:\n" << Log();
    return false;
  }

  // Stops the server (SIGTERM; SIGKILL with `kill`) and waits for it.
  void Stop(bool kill = false) {
    if (pid_ <= 0) return;
    ::kill(pid_, kill ? SIGKILL : SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(port_);
  }
  store::RedisAddress address() const {
    store::RedisAddress a;
    a.host = "127.0.0.1";
    a.port = port_;
    return a;
  }
  const std::string& dir() const { return dir_; }
  std::string Log() const {
    std::ifstream in(dir_ + "/redis.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }

  void WriteConfig() {
    std::ofstream out(dir_ + "/redis.conf");
    out << "bind 127.0.0.1\nport " << port_ << "\ndir " << dir_
        << "\nsave \"\"\nappendonly " << (options_.appendonly ? "yes" : "no")
        << "\nappendfsync always\nlogfile " << dir_ << "/redis.log\n"
        << "daemonize no\nprotected-mode yes\n";
    if (!options_.requirepass.empty()) {
      out << "requirepass " << options_.requirepass << "\n";
    }
    for (const std::string& line : options_.acl) out << line << "\n";
  }

  // Whether the server answers a connection (any reply, even NOAUTH).
  bool Answers() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address),
                        sizeof(address)) == 0;
    if (ok) {
      const char ping[] = "PING\r\n";
      char reply[16] = {};
      ok = ::write(fd, ping, sizeof(ping) - 1) == sizeof(ping) - 1 &&
           ::read(fd, reply, sizeof(reply) - 1) > 0;
      // +PONG, or -NOAUTH from a server with a password; -LOADING (an
      // append-only file being read back) is not ready yet.
      const std::string text(reply);
      ok = ok && (text.rfind("+PONG", 0) == 0 || text.rfind("-NOAUTH", 0) == 0);
    }
    ::close(fd);
    return ok;
  }

  Options options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Fails the test at once when redis-server is not installed: the tests of
// runs across machines must not pass by not running (tools/setup.sh
// installs it).
#define AZ_REQUIRE_REDIS_SERVER()                                          \
  do {                                                                     \
    if (::az::testing::RedisServerBinary().empty()) {                      \
      GTEST_FAIL() << "redis-server is not installed (run tools/setup.sh)"; \
    }                                                                      \
  } while (false)

}  // namespace az::testing
