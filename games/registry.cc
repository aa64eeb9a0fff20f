#include "games/registry.h"

#include <map>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "games/connect4/connect4.h"
#include "games/othello/othello.h"
#include "games/tictactoe/tictactoe.h"

namespace az {
namespace {

using GameMap = std::map<std::string, std::unique_ptr<Game>, std::less<>>;

const GameMap& Games() {
  static const GameMap* games = [] {
    std::vector<std::unique_ptr<Game>> all;
    all.push_back(NewTicTacToeGame());
    all.push_back(NewConnect4Game());
    all.push_back(NewOthelloGame());
    auto* map = new GameMap;
    for (std::unique_ptr<Game>& game : all) {
      std::string name = game->Name();
      map->emplace(std::move(name), std::move(game));
    }
    return map;
  }();
  return *games;
}

}  // namespace

absl::StatusOr<const Game*> FindGame(absl::string_view name) {
  auto it = Games().find(std::string(name));
  if (it == Games().end()) {
    return absl::NotFoundError(absl::StrCat(
        "unknown game \"", absl::CHexEscape(name),
        "\" (known games: ", absl::StrJoin(GameNames(), ", "), ")"));
  }
  return it->second.get();
}

std::vector<std::string> GameNames() {
  std::vector<std::string> names;
  for (const auto& [name, game] : Games()) names.push_back(name);
  return names;
}

}  // namespace az
