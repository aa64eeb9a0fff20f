#include "tools/serve_exact.h"

#include <algorithm>
#include <chrono>

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
    : game_(game),
      has_solver_(game.NewExactSolver() != nullptr),
      max_queue_(max_queue),
      max_cache_(max_cache) {
  if (has_solver_) worker_ = std::thread([this] { Work(); });
}

ExactLabeller::~ExactLabeller() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

ExactLabeller::Lookup ExactLabeller::Get(const std::string& moves) {
  Lookup lookup;
  if (!has_solver_) return lookup;
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = cache_.find(moves); it != cache_.end()) return it->second;
  lookup.status = Status::kSolving;
  if (moves == in_progress_) return lookup;
  // Asked again: move it to the front of the line.
  queue_.erase(std::remove(queue_.begin(), queue_.end(), moves), queue_.end());
  queue_.push_back(moves);
  while (static_cast<int>(queue_.size()) > max_queue_) queue_.pop_front();
  changed_.notify_all();
  return lookup;
}

ExactLabeller::Lookup ExactLabeller::Wait(const std::string& moves) {
  while (true) {
    Lookup lookup = Get(moves);  // queues it again if it was dropped
    if (lookup.status != Status::kSolving) return lookup;
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::milliseconds(100),
                      [&] { return stop_ || cache_.count(moves) > 0; });
    if (stop_) return lookup;
  }
}

void ExactLabeller::Work() {
  // Made at the first position asked for (a solver's tables are large).
  std::unique_ptr<ExactSolver> solver;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    in_progress_ = queue_.back();
    queue_.pop_back();
    const std::string moves = in_progress_;
    lock.unlock();
    if (solver == nullptr) solver = game_.NewExactSolver();
    Lookup done;
    absl::StatusOr<std::unique_ptr<State>> state =
        game_.NewStateFromMoves(moves);
    absl::StatusOr<std::vector<MoveValue>> values =
        state.ok() ? solver->SolveMoves(**state)
                   : absl::StatusOr<std::vector<MoveValue>>(state.status());
    if (values.ok() && !values->empty()) {
      ExactLabels labels;
      labels.moves = *std::move(values);
      labels.position = labels.moves[0].value;
      for (const MoveValue& m : labels.moves) {
        if (IsBetterExactValue(m.value, labels.position)) {
          labels.position = m.value;
        }
      }
      done.status = Status::kDone;
      done.labels = std::move(labels);
    } else {
      done.status = Status::kFailed;
      done.error = values.ok() ? "no legal moves" : values.status().ToString();
    }
    lock.lock();
    in_progress_.clear();
    cache_[moves] = std::move(done);
    cache_order_.push_back(moves);
    while (static_cast<int>(cache_order_.size()) > max_cache_) {
      cache_.erase(cache_order_.front());
      cache_order_.pop_front();
    }
    changed_.notify_all();
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
