#include "tools/signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

namespace az {
namespace {

std::atomic<bool> g_stop{false};
const char* g_message = "";
size_t g_message_length = 0;

void OnSignal(int) {
  g_stop = true;
  // write() is async-signal-safe; its result cannot be acted on here.
  if (::write(STDERR_FILENO, g_message, g_message_length) < 0) return;
}

}  // namespace

const std::atomic<bool>& StopOnInterrupt(const char* message) {
  g_message = message;
  g_message_length = std::strlen(message);
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  // A second signal gets the default action: quit at once.
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return g_stop;
}

}  // namespace az
