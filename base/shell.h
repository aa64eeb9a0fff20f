// Quoting for the commands az hands to /bin/sh (gnuplot for reports, the
// metrics script for az serve's charts).
#pragma once

#include <string>

namespace az::base {

// `text` as one word the POSIX shell reads back unchanged, whatever it
// holds: in single quotes, each ' written as '\''.
std::string ShellQuote(const std::string& text);

}  // namespace az::base
