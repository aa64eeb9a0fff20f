// az serve's API, in-process: an AnalysisBoard behind a real HTTP server on
// 127.0.0.1 at a free port, asked with an HTTP client. Every endpoint, the
// bad requests (each a 4xx with a one-line reason), the token, and a
// bounded concurrent load whose every answer is checked.
#include "tools/serve.h"

#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tools/analyze.h"
#include "tools/serve_http.h"

namespace az {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

ServeOptions OptionsFor(const std::string& game_name) {
  ServeOptions options;
  options.game = *FindGame(game_name);
  // The Connect Four solver's tables are large: only tic-tac-toe offers it.
  options.players = {"random", "mcts:sims=50"};
  if (game_name == "tictactoe") options.players.push_back("solver");
  options.player_options.search = engine::DefaultSearchParams(*options.game);
  options.player_options.search.num_simulations = 50;
  options.analysis_evaluator = "uniform";
  options.analysis_search = engine::DefaultSearchParams(*options.game);
  options.default_sims = 200;
  options.max_sims = 5000;
  options.max_body_bytes = 4096;
  return options;
}

// A board and its server; requests go through `client`.
struct Served {
  explicit Served(ServeOptions options, std::string token = "") {
    auto made = AnalysisBoard::Create(std::move(options));
    EXPECT_TRUE(made.ok()) << made.status();
    board = *std::move(made);
    HttpOptions http;
    http.port = 0;
    http.token = token;
    auto started = BoardServer::Start(board.get(), http);
    EXPECT_TRUE(started.ok()) << started.status();
    server = *std::move(started);
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    client->set_read_timeout(60);
  }
  Json Get(const std::string& path, int want = 200) {
    auto r = client->Get(path.c_str());
    EXPECT_TRUE(r) << path;
    if (!r) return Json();
    EXPECT_EQ(r->status, want) << path << ": " << r->body;
    return Json::parse(r->body, nullptr, false);
  }
  Json Post(const std::string& path, const std::string& body, int want = 200) {
    auto r = client->Post(path.c_str(), body, "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return Json();
    EXPECT_EQ(r->status, want) << path << " " << body << ": " << r->body;
    return Json::parse(r->body, nullptr, false);
  }
  std::unique_ptr<AnalysisBoard> board;
  std::unique_ptr<BoardServer> server;
  std::unique_ptr<httplib::Client> client;
};

// A 4xx answer carries {"error": one line naming `fragment`}.
void ExpectReason(const Json& j, const std::string& fragment) {
  ASSERT_TRUE(j.is_object() && j.contains("error")) << j;
  const std::string error = j["error"];
  EXPECT_TRUE(absl::StrContains(error, fragment)) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST(ServeTest, InfoAndPositions) {
  Served s(OptionsFor("connect4"));
  Json info = s.Get("/api/info");
  EXPECT_EQ(info["game"], "connect4");
  EXPECT_EQ(info["rows"], 6);
  EXPECT_EQ(info["columns"], 7);
  EXPECT_TRUE(info["columns_are_moves"].get<bool>());
  EXPECT_EQ(info["players"], Json({"random", "mcts:sims=50"}));
  EXPECT_TRUE(info["has_solver"].get<bool>());

  Json p = s.Get("/api/position?moves=445");
  EXPECT_EQ(p["moves"], "445");
  EXPECT_EQ(p["ply"], 3);
  EXPECT_EQ(p["to_move"], "second");
  // Row 5 is the bottom: the first stone in column 4 (index 3) is the
  // first player's, the one above it the second's.
  EXPECT_EQ(p["cells"][5 * 7 + 3], 1);
  EXPECT_EQ(p["cells"][4 * 7 + 3], 2);
  EXPECT_EQ(p["cells"][5 * 7 + 4], 1);
  EXPECT_EQ(p["legal"].size(), 7u);
  EXPECT_EQ(p["cell_actions"][0], 0);  // a click anywhere plays its column
  EXPECT_EQ(p["move_list"], Json({"4", "4", "5"}));

  ExpectReason(s.Get("/api/position?moves=48", 400), "moves \"48\"");
  ExpectReason(s.Get("/api/position?moves=4x", 400), "moves");
}

TEST(ServeTest, PlayAndReply) {
  Served s(OptionsFor("connect4"));
  Json p = s.Post("/api/play", R"({"moves":"44","move":"3"})");
  EXPECT_EQ(p["moves"], "443");
  ExpectReason(s.Post("/api/play", R"({"moves":"444444","move":"4"})", 400),
               "illegal");
  ExpectReason(s.Post("/api/play", R"({"moves":"4","move":"9"})", 400),
               "move \"9\"");
  ExpectReason(s.Post("/api/play", R"({"moves":"4"})", 400), "\"move\"");
  ExpectReason(s.Post("/api/play", R"({"moves":4,"move":"1"})", 400),
               "must be a string");
  ExpectReason(s.Post("/api/play", "not json", 400), "not a JSON object");
  // Four in a row for the first player: no move after it.
  ExpectReason(s.Post("/api/play", R"({"moves":"1212121","move":"3"})", 400),
               "over");
  Json over = s.Get("/api/position?moves=1212121");
  EXPECT_TRUE(over["terminal"].get<bool>());
  EXPECT_EQ(over["outcome"], OutcomeName(GameOutcome::kFirstPlayerWins));

  Json r = s.Post("/api/reply", R"({"moves":"44","player":"random"})");
  EXPECT_EQ(r["player"], "random");
  EXPECT_EQ(r["position"]["ply"], 3);
  EXPECT_EQ(r["position"]["moves"].get<std::string>().substr(0, 2), "44");
  Json m = s.Post("/api/reply", R"({"moves":"","player":"mcts:sims=50"})");
  EXPECT_TRUE(m.contains("q"));
  ExpectReason(
      s.Post("/api/reply", R"({"moves":"","player":"net:/etc/passwd"})", 400),
      "unknown player");
  ExpectReason(s.Post("/api/reply", R"({"moves":"","player":"mcts"})", 400),
               "unknown player");
}

TEST(ServeTest, TheSolverTakesTheWin) {
  Served s(OptionsFor("tictactoe"));
  // X holds 1 and 2, O 4 and 5: X completes the top row.
  Json win = s.Post("/api/reply", R"({"moves":"1425","player":"solver"})");
  EXPECT_EQ(win["move"], "3");
  EXPECT_TRUE(win["position"]["terminal"].get<bool>());
  EXPECT_EQ(win["position"]["outcome"],
            OutcomeName(GameOutcome::kFirstPlayerWins));
}

TEST(ServeTest, AnalysisMatchesAzAnalyzeAndFillsInTheExactLabels) {
  Served s(OptionsFor("connect4"));
  const std::string moves = "4444333";
  Json a = s.Post("/api/analyze", R"({"moves":"4444333","sims":300})");
  // The same search az analyze runs (uniform evaluator: deterministic).
  const Game& game = **FindGame("connect4");
  engine::SearchParams params = engine::DefaultSearchParams(game);
  params.num_simulations = 300;
  engine::Evaluator* evaluator = nullptr;
  auto uniform = selfplay::MakeEvaluator(
      game, *selfplay::ParseSpec("uniform", selfplay::SpecRole::kEvaluator),
      {});
  ASSERT_TRUE(uniform.ok());
  evaluator = uniform->get();
  auto direct = AnalyzePosition(game, moves, *PositionToAnalyze(game, moves),
                                *evaluator, params);
  ASSERT_TRUE(direct.ok());
  Json expected = AnalysisJson(*direct);
  EXPECT_EQ(a["visits"], expected["visits"]);
  EXPECT_EQ(a["best_move"], expected["best_move"]);
  EXPECT_NEAR(a["q"].get<double>(), expected["q"].get<double>(), 1e-6);
  EXPECT_EQ(a["moves"].size(), 7u);
  EXPECT_FLOAT_EQ(a["wdl"]["draw"].get<float>(), 1.0f);  // uniform: value 0
  const std::string status = a["exact_labels"]["status"];
  EXPECT_TRUE(status == "solving" || status == "done") << status;

  // The background solver fills the labels in; they are the solver's.
  ExactLabeller::Lookup done = s.board->exact().Wait(moves);
  ASSERT_EQ(done.status, ExactLabeller::Status::kDone);
  Json exact = s.Get("/api/exact?moves=" + moves);
  EXPECT_EQ(exact["status"], "done");
  auto solver = game.NewExactSolver();
  auto state = game.NewStateFromMoves(moves);
  auto values = solver->SolveMoves(**state);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(exact["moves"].size(), values->size());
  for (const MoveValue& m : *values) {
    const Json& j = exact["moves"][game.ActionToString(m.action)];
    EXPECT_EQ(j["score"], m.value.score) << m.action;
    EXPECT_FLOAT_EQ(j["value"].get<float>(), m.value.reward.value());
  }
  EXPECT_EQ(s.Post("/api/analyze",
                   R"({"moves":"4444333"})")["exact_labels"]["status"],
            "done");

  ExpectReason(s.Post("/api/analyze", R"({"moves":"4","sims":0})", 400),
               "\"sims\"");
  ExpectReason(s.Post("/api/analyze", R"({"moves":"4","sims":999999})", 400),
               "\"sims\"");
  ExpectReason(s.Post("/api/analyze", R"({"moves":"1212121"})", 400), "over");
  ExpectReason(s.Get("/api/exact?moves=9", 400), "moves");
}

TEST(ServeTest, BadRequestsGetAReason) {
  Served s(OptionsFor("tictactoe"));
  // Oversized bodies: refused before they are read as JSON.
  const std::string big = "{\"moves\":\"" + std::string(10000, '1') + "\"}";
  auto r = s.client->Post("/api/play", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  ExpectReason(Json::parse(r->body), "too large");
  // Paths outside what is served.
  ExpectReason(s.Get("/../../etc/passwd", 404), "not served");
  ExpectReason(s.Get("/etc/passwd", 404), "not served");
  ExpectReason(s.Get("/api/nothing", 404), "no endpoint");
  ExpectReason(s.Post("/index.html", "{}", 404), "not served");
  ExpectReason(s.Get("/api/run", 404), "--run");
  ExpectReason(s.Get("/api/browse?source=nope", 404), "no source");
  // The page itself.
  auto page = s.client->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(absl::StrContains(page->body, "/app.js"));
  EXPECT_TRUE(
      absl::StartsWith(page->get_header_value("Content-Type"), "text/html"));
  auto js = s.client->Get("/app.js");
  ASSERT_TRUE(js);
  EXPECT_TRUE(absl::StrContains(js->body, "/api/analyze"));
}

TEST(ServeTest, SpecsThatCannotPlayAreRefusedAtStart) {
  ServeOptions options = OptionsFor("tictactoe");
  options.players = {"random", "human"};
  EXPECT_FALSE(AnalysisBoard::Create(options).ok());
  options.players = {"net:/no/such.ckpt"};
  EXPECT_FALSE(AnalysisBoard::Create(options).ok());
  options.players = {"random"};
  options.analysis_evaluator = "bogus";
  EXPECT_FALSE(AnalysisBoard::Create(options).ok());
}

TEST(ServeTest, TheTokenGuardsEveryPath) {
  const std::string token = "0123456789abcdef-token";
  Served s(OptionsFor("tictactoe"), token);
  ExpectReason(s.Get("/api/info", 401), "token");
  ExpectReason(s.Get("/", 401), "token");
  s.client->set_bearer_token_auth(token.c_str());
  EXPECT_EQ(s.Get("/api/info")["game"], "tictactoe");
  httplib::Client query("127.0.0.1", s.server->port());
  auto r = query.Get(("/api/position?moves=5&token=" + token).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // Only a loopback address goes without one.
  HttpOptions open;
  open.listen = "0.0.0.0";
  open.port = 0;
  EXPECT_FALSE(BoardServer::Start(s.board.get(), open).ok());
}

TEST(ServeTest, BrowsesPositionFilesGapReportsAndARun) {
  const std::string dir = ::testing::TempDir() + "/serve_test_browse";
  fs::remove_all(dir);
  fs::create_directories(dir + "/gap");
  std::ofstream(dir + "/set.txt") << "32164625 11\n6146 18\n";
  std::ofstream(dir + "/gap/report.json")
      << R"({"game":"connect4","sets":[{"name":"s","player":"p","worst":[)"
      << R"({"moves":"4455","ply":4,"v":0.9,"reward":-1},)"
      << R"({"moves":"44","ply":2,"v":0.5,"reward":0}]}]})";
  ServeOptions options = OptionsFor("connect4");
  options.sets = {dir + "/set.txt"};
  options.gap_dir = dir + "/gap";
  options.run_dir = testing::TestDataDir() + "/train_run";
  Served s(options);
  Json sources = s.Get("/api/browse")["sources"];
  ASSERT_EQ(sources.size(), 2u);
  Json set = s.Get("/api/browse?source=" + sources[0]["id"].get<std::string>());
  ASSERT_EQ(set["positions"].size(), 2u);
  EXPECT_EQ(set["positions"][0]["moves"], "32164625");
  EXPECT_EQ(set["positions"][0]["score"], 11);
  Json gap = s.Get("/api/browse?source=" + sources[1]["id"].get<std::string>() +
                   "&limit=1");
  EXPECT_EQ(gap["total"], 2);
  ASSERT_EQ(gap["positions"].size(), 1u);
  EXPECT_EQ(gap["positions"][0]["moves"], "4455");  // worst first
  ExpectReason(s.Get("/api/browse?source=set0&limit=0", 400), "limit");

  Json run = s.Get("/api/run");
  EXPECT_TRUE(absl::StrContains(run["progress"].get<std::string>(), "step"))
      << run;
  EXPECT_GT(run["rows"].get<int>(), 0);
  auto svg = s.client->Get("/api/run/metrics.svg");
  ASSERT_TRUE(svg);
  ASSERT_EQ(svg->status, 200) << svg->body;
  EXPECT_TRUE(absl::StrContains(svg->body, "<svg")) << svg->body.substr(0, 200);
  EXPECT_EQ(svg->get_header_value("Content-Type"), "image/svg+xml");
}

// Eight clients at once, each playing its own line and checking every
// answer against the rules.
TEST(ServeTest, ConcurrentRequestsStayCorrect) {
  Served s(OptionsFor("connect4"));
  std::atomic<int> wrong{0}, answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", s.server->port());
      client.set_read_timeout(60);
      std::string moves = std::to_string(c % 7 + 1);
      for (int i = 0; i < 6; ++i) {
        const std::string move = std::to_string((c + i) % 7 + 1);
        const std::string body = Json{{"moves", moves}, {"move", move}}.dump();
        auto r = client.Post("/api/play", body, "application/json");
        if (!r || r->status != 200) {
          ++wrong;
          continue;
        }
        Json j = Json::parse(r->body);
        if (j["moves"] != moves + move) ++wrong;
        moves += move;
        auto a = client.Post("/api/analyze",
                             Json{{"moves", moves}, {"sims", 100}}.dump(),
                             "application/json");
        if (!a || a->status != 200) {
          ++wrong;
          continue;
        }
        Json aj = Json::parse(a->body);
        int visits = 0;
        for (auto& [m, n] : aj["visits"].items()) visits += n.get<int>();
        if (aj["position"] != moves || visits != 99) ++wrong;
        ++answered;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(answered.load(), 48);
}

}  // namespace
}  // namespace az
