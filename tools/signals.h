// Ctrl-C and SIGTERM for the long-running subcommands (train, selfplay):
// the first one asks the command to stop cleanly, a second one quits at
// once (the default action).
#pragma once

#include <atomic>

namespace az {

// Installs the handlers; the flag turns true at the first signal, and
// `message` (a string literal: it is written from the signal handler) is
// printed to stderr then.
const std::atomic<bool>& StopOnInterrupt(const char* message);

}  // namespace az
