#include "selfplay/actor_farm.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/multi_game_search.h"
#include "engine/search.h"
#include "base/hash.h"
#include "glog/logging.h"

namespace az::selfplay {
namespace {

// What a search leaves in the record of its position: the visits (the
// policy target), the raw and the searched value.
PositionRecord PositionOf(const engine::SearchResult& result,
                          bool full_search) {
  PositionRecord position;
  for (const engine::MoveStats& move : result.moves) {
    if (move.visits > 0) {
      position.visits.emplace_back(move.action,
                                   static_cast<uint32_t>(move.visits));
    }
  }
  // A root proven before any child got a visit (a winning move seen at
  // expansion) would leave no policy target: its proven best move stands in
  // as the one visit.
  if (position.visits.empty() && result.best_action != kNoAction) {
    position.visits.emplace_back(result.best_action, 1u);
  }
  // Means of values in [-1, 1]; the clamp only absorbs float rounding.
  position.v = std::clamp(result.v, -1.0f, 1.0f);
  position.q = std::clamp(result.q, -1.0f, 1.0f);
  position.full_search = full_search;
  return position;
}

}  // namespace

struct ActorFarm::Actor {
  int index = 0;
  std::unique_ptr<engine::MultiGameSearch> searches;
  // The game being played in each slot.
  std::vector<GameRecord> records;
  // How many of each slot's first moves are played at random.
  std::vector<int> random_moves;
  // Whether each slot's current search is a full one (playout caps).
  std::vector<char> full_search;
  base::Rng rng;  // draws the random openings and the playout caps
  // Set by the actor thread: the start of every game, and room for the
  // legal moves of a random opening move.
  std::unique_ptr<State> initial;
  std::vector<Action> legal;
  std::thread thread;
};

ActorFarm::ActorFarm(const Game& game, engine::Evaluator* evaluator,
                     const ActorFarmOptions& options, GameSink sink)
    : game_(game),
      evaluator_(evaluator),
      options_(options),
      sink_(std::move(sink)) {
  if (options.cache_entries > 0) {
    cache_ = std::make_unique<engine::CachingEvaluator>(
        evaluator, game.NumActions(), options.cache_entries);
    evaluator_ = cache_.get();
  }
}

absl::StatusOr<std::unique_ptr<ActorFarm>> ActorFarm::Create(
    const Game& game, engine::Evaluator* evaluator,
    const ActorFarmOptions& options, GameSink sink) {
  if (evaluator == nullptr || !sink) {
    return absl::InvalidArgumentError(
        "the actor farm needs an evaluator and a game sink");
  }
  if (options.random_opening_moves < 0) {
    return absl::InvalidArgumentError(
        "random_opening_moves must not be negative");
  }
  if (options.quick_simulations < 0 ||
      !(options.full_search_share > 0 && options.full_search_share <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "quick_simulations must not be negative and full_search_share must "
        "be in (0, 1] (got ",
        options.quick_simulations, " and ", options.full_search_share, ")"));
  }
  if (options.actor_threads < 1 || options.games_per_thread < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the actor farm needs at least 1 actor thread and 1 game per thread "
        "(got ",
        options.actor_threads, " and ", options.games_per_thread, ")"));
  }
  if (options.cache_entries < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cache_entries must not be negative (got ", options.cache_entries,
        ")"));
  }
  RETURN_IF_ERROR(options.search.Validate());
  std::unique_ptr<ActorFarm> farm(
      new ActorFarm(game, evaluator, options, std::move(sink)));
  for (int t = 0; t < options.actor_threads; ++t) {
    auto actor = std::make_unique<Actor>();
    actor->index = t;
    engine::SearchParams params = options.search;
    // MultiGameSearch gives slot s the seed params.seed + s.
    params.seed =
        options.seed + static_cast<uint64_t>(t) * options.games_per_thread;
    ASSIGN_OR_RETURN(actor->searches, engine::MultiGameSearch::Create(
                                          game, farm->evaluator_, params,
                                          options.games_per_thread));
    actor->records.resize(options.games_per_thread);
    actor->random_moves.resize(options.games_per_thread);
    actor->full_search.assign(options.games_per_thread, 1);
    actor->rng.Seed(base::HashPair(options.seed, 0xa11ce + t));
    farm->actors_.push_back(std::move(actor));
  }
  return farm;
}

ActorFarm::~ActorFarm() { (void)Stop(); }

absl::Status ActorFarm::Start() {
  if (started_) {
    return absl::FailedPreconditionError("the actor farm runs already");
  }
  started_ = true;
  stop_.store(false);
  start_time_ = std::chrono::steady_clock::now();
  for (auto& actor : actors_) {
    Actor* a = actor.get();
    a->thread = std::thread([this, a] {
      absl::Status status = RunActor(*a);
      if (!status.ok()) {
        LOG(ERROR) << "actor thread " << a->index << " stopped: " << status;
        std::lock_guard<std::mutex> lock(status_mu_);
        if (first_error_.ok()) first_error_ = status;
        failed_.fetch_add(1);
      }
    });
  }
  return absl::OkStatus();
}

absl::Status ActorFarm::Stop() {
  stop_.store(true);
  for (auto& actor : actors_) {
    if (actor->thread.joinable()) actor->thread.join();
  }
  std::lock_guard<std::mutex> lock(status_mu_);
  return first_error_;
}

bool ActorFarm::Running() const {
  return started_ && !stop_.load() && failed_.load() == 0;
}

ActorFarmStats ActorFarm::Stats() const {
  ActorFarmStats stats;
  stats.games = games_.load();
  stats.positions = positions_.load();
  stats.moves = moves_.load();
  stats.simulations = simulations_.load();
  stats.evaluations = evaluations_.load();
  stats.rounds = rounds_.load();
  if (cache_ != nullptr) stats.cache_hits = static_cast<int64_t>(cache_->hits());
  if (started_) {
    stats.seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start_time_)
                        .count();
  }
  return stats;
}

absl::Status ActorFarm::RunActor(Actor& actor) {
  actor.initial = game_.NewInitialState();
  actor.legal.resize(game_.NumActions());
  for (int slot = 0; slot < actor.searches->num_games(); ++slot) {
    RETURN_IF_ERROR(NewGame(actor, slot));
  }
  while (!stop_.load(std::memory_order_relaxed)) {
    engine::MultiGameSearch& searches = *actor.searches;
    absl::Status status = searches.RunSearches(&stop_);
    // Counted for cancelled searches too: those leaves did reach the
    // evaluator.
    rounds_.fetch_add(searches.rounds(), std::memory_order_relaxed);
    evaluations_.fetch_add(searches.leaves_evaluated(),
                           std::memory_order_relaxed);
    if (absl::IsCancelled(status)) break;
    RETURN_IF_ERROR(status);
    RETURN_IF_ERROR(PlayMoves(actor));
  }
  return absl::OkStatus();
}

absl::Status ActorFarm::NewGame(Actor& actor, int slot) {
  engine::Search& search = actor.searches->search(slot);
  GameRecord& record = actor.records[slot];
  record = GameRecord();
  record.game = game_.Name();
  // The slot's search seed: with the slot's earlier games, it fixes this
  // game's randomness.
  record.seed = search.params().seed;
  actor.random_moves[slot] =
      options_.random_opening_moves > 0
          ? static_cast<int>(actor.rng.Below(options_.random_opening_moves + 1))
          : 0;
  if (options_.weights_version) {
    record.weights_version = options_.weights_version();
  }
  DrawBudget(actor, slot);
  return search.SetPosition(*actor.initial);
}

void ActorFarm::DrawBudget(Actor& actor, int slot) {
  if (!options_.playout_caps()) return;
  const bool full = actor.rng.Uniform() < options_.full_search_share;
  actor.full_search[slot] = full;
  actor.searches->SetBudget(
      slot, full ? engine::SearchBudget{options_.search.num_simulations,
                                        options_.search.root_noise}
                 : engine::SearchBudget{options_.quick_simulations, false});
}

absl::Status ActorFarm::PlayMoves(Actor& actor) {
  int64_t simulations = 0;
  for (int slot = 0; slot < actor.searches->num_games(); ++slot) {
    RETURN_IF_ERROR(PlayMove(actor, slot, &simulations));
  }
  simulations_.fetch_add(simulations, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status ActorFarm::PlayMove(Actor& actor, int slot, int64_t* simulations) {
  engine::Search& search = actor.searches->search(slot);
  const engine::SearchResult result = search.Result();
  *simulations += result.simulations;
  PositionRecord position = PositionOf(result, actor.full_search[slot] != 0);
  GameRecord& record = actor.records[slot];
  Action action;
  if (static_cast<int>(record.moves.size()) < actor.random_moves[slot]) {
    const int count = search.root_state().FillLegalActions(actor.legal.data());
    action = actor.legal[actor.rng.Below(count)];
  } else {
    action = search.ChooseMove(result);
  }
  record.moves.push_back(action);
  record.positions.push_back(std::move(position));
  RETURN_IF_ERROR(search.ApplyMove(action));
  moves_.fetch_add(1, std::memory_order_relaxed);
  if (!search.root_state().IsTerminal()) {
    DrawBudget(actor, slot);
    return absl::OkStatus();
  }
  return FinishGame(actor, slot);
}

absl::Status ActorFarm::FinishGame(Actor& actor, int slot) {
  GameRecord& record = actor.records[slot];
  record.outcome = actor.searches->search(slot).root_state().Outcome();
  AssignTerminalRewards(game_, &record);
  const int64_t length = static_cast<int64_t>(record.moves.size());
  sink_(std::move(record));
  games_.fetch_add(1, std::memory_order_relaxed);
  positions_.fetch_add(length, std::memory_order_relaxed);
  return NewGame(actor, slot);
}

}  // namespace az::selfplay
