#include "games/registry.h"

#include <map>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "games/connect4/connect4.h"
#include "games/othello/othello.h"
#include "games/tictactoe/tictactoe.h"
#include "glog/logging.h"

namespace az {
namespace {

// Every game under every spec of its menu, in menu order (rules first).
using GameMap =
    std::map<std::string, std::vector<std::unique_ptr<Game>>, std::less<>>;

using GameFactory = std::unique_ptr<Game> (*)(absl::string_view spec);

const GameMap& Games() {
  static const GameMap* games = [] {
    auto* map = new GameMap;
    for (GameFactory factory :
         {&NewTicTacToeGame, &NewConnect4Game, &NewOthelloGame}) {
      std::unique_ptr<Game> rules = factory(kRulesSpec);
      const std::vector<RewardSpecInfo>& specs = rules->RewardSpecs();
      CHECK(!specs.empty() && specs[0].name == kRulesSpec)
          << rules->Name() << "'s menu of reward specs must open with "
          << kRulesSpec;
      std::vector<std::unique_ptr<Game>>& instances = (*map)[rules->Name()];
      instances.push_back(std::move(rules));
      for (size_t i = 1; i < specs.size(); ++i) {
        instances.push_back(factory(specs[i].name));
        CHECK_EQ(instances.back()->RewardSpec().name, specs[i].name);
      }
    }
    return map;
  }();
  return *games;
}

}  // namespace

absl::StatusOr<const Game*> FindGame(absl::string_view name) {
  return FindGameWithReward(name, kRulesSpec);
}

absl::StatusOr<const Game*> FindGameWithReward(absl::string_view name,
                                               absl::string_view spec) {
  auto it = Games().find(name);
  if (it == Games().end()) {
    return absl::NotFoundError(absl::StrCat(
        "unknown game \"", absl::CHexEscape(name),
        "\" (known games: ", absl::StrJoin(GameNames(), ", "), ")"));
  }
  for (const std::unique_ptr<Game>& game : it->second) {
    if (game->RewardSpec().name == spec) return game.get();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown reward spec \"", absl::CHexEscape(spec), "\" for ", name,
      " (its specs: ", absl::StrJoin(RewardSpecNames(*it->second[0]), ", "),
      ")"));
}

std::vector<std::string> GameNames() {
  std::vector<std::string> names;
  for (const auto& [name, game] : Games()) names.push_back(name);
  return names;
}

std::vector<std::string> RewardSpecNames(const Game& game) {
  std::vector<std::string> names;
  for (const RewardSpecInfo& spec : game.RewardSpecs()) {
    names.push_back(spec.name);
  }
  return names;
}

}  // namespace az
