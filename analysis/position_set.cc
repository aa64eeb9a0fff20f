#include "analysis/position_set.h"

#include <glog/logging.h>

#include <map>
#include <memory>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "base/random.h"
#include "base/hash.h"
#include "games/position_file.h"
#include "games/registry.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"

namespace az::analysis {
namespace {

absl::Status EmptySetError(const std::string& name) {
  return absl::FailedPreconditionError(
      absl::StrCat("the set ", name, " has no positions"));
}

// A move for the strong side of a lopsided game: an immediate win if there
// is one, else a random move after which the opponent cannot win at once,
// else any random move.
Action StrongMove(const State& state, base::Rng& rng) {
  const std::vector<Action> legal = state.LegalActions();
  const Player mover = state.ToMove();
  std::unique_ptr<State> after = state.Clone();
  std::unique_ptr<State> reply = state.Clone();
  std::vector<Action> safe;
  for (Action a : legal) {
    after->CopyFrom(state);
    after->Apply(a);
    if (after->IsTerminal()) {
      if (after->Reward(mover).is_win()) return a;
      safe.push_back(a);
      continue;
    }
    bool loses = false;
    for (Action b : after->LegalActions()) {
      reply->CopyFrom(*after);
      reply->Apply(b);
      if (reply->IsTerminal() && reply->Reward(mover).is_loss()) {
        loses = true;
        break;
      }
    }
    if (!loses) safe.push_back(a);
  }
  const std::vector<Action>& pool = safe.empty() ? legal : safe;
  return pool[rng.Below(pool.size())];
}

}  // namespace

uint64_t PositionSet::ContentHash() const {
  uint64_t h = 0x6761702d73657431ULL;  // "gap-set1"
  for (char c : game->Name()) h = base::HashPair(h, static_cast<uint8_t>(c));
  for (const SetPosition& p : positions) {
    h = base::HashPair(h, p.actions.size());
    for (Action a : p.actions) h = base::HashPair(h, static_cast<uint64_t>(a));
    h = base::HashPair(h, static_cast<uint64_t>(p.game_id));
    h = base::HashPair(h, p.file_score.has_value()
                        ? static_cast<uint64_t>(*p.file_score) + (1ULL << 40)
                        : 0);
  }
  return h;
}

int64_t PositionSet::NumGames() const {
  std::set<int64_t> ids;
  for (const SetPosition& p : positions) ids.insert(p.game_id);
  return static_cast<int64_t>(ids.size());
}

absl::StatusOr<PositionSet> LoadPositionFileSet(const Game& game,
                                                const std::string& path) {
  ASSIGN_OR_RETURN(const std::vector<PositionRecord> records,
                   ReadPositionFile(game, path));
  PositionSet set;
  set.name = path;
  set.kind = SetKind::kFile;
  set.game = &game;
  set.default_label_cache = path + ".gap-labels";
  set.description = absl::StrCat("position file ", path);
  for (size_t i = 0; i < records.size(); ++i) {
    const PositionRecord& r = records[i];
    set.positions.push_back(
        {r.actions, static_cast<int64_t>(i), r.score, r.line});
  }
  if (set.positions.empty()) return EmptySetError(path);
  return set;
}

namespace {

// Adds the positions of one held-out game to `set`, whose game is `game`.
// The record is checked by the rules of the spec it was played under (a
// proxy-trained run's records are not `game`'s when `game` is another spec
// of the same game); its positions are those `game` reaches: where `game`
// ends sooner (the rules after a diagonal line that no_diagonals ignored),
// the rest of the record is not a position of `game`. False: the record is
// invalid.
bool AddHeldoutGame(const Game& game, const selfplay::GameRecord& record,
                    int64_t game_id, PositionSet* set) {
  const absl::StatusOr<const Game*> played =
      FindGameWithReward(game.Name(), record.reward);
  if (!played.ok() || !selfplay::ValidateGameRecord(**played, record).ok()) {
    return false;
  }
  std::unique_ptr<State> state = game.NewInitialState();
  for (size_t ply = 0; ply < record.moves.size() && !state->IsTerminal();
       ++ply) {
    SetPosition p;
    p.actions.assign(record.moves.begin(), record.moves.begin() + ply);
    p.game_id = game_id;
    p.line = static_cast<int>(ply);
    set->positions.push_back(std::move(p));
    state->Apply(record.moves[ply]);
  }
  return true;
}

}  // namespace

absl::StatusOr<PositionSet> LoadHeldoutSet(const Game& game,
                                           const std::string& run_dir) {
  const selfplay::RunPaths paths(run_dir);
  const std::string name = absl::StrCat("heldout:", run_dir);
  absl::StatusOr<std::vector<std::string>> shards =
      selfplay::ListShards(paths.heldout());
  if (!shards.ok()) {
    return absl::Status(shards.status().code(),
                        absl::StrCat(name, ": ", shards.status().message()));
  }
  PositionSet set;
  set.name = name;
  set.kind = SetKind::kHeldout;
  set.game = &game;
  set.default_label_cache = paths.heldout() + "/gap-labels";
  int64_t game_id = 0, skipped = 0, damaged_shards = 0;
  for (const std::string& shard : *shards) {
    ASSIGN_OR_RETURN(const std::optional<selfplay::ShardContents> read,
                     selfplay::ReadShardOfGame(shard, game.Name()));
    // A shard whose header is damaged costs its games, as in training.
    if (!read.has_value()) {
      ++damaged_shards;
      continue;
    }
    const selfplay::ShardContents* contents = &*read;
    skipped += contents->corrupt_records;
    if (contents->truncated_tail_bytes > 0) {
      LOG(WARNING) << shard << ": skipped an incomplete last record ("
                   << contents->truncated_tail_bytes << " bytes)";
    }
    for (const selfplay::GameRecord& record : contents->records) {
      if (!AddHeldoutGame(game, record, game_id, &set)) {
        ++skipped;
        continue;
      }
      ++game_id;
    }
  }
  if (skipped > 0 || damaged_shards > 0) {
    LOG(WARNING) << name << ": skipped " << skipped
                 << " damaged or invalid game records and " << damaged_shards
                 << " shards with a damaged header";
  }
  set.description = absl::StrCat("held-out self-play games of ", run_dir, " (",
                                 game_id, " games)");
  if (set.positions.empty()) return EmptySetError(name);
  return set;
}

absl::StatusOr<GeneratorSpec> ParseGeneratorSpec(absl::string_view text,
                                                 const Game& game,
                                                 uint64_t seed) {
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("generator \"", text, "\": ", why));
  };
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  GeneratorSpec spec;
  spec.text = std::string(text);
  spec.seed = seed;
  spec.kind = parts[0];
  if (spec.kind != "random" && spec.kind != "lopsided") {
    return error(
        "unknown generator (known: random:N, lopsided:N, each "
        "with an optional :plies=A-B)");
  }
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &spec.count) ||
      spec.count <= 0) {
    return error("expected KIND:N with N a positive number of positions");
  }
  spec.max_ply = game.MaxGameLength() - 1;
  for (size_t i = 2; i < parts.size(); ++i) {
    absl::string_view option = parts[i];
    if (!absl::ConsumePrefix(&option, "plies=")) {
      return error(
          absl::StrCat("unknown option \"", parts[i], "\" (known: plies=A-B)"));
    }
    std::vector<std::string> range = absl::StrSplit(option, '-');
    if (range.size() != 2 || !absl::SimpleAtoi(range[0], &spec.min_ply) ||
        !absl::SimpleAtoi(range[1], &spec.max_ply) || spec.min_ply < 0 ||
        spec.max_ply < spec.min_ply || spec.max_ply >= game.MaxGameLength()) {
      return error(
          absl::StrCat("plies=A-B needs 0 <= A <= B < ", game.MaxGameLength()));
    }
  }
  return spec;
}

absl::StatusOr<PositionSet> GeneratePositionSet(const Game& game,
                                                const GeneratorSpec& spec) {
  PositionSet set;
  set.name = spec.text;
  set.kind = SetKind::kGenerated;
  set.game = &game;
  set.description = absl::StrCat(
      spec.kind == "random" ? "uniformly random play"
                            : "random play against a side that takes immediate "
                              "wins and blocks immediate threats",
      ", plies ", spec.min_ply, "-", spec.max_ply, ", seed ", spec.seed);
  base::Rng rng(base::HashPair(spec.seed, 0x67656e));
  std::unique_ptr<State> state = game.NewInitialState();
  std::unique_ptr<State> initial = game.NewInitialState();
  // A random game can end before the ply drawn; each try draws afresh, and
  // a range no game reaches ends in an error rather than a loop.
  const int64_t max_tries = 1000LL * spec.count + 10000;
  int64_t tries = 0;
  while (static_cast<int>(set.positions.size()) < spec.count) {
    if (++tries > max_tries) {
      return absl::InvalidArgumentError(absl::StrCat(
          "generator \"", spec.text, "\": random games rarely last ",
          spec.min_ply, " plies; choose a lower plies=A-B"));
    }
    const int target =
        spec.min_ply + rng.Below(spec.max_ply - spec.min_ply + 1);
    const int strong_side = rng.Below(2);
    state->CopyFrom(*initial);
    std::vector<Action> actions;
    while (static_cast<int>(actions.size()) < target && !state->IsTerminal()) {
      Action a;
      if (spec.kind == "lopsided" &&
          PlayerIndex(state->ToMove()) == strong_side) {
        a = StrongMove(*state, rng);
      } else {
        std::vector<Action> legal = state->LegalActions();
        a = legal[rng.Below(legal.size())];
      }
      state->Apply(a);
      actions.push_back(a);
    }
    if (state->IsTerminal()) continue;
    SetPosition p;
    p.actions = std::move(actions);
    p.game_id = static_cast<int64_t>(set.positions.size());
    p.line = static_cast<int>(set.positions.size()) + 1;
    set.positions.push_back(std::move(p));
  }
  return set;
}

absl::StatusOr<PositionSet> ReplayedUnder(const PositionSet& set,
                                          const Game& game) {
  if (game.Name() != set.game->Name()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the set ", set.name, " holds ", set.game->Name(), " positions, not ",
        game.Name()));
  }
  PositionSet out = set;
  out.game = &game;
  out.positions.clear();
  for (const SetPosition& p : set.positions) {
    std::unique_ptr<State> state = game.NewInitialState();
    bool playable = true;
    for (Action a : p.actions) {
      if (state->IsTerminal() || !state->IsLegal(a)) {
        playable = false;
        break;
      }
      state->Apply(a);
    }
    if (playable && !state->IsTerminal()) out.positions.push_back(p);
  }
  if (out.positions.empty()) return EmptySetError(set.name);
  const size_t dropped = set.positions.size() - out.positions.size();
  if (dropped > 0) {
    absl::StrAppend(&out.description, "; ", dropped,
                    " positions finished under reward spec ",
                    game.RewardSpec().name, " left out");
  }
  return out;
}

absl::Status NarrowPositionSet(PositionSet* set, int min_ply,
                               int64_t max_positions, uint64_t seed) {
  const size_t before = set->positions.size();
  std::vector<SetPosition> kept;
  for (SetPosition& p : set->positions) {
    if (static_cast<int>(p.actions.size()) >= min_ply) {
      kept.push_back(std::move(p));
    }
  }
  const size_t shallow = before - kept.size();
  size_t sampled_out = 0;
  if (max_positions > 0 && static_cast<int64_t>(kept.size()) > max_positions) {
    // Whole games in a seeded order, until the next would overflow.
    std::vector<int64_t> ids;
    std::map<int64_t, int64_t> sizes;
    for (const SetPosition& p : kept) {
      if (sizes[p.game_id]++ == 0) ids.push_back(p.game_id);
    }
    base::Rng rng(base::HashPair(seed, 0x9a3));
    for (size_t i = ids.size(); i > 1; --i) {
      std::swap(ids[i - 1], ids[rng.Below(i)]);
    }
    std::set<int64_t> chosen;
    int64_t total = 0;
    for (int64_t id : ids) {
      if (total + sizes[id] > max_positions) continue;
      total += sizes[id];
      chosen.insert(id);
    }
    std::vector<SetPosition> sample;
    for (SetPosition& p : kept) {
      if (chosen.count(p.game_id) > 0) sample.push_back(std::move(p));
    }
    sampled_out = kept.size() - sample.size();
    kept = std::move(sample);
  }
  set->positions = std::move(kept);
  if (shallow > 0) {
    absl::StrAppend(&set->description, "; ", shallow, " positions under ",
                    min_ply, " plies left out");
  }
  if (sampled_out > 0) {
    absl::StrAppend(&set->description, "; a seeded sample of whole games (",
                    sampled_out, " positions left out)");
  }
  if (set->positions.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(set->name, " has no position of ", min_ply,
                     " plies or more (see --min_ply)"));
  }
  return absl::OkStatus();
}

}  // namespace az::analysis
