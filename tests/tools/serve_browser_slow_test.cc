// az serve in a real headless browser: Debian's chromium driven through
// chromedriver's WebDriver protocol (HTTP, JSON) from this test. The page
// plays a short Connect Four game by clicks against `random`, the board and
// the move list are checked against the rules, undo takes the game back,
// the analysis shown then is checked against `az analyze --json`, and a
// screenshot
// is saved under the build tree (TEST_TMPDIR/serve_browser.png).
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  const int port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

// A WebDriver session of chromedriver on 127.0.0.1.
class Browser {
 public:
  explicit Browser(const std::string& log) {
    port_ = FreePort();
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string command =
          absl::StrCat("exec chromedriver --port=", port_, " >>", log, " 2>&1");
      ::execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
      ::_exit(127);
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(120);
    for (int i = 0; i < 100; ++i) {
      auto r = client_->Get("/status");
      if (r && r->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    Json caps = {
        {"capabilities",
         {{"alwaysMatch",
           {{"goog:chromeOptions",
             {{"binary", "/usr/bin/chromium"},
              {"args",
               {"--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1280,900"}}}}}}}}};
    Json session = Call("POST", "/session", caps);
    session_ = session.value("sessionId", "");
  }
  ~Browser() {
    if (!session_.empty()) client_->Delete(("/session/" + session_).c_str());
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  bool ok() const { return !session_.empty(); }

  Json Call(const std::string& method, const std::string& path,
            const Json& body = Json::object()) {
    httplib::Result r =
        method == "GET"
            ? client_->Get(path.c_str())
            : client_->Post(path.c_str(), body.dump(), "application/json");
    if (!r) return Json();
    Json j = Json::parse(r->body, nullptr, false);
    EXPECT_EQ(r->status, 200) << path << ": " << r->body.substr(0, 500);
    return j.is_object() && j.contains("value") ? j["value"] : j;
  }
  Json Session(const std::string& method, const std::string& path,
               const Json& body = Json::object()) {
    return Call(method, "/session/" + session_ + path, body);
  }
  Json Script(const std::string& script) {
    return Session("POST", "/execute/sync",
                   {{"script", script}, {"args", Json::array()}});
  }
  // Waits until `condition` (a JS expression) holds; false after 60 s.
  bool WaitFor(const std::string& condition) {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      if (Script("return !!(" + condition + ");") == true) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Click(const std::string& css) {
    Json element = Session("POST", "/element",
                           {{"using", "css selector"}, {"value", css}});
    ASSERT_TRUE(element.is_object()) << css;
    const std::string id = element.begin().value();
    Session("POST", "/element/" + id + "/click");
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<httplib::Client> client_;
  std::string session_;
};

// Starts az serve at a free port and returns it (0 if it did not start).
int StartServe(const std::string& args, const std::string& log, int* pid) {
  *pid = testing::StartAzInBackground("serve " + args + " --port=0", log);
  const std::regex listening("http://127\\.0\\.0\\.1:([0-9]+)/");
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    std::smatch match;
    if (std::regex_search(text, match, listening)) {
      return std::stoi(match[1]);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

// Stops a process still running when a test fails early.
struct StopOnExit {
  int pid = 0;
  ~StopOnExit() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      testing::WaitForExit(pid);
    }
  }
};

double Number(const std::string& text) {
  double x = 0;
  std::string clean(text);
  if (absl::EndsWith(clean, "%")) clean.pop_back();
  EXPECT_TRUE(absl::SimpleAtod(clean, &x)) << text;
  return x;
}

// Plays four moves by clicks against random; the moves of the game.
void PlayByClicks(Browser& browser, int port, std::string* played) {
  // Four moves of ours by clicks on the top row (a click plays the column),
  // each answered by random.
  const int columns[] = {3, 2, 4, 3};
  for (int k = 0; k < 4; ++k) {
    ASSERT_TRUE(browser.WaitFor(
        "document.body.dataset.busy === '0' && "
        "document.querySelectorAll('#board .cell.clickable').length > 0"));
    browser.Click(absl::StrCat("#board .cell[data-index='", columns[k], "']"));
    ASSERT_TRUE(browser.WaitFor(
        absl::StrCat("document.body.dataset.busy === '0' && "
                     "document.getElementById('movelist').value.length >= ",
                     2 * k + 2)))
        << browser.Script(
               "return document.getElementById('status').textContent;");
  }
  const std::string moves =
      browser.Script("return document.getElementById('movelist').value;");
  ASSERT_EQ(moves.size(), 8u) << moves;
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(moves[2 * k], '1' + columns[k]) << moves;
  }
  // The board shows what the rules say of those moves.
  httplib::Client api("127.0.0.1", port);
  auto position = api.Get(("/api/position?moves=" + moves).c_str());
  ASSERT_TRUE(position && position->status == 200);
  const Json cells = Json::parse(position->body)["cells"];
  const Json shown = browser.Script(
      "return [...document.querySelectorAll('#board .cell')].map(c => {"
      "  const s = c.querySelector('.stone');"
      "  return s ? (s.classList.contains('p1') ? 1 : 2) : 0; });");
  EXPECT_EQ(shown, cells);
  *played = moves;
}

// Undoes back to the second ply; its moves.
void UndoToOpening(Browser& browser, const std::string& moves,
                   std::string* opening_out) {
  // Undo takes back to the person's turn: two plies a click.
  for (int k = 3; k >= 1; --k) {
    browser.Click("#undo");
    ASSERT_TRUE(browser.WaitFor(
        absl::StrCat("document.body.dataset.busy === '0' && "
                     "document.getElementById('movelist').value.length === ",
                     2 * k)));
  }
  const std::string opening =
      browser.Script("return document.getElementById('movelist').value;");
  EXPECT_EQ(opening, moves.substr(0, 2));
  *opening_out = opening;
}

// Analyses the position on the board and checks it against az analyze.
void ExpectTheAnalysisOf(Browser& browser, const std::string& opening,
                         const std::string& checkpoint) {
  // The analysis of the position on the board (not proven at once: every
  // figure counts), against az analyze.
  browser.Click("#tab-analyse");
  browser.Script("document.getElementById('sims').value = '200';");
  browser.Click("#analyse-run");
  ASSERT_TRUE(browser.WaitFor(
      "document.body.dataset.busy === '0' && "
      "document.querySelectorAll('#analysis tbody tr').length > 0"));
  const Json rows = browser.Script(
      "return [...document.querySelectorAll('#analysis tbody tr')].map(r =>"
      " [...r.children].map(td => td.textContent));");
  const std::string shown_v =
      browser.Script("return document.getElementById('pos-v').textContent;");
  testing::CommandResult analyze =
      testing::RunAz("analyze --game=connect4 --position=" + opening +
                     " --evaluator=net:" + checkpoint + " --sims=200 --json");
  ASSERT_EQ(analyze.exit_code, 0) << analyze.err;
  const Json expected = Json::parse(analyze.out);
  ASSERT_FALSE(expected["proven"].get<bool>());
  ASSERT_EQ(rows.size(), expected["moves"].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Json& m = expected["moves"][i];
    EXPECT_EQ(rows[i][0], m["move"]);
    EXPECT_NEAR(Number(rows[i][1]), 100 * m["prior"].get<double>(), 0.051);
    EXPECT_EQ(Number(rows[i][2]), m["visits"].get<double>()) << rows[i];
    if (!m["q"].is_null()) {
      EXPECT_NEAR(Number(rows[i][3]), m["q"].get<double>(), 0.00051);
    }
  }
  EXPECT_NEAR(Number(shown_v), expected["v"].get<double>(), 0.00051);
  // The search figures came back while the solver still works on this
  // early position (minutes for Connect Four at ply 2): it never blocks.
  EXPECT_EQ(browser.Script(
                "return document.getElementById('pos-exact').textContent;"),
            "solving…");
  EXPECT_EQ(rows[0][4], "solving…");
}

void SaveScreenshot(Browser& browser, const std::string& path) {
  const std::string png_base64 = browser.Session("GET", "/screenshot");
  std::string png;
  ASSERT_TRUE(absl::Base64Unescape(png_base64, &png));
  EXPECT_TRUE(absl::StartsWith(png, "\x89PNG"));
  testing::WriteFileBytes(path, png);
  std::cout << "screenshot: " << path << "\n";
}

TEST(ServeBrowserTest, PlaysByClicksAndShowsWhatAzAnalyzeFinds) {
  const std::string dir = ::testing::TempDir();
  const std::string checkpoint = dir + "/serve_browser.ckpt";
  ASSERT_EQ(testing::RunAz("init --game=connect4 --seed=5 --out=" + checkpoint)
                .exit_code,
            0);
  const std::string log = dir + "/serve_browser.log";
  std::remove(log.c_str());
  int serve_pid = 0;
  const int port =
      StartServe("--game=connect4 --players=random,net:" + checkpoint +
                     ":sims=50 --sims=200",
                 log, &serve_pid);
  StopOnExit stop_serve{serve_pid};
  ASSERT_GT(port, 0) << testing::ReadFileBytes(log);
  {
    Browser browser(dir + "/chromedriver.log");
    ASSERT_TRUE(browser.ok())
        << testing::ReadFileBytes(dir + "/chromedriver.log");
    const std::string page = absl::StrCat("http://127.0.0.1:", port, "/");
    browser.Session("POST", "/url", {{"url", page}});
    ASSERT_TRUE(browser.WaitFor("document.body.dataset.ready === '1'"));
    std::cout << "first load ready after "
              << browser.Script("return document.body.dataset.readyMs;")
              << " ms\n";
    ASSERT_EQ(
        browser.Script("return document.getElementById('opponent').value;"),
        "random");
    std::string moves, opening;
    PlayByClicks(browser, port, &moves);
    if (HasFatalFailure()) return;
    UndoToOpening(browser, moves, &opening);
    if (HasFatalFailure()) return;
    ExpectTheAnalysisOf(browser, opening, checkpoint);
    SaveScreenshot(browser, dir + "/serve_browser.png");
  }
  stop_serve.pid = 0;
  ::kill(serve_pid, SIGTERM);
  EXPECT_EQ(testing::WaitForExit(serve_pid), 0) << testing::ReadFileBytes(log);
}

}  // namespace
}  // namespace az
