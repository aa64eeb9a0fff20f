// A hand-built game tree for engine tests: the whole tree is written as a
// string, so a test states exactly which positions win, lose or draw.
//
// Grammar: a node is a leaf letter or "(" its children ")". Leaves are
// finished games: F = the first player won, S = the second player won,
// D = draw. The first player moves at the root, players alternate, and
// action i plays the i-th child (notation: the digit i+1). "(F (S D))" is a
// root whose first move wins at once and whose second move lets the
// second player choose between winning and a draw. The game has no exact
// solver (which tests that need a game without one rely on).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "games/game.h"
#include "base/hash.h"
#include "glog/logging.h"

namespace az::testing {

class TreeGame final : public Game {
 public:
  struct NodeSpec {
    std::vector<int> children;
    GameOutcome outcome = GameOutcome::kOngoing;  // set for leaves
  };

  explicit TreeGame(const std::string& spec) {
    size_t pos = 0;
    Parse(spec, pos, 0);
    for (const NodeSpec& n : nodes_) {
      max_children_ = std::max<int>(max_children_, n.children.size());
    }
  }

  std::string Name() const override { return "treegame"; }
  int NumActions() const override { return std::max(1, max_children_); }
  int MaxGameLength() const override { return max_depth_; }
  ObservationShape GetObservationShape() const override { return {1, 1, 1}; }
  std::unique_ptr<State> NewInitialState() const override;
  const std::vector<Symmetry>& Symmetries() const override {
    return symmetries_;
  }
  std::string ActionToString(Action a) const override {
    return std::to_string(a + 1);
  }
  absl::StatusOr<Action> ParseAction(absl::string_view text) const override {
    if (text.size() == 1 && text[0] >= '1' && text[0] <= '9') {
      return text[0] - '1';
    }
    return absl::InvalidArgumentError("not a tree game move");
  }
  size_t MoveTokenLength(absl::string_view) const override { return 1; }

  const NodeSpec& node(int id) const { return nodes_[id]; }
  int num_nodes() const { return static_cast<int>(nodes_.size()); }

 private:
  int Parse(const std::string& s, size_t& pos, int depth) {
    while (pos < s.size() && s[pos] == ' ') ++pos;
    CHECK_LT(pos, s.size()) << "tree spec ends early: " << s;
    int id = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    max_depth_ = std::max(max_depth_, depth);
    char c = s[pos++];
    if (c == '(') {
      while (true) {
        while (pos < s.size() && s[pos] == ' ') ++pos;
        CHECK_LT(pos, s.size()) << "unclosed ( in " << s;
        if (s[pos] == ')') {
          ++pos;
          break;
        }
        int child = Parse(s, pos, depth + 1);
        nodes_[id].children.push_back(child);
      }
      CHECK(!nodes_[id].children.empty()) << "empty () in " << s;
    } else {
      nodes_[id].outcome = c == 'F'   ? GameOutcome::kFirstPlayerWins
                           : c == 'S' ? GameOutcome::kSecondPlayerWins
                           : c == 'D' ? GameOutcome::kDraw
                                      : GameOutcome::kOngoing;
      CHECK(nodes_[id].outcome != GameOutcome::kOngoing)
          << "bad leaf '" << c << "' in " << s;
    }
    return id;
  }

  std::vector<NodeSpec> nodes_;
  int max_children_ = 0;
  int max_depth_ = 0;
  std::vector<Symmetry> symmetries_ = {Symmetry{"identity", {0}, {}}};
};

class TreeState final : public State {
 public:
  explicit TreeState(const TreeGame* game) : game_(game) {}
  const Game& game() const override { return *game_; }
  Player ToMove() const override {
    return depth_ % 2 == 0 ? Player::kFirst : Player::kSecond;
  }
  int MoveNumber() const override { return depth_; }
  int FillLegalActions(Action* out) const override {
    int n = static_cast<int>(game_->node(id_).children.size());
    for (int i = 0; i < n; ++i) out[i] = i;
    return n;
  }
  bool IsLegal(Action a) const override {
    return a >= 0 && a < static_cast<int>(game_->node(id_).children.size());
  }
  void Apply(Action a) override {
    CHECK(IsLegal(a));
    id_ = game_->node(id_).children[a];
    ++depth_;
  }
  bool IsTerminal() const override { return game_->node(id_).children.empty(); }
  GameOutcome Outcome() const override { return game_->node(id_).outcome; }
  uint64_t Hash() const override { return base::MixBits(id_ + 12345); }
  void EncodeObservation(float* out) const override { out[0] = id_; }
  std::string ToString() const override {
    return absl::StrCat("tree node ", id_, "\n");
  }
  std::unique_ptr<State> Clone() const override {
    return std::make_unique<TreeState>(*this);
  }
  void CopyFrom(const State& other) override {
    *this = static_cast<const TreeState&>(other);
  }
  std::unique_ptr<State> Transformed(int) const override { return Clone(); }
  int id() const { return id_; }

 private:
  const TreeGame* game_;
  int id_ = 0;
  int depth_ = 0;
};

inline std::unique_ptr<State> TreeGame::NewInitialState() const {
  return std::make_unique<TreeState>(this);
}

}  // namespace az::testing
