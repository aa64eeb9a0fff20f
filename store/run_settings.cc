#include "store/run_settings.h"

#include <charconv>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nn/checkpoint.h"
#include "selfplay/record_io.h"

namespace az::store {
namespace {

std::string Number(double x) {
  char text[32];
  const std::to_chars_result end =
      std::to_chars(text, text + sizeof(text), x, std::chars_format::general);
  return std::string(text, end.ptr);
}

// Reads the fields of one settings map, each parsed strictly.
class FieldReader {
 public:
  explicit FieldReader(const std::map<std::string, std::string>& fields)
      : fields_(fields) {}

  absl::StatusOr<std::string> Text(const char* name) const {
    auto it = fields_.find(name);
    if (it == fields_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the run's settings lack '", name, "'"));
    }
    return it->second;
  }
  bool Has(const char* name) const { return fields_.count(name) > 0; }
  absl::StatusOr<int64_t> Int(const char* name, int64_t lo, int64_t hi) const {
    ASSIGN_OR_RETURN(std::string text, Text(name));
    int64_t value = 0;
    if (!absl::SimpleAtoi(text, &value) || value < lo || value > hi) {
      return Bad(name, text);
    }
    return value;
  }
  absl::StatusOr<double> Real(const char* name) const {
    ASSIGN_OR_RETURN(std::string text, Text(name));
    double value = 0;
    if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
      return Bad(name, text);
    }
    return value;
  }
  absl::StatusOr<bool> Bool(const char* name) const {
    ASSIGN_OR_RETURN(int64_t value, Int(name, 0, 1));
    return value == 1;
  }

 private:
  static absl::Status Bad(const char* name, const std::string& text) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the run's setting '", name, "' is malformed ('",
        text.substr(0, 40), "')"));
  }
  const std::map<std::string, std::string>& fields_;
};

absl::Status CheckVersion(const FieldReader& r, const char* name,
                          int64_t mine) {
  ASSIGN_OR_RETURN(int64_t theirs, r.Int(name, 0, 1 << 30));
  if (theirs != mine) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the run's ", name, " is ", theirs, ", this az's is ", mine,
        ": run an az of the learner's version"));
  }
  return absl::OkStatus();
}

absl::StatusOr<engine::SearchParams> ReadSearch(const FieldReader& r) {
  engine::SearchParams p;
  ASSIGN_OR_RETURN(p.num_simulations, r.Int("sims", 1, 1 << 24));
  ASSIGN_OR_RETURN(double c_init, r.Real("c_init"));
  ASSIGN_OR_RETURN(double c_base, r.Real("c_base"));
  ASSIGN_OR_RETURN(int64_t fpu_absolute, r.Int("fpu_absolute", 0, 1));
  ASSIGN_OR_RETURN(double fpu_value, r.Real("fpu_value"));
  ASSIGN_OR_RETURN(p.root_noise, r.Bool("root_noise"));
  ASSIGN_OR_RETURN(double alpha, r.Real("dirichlet_alpha"));
  ASSIGN_OR_RETURN(double epsilon, r.Real("dirichlet_epsilon"));
  ASSIGN_OR_RETURN(double temperature, r.Real("temperature"));
  ASSIGN_OR_RETURN(p.temperature_moves, r.Int("temperature_moves", 0, 1 << 20));
  ASSIGN_OR_RETURN(p.reuse_tree, r.Bool("reuse_tree"));
  ASSIGN_OR_RETURN(p.detect_terminal_children,
                   r.Bool("detect_terminal_children"));
  ASSIGN_OR_RETURN(p.stop_when_proven, r.Bool("stop_when_proven"));
  ASSIGN_OR_RETURN(p.max_tree_nodes, r.Int("max_tree_nodes", 1, int64_t{1} << 40));
  ASSIGN_OR_RETURN(p.c_init, engine::SearchParamToFloat("c_init", c_init));
  ASSIGN_OR_RETURN(p.c_base, engine::SearchParamToFloat("c_base", c_base));
  ASSIGN_OR_RETURN(p.fpu_value,
                   engine::SearchParamToFloat("fpu_value", fpu_value));
  ASSIGN_OR_RETURN(p.dirichlet_alpha,
                   engine::SearchParamToFloat("dirichlet_alpha", alpha));
  ASSIGN_OR_RETURN(p.dirichlet_epsilon,
                   engine::SearchParamToFloat("dirichlet_epsilon", epsilon));
  ASSIGN_OR_RETURN(p.temperature,
                   engine::SearchParamToFloat("temperature", temperature));
  p.fpu_mode = fpu_absolute ? engine::FpuMode::kAbsolute
                            : engine::FpuMode::kReduction;
  p.num_threads = 1;
  if (absl::Status valid = p.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the run's search settings: ", valid.message()));
  }
  return p;
}

}  // namespace

std::map<std::string, std::string> SettingsToFields(const RunSettings& s) {
  const engine::SearchParams& p = s.farm.search;
  return {
      {"settings_version", absl::StrCat(kSettingsVersion)},
      {"record_format", absl::StrCat(s.record_format)},
      {"checkpoint_format", absl::StrCat(s.checkpoint_format)},
      {"game", s.game},
      {"reward", s.reward},
      {"sims", absl::StrCat(p.num_simulations)},
      {"c_init", Number(p.c_init)},
      {"c_base", Number(p.c_base)},
      {"fpu_absolute", p.fpu_mode == engine::FpuMode::kAbsolute ? "1" : "0"},
      {"fpu_value", Number(p.fpu_value)},
      {"root_noise", p.root_noise ? "1" : "0"},
      {"dirichlet_alpha", Number(p.dirichlet_alpha)},
      {"dirichlet_epsilon", Number(p.dirichlet_epsilon)},
      {"temperature", Number(p.temperature)},
      {"temperature_moves", absl::StrCat(p.temperature_moves)},
      {"reuse_tree", p.reuse_tree ? "1" : "0"},
      {"detect_terminal_children", p.detect_terminal_children ? "1" : "0"},
      {"stop_when_proven", p.stop_when_proven ? "1" : "0"},
      {"max_tree_nodes", absl::StrCat(p.max_tree_nodes)},
      {"games_per_thread", absl::StrCat(s.farm.games_per_thread)},
      {"random_opening_moves", absl::StrCat(s.farm.random_opening_moves)},
      {"quick_sims", absl::StrCat(s.farm.quick_simulations)},
      {"full_search_share", Number(s.farm.full_search_share)},
      {"selfplay_cache", absl::StrCat(s.farm.cache_entries)},
      {"max_backlog", absl::StrCat(s.max_backlog)},
  };
}

absl::StatusOr<RunSettings> SettingsFromFields(
    const std::map<std::string, std::string>& fields) {
  const FieldReader r(fields);
  RETURN_IF_ERROR(CheckVersion(r, "settings_version", kSettingsVersion));
  RETURN_IF_ERROR(CheckVersion(r, "record_format", selfplay::kRecordFormatVersion));
  RETURN_IF_ERROR(
      CheckVersion(r, "checkpoint_format", nn::kCheckpointFormatVersion));
  RunSettings s;
  s.record_format = selfplay::kRecordFormatVersion;
  s.checkpoint_format = nn::kCheckpointFormatVersion;
  ASSIGN_OR_RETURN(s.game, r.Text("game"));
  ASSIGN_OR_RETURN(s.reward, r.Text("reward"));
  ASSIGN_OR_RETURN(s.farm.search, ReadSearch(r));
  ASSIGN_OR_RETURN(s.farm.games_per_thread, r.Int("games_per_thread", 1, 4096));
  ASSIGN_OR_RETURN(s.farm.random_opening_moves,
                   r.Int("random_opening_moves", 0, 1 << 16));
  ASSIGN_OR_RETURN(s.farm.quick_simulations, r.Int("quick_sims", 0, 1 << 24));
  ASSIGN_OR_RETURN(s.farm.full_search_share, r.Real("full_search_share"));
  if (!(s.farm.full_search_share > 0 && s.farm.full_search_share <= 1)) {
    return absl::InvalidArgumentError(
        "the run's setting 'full_search_share' is not in (0, 1]");
  }
  ASSIGN_OR_RETURN(s.max_backlog, r.Int("max_backlog", 1, int64_t{1} << 40));
  // Newer than the first learners (none: no cache), and bounded so that a
  // hostile entry cannot make an actor allocate gigabytes.
  if (r.Has("selfplay_cache")) {
    ASSIGN_OR_RETURN(s.farm.cache_entries,
                     r.Int("selfplay_cache", 0, kMaxSelfplayCache));
  }
  return s;
}

}  // namespace az::store
