#include "engine/node.h"

#include <set>

#include "gtest/gtest.h"

namespace az::engine {
namespace {

TEST(LeafValueTest, KeepsItsSource) {
  LeafValue reward = LeafValue::FromReward(TerminalReward::Loss());
  EXPECT_EQ(reward.source(), ValueSource::kTerminalReward);
  EXPECT_EQ(reward.value(), -1.0f);
  EXPECT_TRUE(reward.grounded());

  LeafValue exact = LeafValue::FromExact(TerminalReward::Win());
  EXPECT_EQ(exact.source(), ValueSource::kExact);
  EXPECT_TRUE(exact.grounded());

  LeafValue estimate = LeafValue::FromEstimate(ValueEstimate{0.7f, 0.1f, 0.2f});
  EXPECT_EQ(estimate.source(), ValueSource::kEstimate);
  EXPECT_FALSE(estimate.grounded());
  EXPECT_FLOAT_EQ(estimate.value(), 0.5f);
}

TEST(ProvenValueTest, TerminalValuesAndTheirParents) {
  ProvenValue lost = ProvenValue::Terminal(TerminalReward::Loss());
  EXPECT_TRUE(lost.reward().is_loss());
  EXPECT_EQ(lost.plies_to_end(), 0);
  ProvenValue win = lost.ForParent();
  EXPECT_TRUE(win.reward().is_win());
  EXPECT_EQ(win.plies_to_end(), 1);
  EXPECT_EQ(win.ForParent().plies_to_end(), 2);
  EXPECT_TRUE(win.ForParent().reward().is_loss());
  EXPECT_EQ(win.ToString(), "win in 1 ply");
  ProvenValue draw = ProvenValue::Terminal(TerminalReward::Draw());
  EXPECT_TRUE(draw.ForParent().reward().is_draw());
  EXPECT_EQ(draw.Scalar(), 0.0f);
}

TEST(ProvenValueTest, SoonerWinsAndLaterLossesRankHigher) {
  ProvenValue win1 = ProvenValue::Terminal(TerminalReward::Loss()).ForParent();
  ProvenValue win3 = win1.ForParent().ForParent();
  EXPECT_EQ(win3.plies_to_end(), 3);
  EXPECT_TRUE(win1.BetterThan(win3));
  ProvenValue loss0 = ProvenValue::Terminal(TerminalReward::Loss());
  ProvenValue loss2 = loss0.ForParent().ForParent();
  EXPECT_TRUE(loss2.BetterThan(loss0));
  ProvenValue draw = ProvenValue::Terminal(TerminalReward::Draw());
  EXPECT_TRUE(win3.BetterThan(draw));
  EXPECT_TRUE(draw.BetterThan(loss2));
}

TEST(ProvenValueTest, ExactValuesKeepTheGameScore) {
  ProvenValue win = ProvenValue::Exact(ExactValue{TerminalReward::Win(), 5});
  EXPECT_TRUE(win.reward().is_win());
  EXPECT_EQ(win.score(), 5);
  EXPECT_EQ(win.plies_to_end(), std::nullopt);
  // The opponent's view of the same game end has the opposite score.
  EXPECT_EQ(win.ForParent().score(), -5);
  EXPECT_TRUE(win.ForParent().reward().is_loss());
  ProvenValue sooner = ProvenValue::Exact(ExactValue{TerminalReward::Win(), 9});
  EXPECT_TRUE(sooner.BetterThan(win));
  ProvenValue loss = ProvenValue::Exact(ExactValue{TerminalReward::Loss(), -3});
  ProvenValue earlier_loss =
      ProvenValue::Exact(ExactValue{TerminalReward::Loss(), -8});
  EXPECT_TRUE(loss.BetterThan(earlier_loss));
  EXPECT_TRUE(ProvenValue::Exact(ExactValue{TerminalReward::Draw(), 0})
                  .reward()
                  .is_draw());
  // A win without a score is still a win.
  EXPECT_TRUE(ProvenValue::Exact(ExactValue{TerminalReward::Win(), 0})
                  .reward()
                  .is_win());
}

TEST(NodeArenaTest, ChildrenAreContiguousAndAddressesStable) {
  NodeArena arena(100000);
  uint32_t root = arena.Allocate<false>(1);
  Node* root_address = &arena.at(root);
  std::set<uint32_t> seen;
  for (int i = 0; i < 5000; ++i) {
    uint32_t first = arena.Allocate<false>(7);
    ASSERT_NE(first, NodeArena::kFull);
    // Seven nodes in one chunk: consecutive addresses.
    EXPECT_EQ(&arena.at(first) + 6, &arena.at(first + 6));
    for (uint32_t j = first; j < first + 7; ++j) {
      EXPECT_TRUE(seen.insert(j).second) << "node " << j << " given twice";
    }
  }
  EXPECT_EQ(&arena.at(root), root_address);
  EXPECT_GE(arena.size(), 5000u * 7);
}

TEST(NodeArenaTest, ReportsFullAndResetReusesMemory) {
  NodeArena arena(5000);
  int allocations = 0;
  while (arena.Allocate<false>(100) != NodeArena::kFull) ++allocations;
  EXPECT_GE(allocations * 100, 5000);
  uint64_t bytes = arena.bytes_allocated();
  arena.Reset();
  EXPECT_EQ(arena.size(), 0u);
  EXPECT_EQ(arena.Allocate<false>(100), 0u);
  EXPECT_EQ(arena.bytes_allocated(), bytes);
}

}  // namespace
}  // namespace az::engine
