#include "base/shell.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace az::base {

std::string ShellQuote(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
}

}  // namespace az::base
