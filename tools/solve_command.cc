// `az solve`: exact scores of the positions of a position file, with the
// speed of the solver, and optionally a check against the file's own scores.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "games/game.h"
#include "games/position_file.h"
#include "games/registry.h"
#include "games/solver.h"
#include "nlohmann/json.hpp"
#include "tools/command.h"
#include "tools/common_flags.h"

DEFINE_string(positions, "",
              "Position file: one move sequence per line, optionally followed "
              "by its exact score (Pascal Pons' benchmark format for "
              "connect4).");
DEFINE_bool(check, false,
            "Compare every score with the one in the file; exit 1 and name "
            "the first mismatching line on stderr if any differs.");

namespace az {
namespace {

struct SolveResult {
  int score = 0;
  absl::Status status;
};

// Solves every position, `threads` solvers pulling positions from a shared
// counter; returns the results in file order and adds up the nodes searched.
std::vector<SolveResult> SolveAll(const Game& game,
                                  const std::vector<PositionRecord>& records,
                                  int threads, uint64_t* nodes) {
  std::vector<SolveResult> results(records.size());
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> total_nodes{0};
  auto work = [&] {
    std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
    std::unique_ptr<State> state = game.NewInitialState();
    std::unique_ptr<State> initial = game.NewInitialState();
    for (size_t i = next++; i < records.size(); i = next++) {
      state->CopyFrom(*initial);
      for (Action a : records[i].actions) state->Apply(a);
      absl::StatusOr<ExactValue> value = solver->Solve(*state);
      if (value.ok()) {
        results[i].score = value->score;
      } else {
        results[i].status = value.status();
      }
    }
    total_nodes += solver->nodes_searched();
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  *nodes = total_nodes;
  return results;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "az solve: %s\n", message.c_str());
  return 2;
}

int RunSolve(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return Fail(absl::StrCat("unexpected argument \"", args[1],
                             "\" (positions are read from --positions=FILE)"));
  }
  if (FLAGS_positions.empty()) {
    return Fail("--positions=FILE is required (see 'az help solve')");
  }
  if (FLAGS_threads < 0) {
    return Fail(absl::StrCat("--threads must be 0 (one per core) or more, not ",
                             FLAGS_threads));
  }
  absl::StatusOr<const Game*> game = FindGame(FLAGS_game);
  if (!game.ok()) return Fail(std::string(game.status().message()));
  if ((*game)->NewExactSolver() == nullptr) {
    return Fail(
        absl::StrCat("the game ", (*game)->Name(), " has no exact solver"));
  }
  absl::StatusOr<std::vector<PositionRecord>> records =
      ReadPositionFile(**game, FLAGS_positions);
  if (!records.ok()) return Fail(std::string(records.status().message()));

  int threads = FLAGS_threads;
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
  }
  threads = std::max(1, std::min<int>(threads, records->size()));

  uint64_t nodes = 0;
  auto start = std::chrono::steady_clock::now();
  std::vector<SolveResult> results =
      SolveAll(**game, *records, threads, &nodes);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  int mismatches = 0;
  int checked = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const PositionRecord& record = (*records)[i];
    if (!results[i].status.ok()) {
      return Fail(absl::StrCat(FLAGS_positions, ":", record.line, ": ",
                               results[i].status.message()));
    }
    if (!FLAGS_check || !record.score.has_value()) continue;
    ++checked;
    if (*record.score != results[i].score) {
      if (mismatches == 0) {
        std::fprintf(stderr,
                     "az solve: %s:%d: %s: the solver scores %d, the file %d\n",
                     FLAGS_positions.c_str(), record.line, record.moves.c_str(),
                     results[i].score, *record.score);
      }
      ++mismatches;
    }
  }
  if (FLAGS_check && checked < static_cast<int>(results.size())) {
    LOG(WARNING) << results.size() - checked
                 << " positions have no score in the file to check against";
  }

  const double positions_per_s = seconds > 0 ? results.size() / seconds : 0;
  const double nodes_per_s = seconds > 0 ? nodes / seconds : 0;
  if (FLAGS_json) {
    nlohmann::json out = {
        {"game", (*game)->Name()},
        {"positions", results.size()},
        {"seconds", seconds},
        {"positions_per_s", positions_per_s},
        {"mean_us_per_position",
         results.empty() ? 0.0 : seconds * 1e6 / results.size()},
        {"nodes", nodes},
        {"nodes_per_s", nodes_per_s},
        {"threads", threads},
        {"checked", checked},
        {"mismatches", mismatches},
    };
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::string text;
    for (size_t i = 0; i < results.size(); ++i) {
      absl::StrAppend(&text, (*records)[i].moves, " ", results[i].score, "\n");
    }
    // The summary is a comment line, so the output is a position file too.
    absl::StrAppendFormat(
        &text,
        "# %d positions in %.3f s: %.1f positions/s, %d nodes (%.3g "
        "nodes/s), %d threads%s\n",
        results.size(), seconds, positions_per_s, nodes, nodes_per_s, threads,
        FLAGS_check ? absl::StrCat(", ", mismatches, " mismatches of ", checked,
                                   " checked")
                    : "");
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::fflush(stdout);
  return mismatches > 0 ? 1 : 0;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND(
    solve, "solve",
    "exact scores of the positions in a file, with the solver's speed",
    "az solve --game=connect4 --positions=FILE [--check] [--json] "
    "[--threads=N]\n\n"
    "Prints \"MOVES SCORE\" for every position of FILE (one move sequence per "
    "line, optionally followed by a score; '#' starts a comment) and a last "
    "summary line \"# N positions in S s: P positions/s, ...\". Scores are "
    "for the side to move; for connect4 a win with one's k-th stone scores "
    "22 - k, a loss the negative, a draw 0. With --check, exits 1 if any "
    "score differs from the file's. With --json, prints only one JSON object "
    "with the figures. Exits 2 on a bad position file or game.",
    az::RunSolve);
