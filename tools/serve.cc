#include "tools/serve.h"

#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "analysis/position_set.h"
#include "base/file.h"
#include "base/shell.h"
#include "base/status_macros.h"
#include "selfplay/run_dir.h"
#include "tools/analyze.h"

namespace az {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 413;
    default:
      return 500;
  }
}

// One line: the message with its line breaks folded.
std::string OneLine(absl::string_view message) {
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

absl::StatusOr<Json> ParseBody(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  return j;
}

absl::StatusOr<std::string> StringField(const Json& body, const char* key,
                                        bool required) {
  auto it = body.find(key);
  if (it == body.end()) {
    if (required) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", key, "\" is missing"));
    }
    return std::string();
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key, "\" must be a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<int64_t> IntField(const Json& body, const char* key,
                                 int64_t fallback, int64_t lo, int64_t hi) {
  auto it = body.find(key);
  if (it == body.end()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < lo ||
      it->get<int64_t>() > hi) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", key, "\" must be a whole number from ", lo, " to ", hi));
  }
  return it->get<int64_t>();
}

// The position after `moves`, replayed by the rules.
absl::StatusOr<std::unique_ptr<State>> StateOf(const Game& game,
                                               const std::string& moves) {
  absl::StatusOr<std::unique_ptr<State>> state = game.NewStateFromMoves(moves);
  if (!state.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("moves \"", moves, "\": ", state.status().message()));
  }
  return state;
}

std::string SideName(az::Player p) {
  return p == az::Player::kFirst ? "first" : "second";
}

// The action a click on each cell plays (-1: none): the cell itself where
// every cell is an action (tic-tac-toe, Othello), its column where the
// actions are columns (Connect Four).
std::vector<int> CellActions(const Game& game, const State& state) {
  const ObservationShape shape = game.GetObservationShape();
  const int cells = shape.height * shape.width;
  std::vector<int> actions(cells, -1);
  for (int i = 0; i < cells; ++i) {
    const Action a = game.NumActions() >= cells ? i : i % shape.width;
    if (a < game.NumActions() && state.IsLegal(a)) actions[i] = a;
  }
  return actions;
}

// Each cell: 0 empty, 1 the first player's, 2 the second's (from the
// observation planes, which hold the side to move's stones first).
std::vector<int> Cells(const Game& game, const State& state) {
  const ObservationShape shape = game.GetObservationShape();
  std::vector<float> planes(shape.size());
  state.EncodeObservation(planes.data());
  const int cells = shape.height * shape.width;
  const bool first = state.ToMove() == az::Player::kFirst;
  std::vector<int> out(cells, 0);
  for (int i = 0; i < cells; ++i) {
    if (planes[i] > 0.5f) out[i] = first ? 1 : 2;
    if (planes[cells + i] > 0.5f) out[i] = first ? 2 : 1;
  }
  return out;
}

Json StateJson(const Game& game, const State& state,
               const std::vector<Action>& moves) {
  Json legal = Json::array();
  if (!state.IsTerminal()) {
    for (Action a : state.LegalActions()) {
      legal.push_back({{"move", game.ActionToString(a)}, {"action", a}});
    }
  }
  Json j = {{"moves", game.FormatMoves(moves)},
            {"move_list", Json::array()},
            {"ply", state.MoveNumber()},
            {"to_move", SideName(state.ToMove())},
            {"cells", Cells(game, state)},
            {"cell_actions", CellActions(game, state)},
            {"legal", legal},
            {"terminal", state.IsTerminal()},
            {"board_text", state.ToString()}};
  for (Action a : moves) j["move_list"].push_back(game.ActionToString(a));
  if (state.IsTerminal()) {
    j["outcome"] = OutcomeName(state.Outcome());
    j["verdict"] = VerdictName(state.Verdict());
    j["reward_first"] = state.Reward(az::Player::kFirst).value();
  }
  return j;
}

}  // namespace

AnalysisBoard::AnalysisBoard(ServeOptions options)
    : options_(std::move(options)) {}

ApiReply AnalysisBoard::Handle(const ApiRequest& request) {
  ApiReply reply;
  if (static_cast<int64_t>(request.body.size()) > options_.max_body_bytes) {
    reply.status = 413;
    reply.body =
        Json{{"error", absl::StrCat("the body is over ",
                                    options_.max_body_bytes, " bytes")}}
            .dump();
    return reply;
  }
  absl::StatusOr<Json> answer = Route(request, &reply);
  if (!answer.ok()) {
    reply.status = HttpStatusOf(answer.status());
    reply.content_type = "application/json";
    reply.body = Json{{"error", OneLine(answer.status().message())}}.dump();
    if (reply.status >= 500)
      LOG(WARNING) << request.path << ": " << answer.status();
    return reply;
  }
  if (reply.body.empty()) reply.body = answer->dump();
  return reply;
}

absl::StatusOr<Json> AnalysisBoard::Route(const ApiRequest& request,
                                          ApiReply* raw) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  auto param = [&](const char* key) {
    auto it = request.params.find(key);
    return it == request.params.end() ? std::string() : it->second;
  };
  if (!absl::StartsWith(path, "/api/")) {
    const PageFile* file = get ? FindPageFile(path) : nullptr;
    if (file == nullptr) {
      return absl::NotFoundError(absl::StrCat(path, " is not served here"));
    }
    raw->content_type = file->content_type;
    raw->body = file->body;
    return Json();
  }
  if (get && path == "/api/info") return Info();
  if (get && path == "/api/position") return PositionOf(param("moves"));
  if (get && path == "/api/exact") {
    ASSIGN_OR_RETURN(std::unique_ptr<State> state,
                     StateOf(*options_.game, param("moves")));
    if (state->IsTerminal()) {
      return absl::InvalidArgumentError("the game is over there");
    }
    return ExactLabeller::ToJson(*options_.game, exact_->Get(param("moves")));
  }
  if (get && path == "/api/browse") return Browse(request);
  if (get && path == "/api/run") return Run();
  if (get && path == "/api/run/metrics.svg") {
    ASSIGN_OR_RETURN(raw->body, RunChart());
    raw->content_type = "image/svg+xml";
    return Json();
  }
  if (post &&
      (path == "/api/play" || path == "/api/reply" || path == "/api/analyze")) {
    ASSIGN_OR_RETURN(const Json body, ParseBody(request.body));
    if (path == "/api/play") return Play(body);
    if (path == "/api/reply") return Reply(body);
    return Analyze(body);
  }
  return absl::NotFoundError(
      absl::StrCat("no endpoint ", request.method, " ", path));
}

namespace {

// The browse entries of an az gap report: each set's worst positions, worst
// first, as report.json lists them.
absl::Status AddGapSources(const std::string& dir,
                           std::vector<nlohmann::json>* names,
                           std::vector<std::vector<Json>>* lists) {
  ASSIGN_OR_RETURN(const std::string text,
                   base::ReadFileBounded(dir + "/report.json", 256 << 20));
  Json report = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded() || !report.contains("sets") ||
      !report["sets"].is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, "/report.json is no az gap report"));
  }
  for (const Json& set : report["sets"]) {
    std::vector<Json> positions;
    for (const Json& p : set.value("worst", Json::array())) {
      if (!p.contains("moves") || !p["moves"].is_string()) continue;
      positions.push_back(p);
    }
    names->push_back(absl::StrCat("gap: ", set.value("name", "?"), " (",
                                  set.value("player", "?"), ")"));
    lists->push_back(std::move(positions));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AnalysisBoard>> AnalysisBoard::Create(
    ServeOptions options) {
  if (options.game == nullptr) {
    return absl::InvalidArgumentError("no game to serve");
  }
  const Game& game = *options.game;
  std::unique_ptr<AnalysisBoard> board(new AnalysisBoard(std::move(options)));
  for (const std::string& spec : board->options_.players) {
    ASSIGN_OR_RETURN(selfplay::Spec parsed,
                     selfplay::ParseSpec(spec, selfplay::SpecRole::kPlayer));
    if (parsed.kind == selfplay::SpecKind::kHuman) {
      return absl::InvalidArgumentError(
          "--players: human is the person at the page, not an opponent");
    }
    RETURN_IF_ERROR(board->FactoryOf(spec).status());
  }
  ASSIGN_OR_RETURN(const selfplay::Spec analyst,
                   selfplay::ParseSpec(board->options_.analysis_evaluator,
                                       selfplay::SpecRole::kEvaluator));
  ASSIGN_OR_RETURN(board->evaluator_,
                   selfplay::MakeEvaluator(game, analyst,
                                           board->options_.evaluator_options));
  board->exact_ = std::make_unique<ExactLabeller>(game);
  for (const std::string& path : board->options_.sets) {
    ASSIGN_OR_RETURN(analysis::PositionSet set,
                     analysis::LoadPositionFileSet(game, path));
    Source source{absl::StrCat("set", board->sources_.size()), set.name, {}};
    for (const analysis::SetPosition& p : set.positions) {
      Json j = {{"moves", game.FormatMoves(p.actions)},
                {"ply", p.actions.size()}};
      if (p.file_score.has_value()) j["score"] = *p.file_score;
      source.positions.push_back(std::move(j));
    }
    board->sources_.push_back(std::move(source));
  }
  if (!board->options_.gap_dir.empty()) {
    std::vector<Json> names;
    std::vector<std::vector<Json>> lists;
    RETURN_IF_ERROR(AddGapSources(board->options_.gap_dir, &names, &lists));
    for (size_t i = 0; i < names.size(); ++i) {
      board->sources_.push_back(
          {absl::StrCat("gap", i), names[i].get<std::string>(), lists[i]});
    }
  }
  return board;
}

std::vector<std::string> AnalysisBoard::OfferedPlayers() const {
  std::vector<std::string> specs = options_.players;
  if (options_.run_dir.empty()) return specs;
  absl::StatusOr<std::vector<selfplay::RunCheckpoint>> checkpoints =
      selfplay::ListCheckpoints(options_.run_dir);
  if (!checkpoints.ok()) return specs;
  for (auto it = checkpoints->rbegin(); it != checkpoints->rend(); ++it) {
    specs.push_back("net:" + it->path);
  }
  return specs;
}

absl::StatusOr<std::shared_ptr<selfplay::PlayerFactory>>
AnalysisBoard::FactoryOf(const std::string& spec) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = factories_.find(spec); it != factories_.end()) {
    return it->second;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<selfplay::PlayerFactory> made,
                   selfplay::PlayerFactory::Create(*options_.game, spec,
                                                   options_.player_options));
  std::shared_ptr<selfplay::PlayerFactory> shared = std::move(made);
  factories_[spec] = shared;
  return shared;
}

absl::StatusOr<Json> AnalysisBoard::Info() {
  const Game& game = *options_.game;
  const ObservationShape shape = game.GetObservationShape();
  Json sources = Json::array();
  for (const Source& s : sources_) {
    sources.push_back(
        {{"id", s.id}, {"name", s.name}, {"positions", s.positions.size()}});
  }
  return Json{
      {"game", game.Name()},
      {"rows", shape.height},
      {"columns", shape.width},
      {"columns_are_moves", game.NumActions() < shape.height * shape.width},
      {"players", OfferedPlayers()},
      {"evaluator", evaluator_->Name()},
      {"default_sims", options_.default_sims},
      {"max_sims", options_.max_sims},
      {"has_solver", exact_->has_solver()},
      {"sources", sources},
      {"run", options_.run_dir}};
}

absl::StatusOr<Json> AnalysisBoard::PositionOf(const std::string& moves) {
  const Game& game = *options_.game;
  ASSIGN_OR_RETURN(std::unique_ptr<State> state, StateOf(game, moves));
  ASSIGN_OR_RETURN(std::vector<Action> actions, game.ParseMoves(moves));
  return StateJson(game, *state, actions);
}

absl::StatusOr<Json> AnalysisBoard::Play(const Json& body) {
  const Game& game = *options_.game;
  ASSIGN_OR_RETURN(const std::string moves, StringField(body, "moves", false));
  ASSIGN_OR_RETURN(const std::string move, StringField(body, "move", true));
  ASSIGN_OR_RETURN(std::unique_ptr<State> state, StateOf(game, moves));
  if (state->IsTerminal()) {
    return absl::InvalidArgumentError("the game is over: no more moves");
  }
  absl::StatusOr<Action> action = game.ParseAction(move);
  if (!action.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("move \"", move, "\": ", action.status().message()));
  }
  if (!state->IsLegal(*action)) {
    const std::string why = state->IllegalMoveReason(*action);
    return absl::InvalidArgumentError(absl::StrCat(
        "move \"", move, "\" is illegal here", why.empty() ? "" : ": ", why));
  }
  ASSIGN_OR_RETURN(std::vector<Action> actions, game.ParseMoves(moves));
  state->Apply(*action);
  actions.push_back(*action);
  return StateJson(game, *state, actions);
}

absl::StatusOr<Json> AnalysisBoard::Reply(const Json& body) {
  const Game& game = *options_.game;
  ASSIGN_OR_RETURN(const std::string moves, StringField(body, "moves", false));
  ASSIGN_OR_RETURN(const std::string spec, StringField(body, "player", true));
  ASSIGN_OR_RETURN(const int64_t seed,
                   IntField(body, "seed", 1, 0, int64_t{1} << 53));
  const std::vector<std::string> offered = OfferedPlayers();
  if (std::find(offered.begin(), offered.end(), spec) == offered.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown player \"", spec,
                     "\" (offered: ", absl::StrJoin(offered, ", "), ")"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<State> state, StateOf(game, moves));
  if (state->IsTerminal()) {
    return absl::InvalidArgumentError("the game is over: no more moves");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<selfplay::PlayerFactory> factory,
                   FactoryOf(spec));
  std::unique_ptr<selfplay::Player> player = factory->NewPlayer();
  player->Reset(static_cast<uint64_t>(seed) + state->MoveNumber());
  selfplay::MoveInfo info;
  absl::StatusOr<Action> action = player->ChooseMove(*state, &info);
  if (!action.ok()) {
    return absl::InternalError(
        absl::StrCat(spec, " could not move: ", action.status().message()));
  }
  ASSIGN_OR_RETURN(std::vector<Action> actions, game.ParseMoves(moves));
  state->Apply(*action);
  actions.push_back(*action);
  Json j = {{"player", spec},
            {"move", game.ActionToString(*action)},
            {"position", StateJson(game, *state, actions)}};
  if (info.search.has_value()) {
    j["q"] = info.search->q;
    j["v"] = info.search->v;
  }
  return j;
}

absl::StatusOr<Json> AnalysisBoard::Analyze(const Json& body) {
  const Game& game = *options_.game;
  ASSIGN_OR_RETURN(const std::string moves, StringField(body, "moves", false));
  ASSIGN_OR_RETURN(
      const int64_t sims,
      IntField(body, "sims", options_.default_sims, 1, options_.max_sims));
  ASSIGN_OR_RETURN(std::unique_ptr<State> state, StateOf(game, moves));
  if (state->IsTerminal()) {
    return absl::InvalidArgumentError("the game is over: nothing to analyse");
  }
  // The raw value as W/D/L, from one evaluation of the root.
  std::vector<float> priors(game.NumActions());
  engine::LeafEvaluation root;
  const State* states[] = {state.get()};
  RETURN_IF_ERROR(evaluator_->Evaluate(states, absl::MakeSpan(priors),
                                       absl::MakeSpan(&root, 1)));
  engine::SearchParams params = options_.analysis_search;
  params.num_simulations = static_cast<int>(sims);
  absl::StatusOr<Analysis> analysis =
      AnalyzePosition(game, moves, std::move(state), *evaluator_, params);
  if (!analysis.ok()) {
    return absl::InternalError(OneLine(analysis.status().message()));
  }
  Json j = AnalysisJson(*analysis);
  j["wdl"] = {{"win", root.value.win},
              {"draw", root.value.draw},
              {"loss", root.value.loss}};
  j["exact_labels"] = ExactLabeller::ToJson(game, exact_->Get(moves));
  return j;
}

absl::StatusOr<Json> AnalysisBoard::Browse(const ApiRequest& request) {
  auto param = [&](const char* key) {
    auto it = request.params.find(key);
    return it == request.params.end() ? std::string() : it->second;
  };
  const std::string id = param("source");
  if (id.empty()) {
    ASSIGN_OR_RETURN(Json info, Info());
    return Json{{"sources", info["sources"]}};
  }
  auto source = std::find_if(sources_.begin(), sources_.end(),
                             [&](const Source& s) { return s.id == id; });
  if (source == sources_.end()) {
    return absl::NotFoundError(absl::StrCat("no source \"", id, "\""));
  }
  int64_t offset = 0, limit = 100;
  if (!param("offset").empty() &&
      (!absl::SimpleAtoi(param("offset"), &offset) || offset < 0)) {
    return absl::InvalidArgumentError("offset must be a whole number >= 0");
  }
  if (!param("limit").empty() && (!absl::SimpleAtoi(param("limit"), &limit) ||
                                  limit < 1 || limit > 1000)) {
    return absl::InvalidArgumentError("limit must be from 1 to 1000");
  }
  Json positions = Json::array();
  const int64_t size = static_cast<int64_t>(source->positions.size());
  for (int64_t i = offset; i < std::min(size, offset + limit); ++i) {
    positions.push_back(source->positions[i]);
  }
  return Json{{"source", source->id},
              {"name", source->name},
              {"total", size},
              {"offset", offset},
              {"positions", positions}};
}

absl::StatusOr<Json> AnalysisBoard::Run() {
  if (options_.run_dir.empty()) {
    return absl::NotFoundError("no run is watched here (start with --run=DIR)");
  }
  const selfplay::RunPaths paths(options_.run_dir);
  Json j = {{"run", options_.run_dir}, {"players", OfferedPlayers()}};
  absl::StatusOr<std::string> csv =
      base::ReadFileBounded(paths.metrics(), 512 << 20);
  if (!csv.ok()) {
    j["progress"] = "no metrics yet";
    return j;
  }
  std::vector<std::string> lines =
      absl::StrSplit(*csv, '\n', absl::SkipWhitespace());
  if (lines.size() < 2) {
    j["progress"] = "no metrics yet";
    return j;
  }
  const std::vector<std::string> names = absl::StrSplit(lines[0], ',');
  const std::vector<std::string> values = absl::StrSplit(lines.back(), ',');
  Json last = Json::object();
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    last[names[i]] = values[i];
  }
  j["last"] = last;
  j["rows"] = lines.size() - 1;
  auto get = [&](const char* key) { return last.value(key, std::string("?")); };
  j["progress"] = absl::StrCat("step ", get("step"), " | games ", get("games"),
                               " | positions ", get("positions"), " | loss p ",
                               get("policy_loss"), " v ", get("value_loss"),
                               " | v-z ", get("v_z_mse"), " q-z ",
                               get("q_z_mse"), " | ", get("elapsed_s"), " s");
  return j;
}

absl::StatusOr<std::string> AnalysisBoard::RunChart() {
  if (options_.run_dir.empty()) {
    return absl::NotFoundError("no run is watched here (start with --run=DIR)");
  }
  const std::string dir = fs::temp_directory_path().string() + "/az-serve-" +
                          std::to_string(getpid());
  RETURN_IF_ERROR(base::MakeDirectories(dir));
  const std::string script = dir + "/plot_metrics.sh";
  const std::string out = dir + "/metrics.svg";
  std::lock_guard<std::mutex> lock(mutex_);
  RETURN_IF_ERROR(base::WriteFileAtomically(script, PlotMetricsScript()));
  const std::string command = absl::StrCat(
      "bash ", base::ShellQuote(script), " ",
      base::ShellQuote(options_.run_dir), " ", base::ShellQuote(out), " >",
      base::ShellQuote(dir + "/plot.log"), " 2>&1");
  if (std::system(command.c_str()) != 0) {
    absl::StatusOr<std::string> log =
        base::ReadFileBounded(dir + "/plot.log", 1 << 16);
    return absl::FailedPreconditionError(absl::StrCat(
        "plot_metrics.sh failed: ",
        log.ok() ? OneLine(absl::StripTrailingAsciiWhitespace(*log)) : "?"));
  }
  return base::ReadFileBounded(out, 64 << 20);
}

}  // namespace az
