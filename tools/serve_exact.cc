#include "tools/serve_exact.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"

namespace az {
namespace {

using Json = nlohmann::json;

Json ValueJson(const ExactValue& value) {
  return {{"result", value.reward.ToString()},
          {"value", value.reward.value()},
          {"score", value.score}};
}

}  // namespace

ExactLabeller::ExactLabeller(const Game& game, int max_queue, int max_cache)
    : has_solver_(game.NewExactSolver() != nullptr),
      max_queue_(max_queue),
      s_(std::make_shared<Shared>()) {
  s_->game = &game;
  s_->max_cache = max_cache;
  if (has_solver_) std::thread(Work, s_).detach();
}

ExactLabeller::~ExactLabeller() {
  {
    std::lock_guard<std::mutex> lock(s_->mutex);
    s_->stop = true;
    s_->queue.clear();
  }
  s_->changed.notify_all();
}

ExactLabeller::Lookup ExactLabeller::Get(const std::string& moves) {
  Lookup lookup;
  if (!has_solver_) return lookup;
  std::lock_guard<std::mutex> lock(s_->mutex);
  if (auto it = s_->cache.find(moves); it != s_->cache.end()) {
    return it->second;
  }
  lookup.status = Status::kSolving;
  if (moves == s_->in_progress) return lookup;
  // Asked again: move it to the front of the line.
  std::deque<std::string>& queue = s_->queue;
  queue.erase(std::remove(queue.begin(), queue.end(), moves), queue.end());
  queue.push_back(moves);
  while (static_cast<int>(queue.size()) > max_queue_) queue.pop_front();
  s_->changed.notify_all();
  return lookup;
}

ExactLabeller::Lookup ExactLabeller::Wait(const std::string& moves) {
  while (true) {
    Lookup lookup = Get(moves);  // queues it again if it was dropped
    if (lookup.status != Status::kSolving) return lookup;
    std::unique_lock<std::mutex> lock(s_->mutex);
    s_->changed.wait_for(lock, std::chrono::milliseconds(100), [&] {
      return s_->stop || s_->cache.count(moves) > 0;
    });
    if (s_->stop) return lookup;
  }
}

namespace {

// Solves the position after `moves` with `solver`.
ExactLabeller::Lookup Solve(const Game& game, ExactSolver& solver,
                            const std::string& moves) {
  ExactLabeller::Lookup done;
  absl::StatusOr<std::unique_ptr<State>> state = game.NewStateFromMoves(moves);
  absl::StatusOr<std::vector<MoveValue>> values =
      state.ok() ? solver.SolveMoves(**state)
                 : absl::StatusOr<std::vector<MoveValue>>(state.status());
  if (!values.ok() || values->empty()) {
    done.status = ExactLabeller::Status::kFailed;
    done.error = values.ok() ? "no legal moves" : values.status().ToString();
    return done;
  }
  ExactLabels labels;
  labels.moves = *std::move(values);
  labels.position = labels.moves[0].value;
  for (const MoveValue& m : labels.moves) {
    if (IsBetterExactValue(m.value, labels.position)) {
      labels.position = m.value;
    }
  }
  done.status = ExactLabeller::Status::kDone;
  done.labels = std::move(labels);
  return done;
}

}  // namespace

void ExactLabeller::Work(std::shared_ptr<Shared> s) {
  // Made at the first position asked for (a solver's tables are large).
  std::unique_ptr<ExactSolver> solver;
  std::unique_lock<std::mutex> lock(s->mutex);
  while (true) {
    s->changed.wait(lock, [&] { return s->stop || !s->queue.empty(); });
    if (s->stop) return;
    s->in_progress = s->queue.back();
    s->queue.pop_back();
    const std::string moves = s->in_progress;
    lock.unlock();
    if (solver == nullptr) solver = s->game->NewExactSolver();
    Lookup done = Solve(*s->game, *solver, moves);
    lock.lock();
    s->in_progress.clear();
    s->cache[moves] = std::move(done);
    s->cache_order.push_back(moves);
    while (static_cast<int>(s->cache_order.size()) > s->max_cache) {
      s->cache.erase(s->cache_order.front());
      s->cache_order.pop_front();
    }
    s->changed.notify_all();
  }
}

Json ExactLabeller::ToJson(const Game& game, const Lookup& lookup) {
  switch (lookup.status) {
    case Status::kNoSolver:
      return {{"status", "none"}};
    case Status::kSolving:
      return {{"status", "solving"}};
    case Status::kFailed:
      return {{"status", "failed"}, {"error", lookup.error}};
    case Status::kDone:
      break;
  }
  Json j = ValueJson(lookup.labels->position);
  j["status"] = "done";
  Json moves = Json::object();
  for (const MoveValue& m : lookup.labels->moves) {
    moves[game.ActionToString(m.action)] = ValueJson(m.value);
  }
  j["moves"] = moves;
  return j;
}

}  // namespace az
