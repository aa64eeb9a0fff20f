// az serve apart from its flags and its sockets: the analysis board's JSON
// API as a function from a request to a reply, so that tests call it
// in-process and tools/serve_http.h only carries bytes. Positions travel as
// the moves from the start in the game's notation and are replayed by the
// rules on every request: nothing about a position is taken from the
// client. Players come from the offered specs alone (--players and a run's
// checkpoints), so no request names a file to load.
//
//   GET  /api/info                      game, board shape, players, sources
//   GET  /api/position?moves=M          board, side to move, legal moves
//   POST /api/play    {moves, move}     the position after one more move
//   POST /api/reply   {moves, player}   the player's move and the position
//   POST /api/analyze {moves, sims}     search figures, v as W/D/L, exact
//   GET  /api/exact?moves=M             the exact labels, or "solving"
//   GET  /api/browse[?source=S&offset=O&limit=L]   position files, gap worst
//   GET  /api/run                       progress and checkpoints of --run
//   GET  /api/run/metrics.svg           tools/plot_metrics.sh's charts, SVG
//   GET  /, /app.js, /style.css         the page
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/evaluator.h"
#include "engine/search_params.h"
#include "games/game.h"
#include "selfplay/player.h"
#include "selfplay/spec.h"
#include "tools/serve_exact.h"

namespace az {

struct ServeOptions {
  const Game* game = nullptr;
  // The opponents offered, as player specs (selfplay/spec.h).
  std::vector<std::string> players;
  // How players are made (search at full strength, inference server).
  selfplay::PlayerOptions player_options;
  // What the analysis searches with: an evaluator spec (net:PATH,
  // rollout, uniform, solver).
  std::string analysis_evaluator = "rollout";
  selfplay::EvaluatorOptions evaluator_options;
  // The analysis search; a request sets num_simulations.
  engine::SearchParams analysis_search;
  int default_sims = 800;
  int max_sims = 100000;
  // Position files (az gap --sets) and an az gap report directory to
  // browse; a training run to watch and take checkpoints from.
  std::vector<std::string> sets;
  std::string gap_dir;
  std::string run_dir;
  // Request bodies larger than this are refused (413).
  int64_t max_body_bytes = 64 << 10;
};

struct ApiRequest {
  std::string method;                         // "GET", "POST"
  std::string path;                           // "/api/position"
  std::map<std::string, std::string> params;  // the query string
  std::string body;
};

struct ApiReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class AnalysisBoard {
 public:
  // Checks every offered spec (a usage error naming it) and makes the
  // analysis evaluator; loads the position files and the gap report.
  static absl::StatusOr<std::unique_ptr<AnalysisBoard>> Create(
      ServeOptions options);

  // Answers one request. Never throws; a bad request gets a 4xx whose body
  // is {"error": "one line"}.
  ApiReply Handle(const ApiRequest& request);

  const ServeOptions& options() const { return options_; }
  ExactLabeller& exact() { return *exact_; }

 private:
  explicit AnalysisBoard(ServeOptions options);
  absl::StatusOr<nlohmann::json> Route(const ApiRequest& request,
                                       ApiReply* raw);
  absl::StatusOr<nlohmann::json> Info();
  absl::StatusOr<nlohmann::json> PositionOf(const std::string& moves);
  absl::StatusOr<nlohmann::json> Play(const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> Reply(const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> Analyze(const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> Browse(const ApiRequest& request);
  absl::StatusOr<nlohmann::json> Run();
  absl::StatusOr<std::string> RunChart();
  // The offered specs: --players, then the run's checkpoints.
  std::vector<std::string> OfferedPlayers() const;
  absl::StatusOr<std::shared_ptr<selfplay::PlayerFactory>> FactoryOf(
      const std::string& spec);

  ServeOptions options_;
  std::unique_ptr<engine::Evaluator> evaluator_;
  std::unique_ptr<ExactLabeller> exact_;
  // Browse sources: id -> positions as move strings with what is known.
  struct Source {
    std::string id;
    std::string name;
    std::vector<nlohmann::json> positions;
  };
  std::vector<Source> sources_;
  std::mutex mutex_;  // guards factories_
  std::map<std::string, std::shared_ptr<selfplay::PlayerFactory>> factories_;
};

// The page's files, embedded in the binary: "/" gives index.html.
// nullptr for a path that is not one of them.
struct PageFile {
  const char* content_type;
  const char* body;
};
const PageFile* FindPageFile(const std::string& path);
// tools/plot_metrics.sh, embedded, so the binary draws charts with the very
// script a person runs.
const char* PlotMetricsScript();

}  // namespace az
