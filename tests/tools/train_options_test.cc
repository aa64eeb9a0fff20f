// az train's option resolution in-process: the per-game defaults of the
// profile, each refused value with its message (a usage error), and the
// run's settings table behind RUN/config.
#include "tools/train_options.h"

#include <gflags/gflags.h>

#include <string>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/game_profile.h"
#include "tools/run_flags.h"
#include "tools/selfplay_flags.h"
#include "tools/train_flags.h"

namespace az {
namespace {

const Game& GameNamed(const std::string& name) { return **FindGame(name); }

TrainFlags FlagsFor(const std::string& game) {
  TrainFlags flags;
  flags.game = game;
  flags.run_dir = "/tmp/unused";
  return flags;
}

TEST(TrainOptionsTest, PerGameValuesComeFromTheProfile) {
  for (const std::string name : {"tictactoe", "connect4"}) {
    const Game& game = GameNamed(name);
    const GameProfile& profile = ProfileOf(game);
    const TrainingDefaults& d = profile.training;
    absl::StatusOr<TrainSetup> setup = ResolveTraining(FlagsFor(name), game);
    ASSERT_TRUE(setup.ok()) << setup.status();
    const selfplay::TrainingOptions& o = setup->options;
    EXPECT_EQ(o.network.blocks, profile.blocks) << name;
    EXPECT_EQ(o.network.channels, profile.channels) << name;
    EXPECT_EQ(o.farm.search.num_simulations, d.sims) << name;
    EXPECT_EQ(o.farm.search.num_threads, 1);
    EXPECT_TRUE(o.farm.search.root_noise);
    EXPECT_EQ(o.farm.games_per_thread, d.games_per_thread) << name;
    EXPECT_EQ(o.inference.max_batch, d.games_per_thread) << name;
    EXPECT_EQ(o.farm.random_opening_moves, d.random_opening_moves) << name;
    EXPECT_EQ(o.farm.quick_simulations, d.quick_sims) << name;
    EXPECT_EQ(o.farm.cache_entries, d.selfplay_cache) << name;
    EXPECT_EQ(o.replay.capacity_positions, d.replay_positions) << name;
    EXPECT_EQ(o.min_positions, d.min_positions) << name;
    EXPECT_EQ(o.max_selfplay_lead, 4 * d.min_positions) << name;
    EXPECT_EQ(o.batch_size, d.batch_size) << name;
    EXPECT_EQ(o.trainer.learning_rate, d.learning_rate) << name;
    EXPECT_EQ(o.samples_per_position, d.samples_per_position) << name;
    EXPECT_EQ(o.publish_every_steps, d.publish_every) << name;
    EXPECT_EQ(o.checkpoint_every_steps, d.checkpoint_every) << name;
    EXPECT_EQ(o.report_seconds, d.report_seconds) << name;
    EXPECT_EQ(o.eval_every_steps, d.eval_every) << name;
    EXPECT_EQ(o.eval_sims, d.eval_sims) << name;
    EXPECT_EQ(setup->resolved.value_target, d.value_target) << name;
  }
  // The values az train has always used for these two games.
  const TrainingDefaults& ttt = ProfileOf(GameNamed("tictactoe")).training;
  EXPECT_EQ(ttt.sims, 48);
  EXPECT_EQ(ttt.temperature_moves, 3);
  EXPECT_EQ(ttt.random_opening_moves, 6);
  EXPECT_EQ(ttt.batch_size, 128);
  const TrainingDefaults& c4 = ProfileOf(GameNamed("connect4")).training;
  EXPECT_EQ(c4.sims, 100);
  EXPECT_EQ(c4.replay_positions, 150000);
  EXPECT_EQ(c4.value_target, "mix:0.5");
}

TEST(TrainOptionsTest, FlagsOverrideTheProfileAndAreRecordedResolved) {
  TrainFlags flags = FlagsFor("tictactoe");
  flags.blocks = 1;
  flags.channels = 8;
  flags.selfplay_sims = 20;
  flags.temperature_moves = 0;
  flags.eval_every = -1;
  flags.dirichlet_epsilon = 0;
  flags.selfplay_cache = 5000;
  absl::StatusOr<TrainSetup> setup =
      ResolveTraining(flags, GameNamed("tictactoe"));
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_EQ(setup->options.network.blocks, 1);
  EXPECT_EQ(setup->options.network.channels, 8);
  EXPECT_EQ(setup->options.farm.search.num_simulations, 20);
  EXPECT_EQ(setup->options.farm.search.temperature_moves, 0);
  EXPECT_FALSE(setup->options.farm.search.root_noise);
  EXPECT_EQ(setup->options.eval_every_steps, 0);
  EXPECT_EQ(setup->resolved.eval_every, -1);
  EXPECT_EQ(setup->resolved.batch_size, 128);
  EXPECT_EQ(setup->options.farm.cache_entries, 5000);
  const std::string text = RunConfigText(setup->resolved);
  EXPECT_TRUE(absl::StrContains(text, "\n--blocks=1\n--channels=8\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\n--eval_every=-1\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\n--weight_decay=0.0001\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\n--augment=true\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\n--selfplay_cache=5000\n")) << text;
}

TEST(TrainOptionsTest, EachBadValueIsAUsageErrorNamingIt) {
  struct Case {
    void (*set)(TrainFlags&);
    std::string message;
  };
  const Case cases[] = {
      {[](TrainFlags& f) { f.blocks = -1; }, "must not be negative"},
      {[](TrainFlags& f) { f.actor_threads = 0; }, "--actor_threads (0 with"},
      {[](TrainFlags& f) { f.train_threads = 0; }, "--train_threads"},
      {[](TrainFlags& f) { f.eval_mcts_sims = 0; }, "--eval_mcts_sims >= 1"},
      {[](TrainFlags& f) { f.lr_anneal = 1.5; },
       "--lr_anneal=1.5 must be in [0, 1] and --lr_final=0.1 in (0, 1]"},
      {[](TrainFlags& f) { f.lr_final = 0; }, "--lr_final=0 in (0, 1]"},
      {[](TrainFlags& f) { f.dirichlet_alpha = 1e39; }, "--dirichlet_alpha"},
      {[](TrainFlags& f) { f.dirichlet_epsilon = 1e-50; },
       "--dirichlet_epsilon"},
      {[](TrainFlags& f) { f.selfplay_cache = -2; },
       "--selfplay_cache=-2 must be >= 0 (or -1: per game)"},
      {[](TrainFlags& f) { f.quick_sims = -2; },
       "--quick_sims=-2 must be >= 0 (or -1: per game)"},
      {[](TrainFlags& f) { f.quick_sims = 48; },
       "--quick_sims=48 must be below --selfplay_sims=48 and "
       "--full_search_share=0.25 in (0, 1]"},
      {[](TrainFlags& f) {
         f.quick_sims = 8;
         f.full_search_share = 0;
       },
       "--full_search_share=0 in (0, 1]"},
      {[](TrainFlags& f) { f.value_target = "v"; },
       "--value_target must be z, q or mix:A with A in [0, 1] (got 'v')"},
      {[](TrainFlags& f) { f.value_target = "mix:2"; }, "(got 'mix:2')"},
  };
  for (const Case& c : cases) {
    TrainFlags flags = FlagsFor("tictactoe");
    c.set(flags);
    absl::StatusOr<TrainSetup> setup =
        ResolveTraining(flags, GameNamed("tictactoe"));
    ASSERT_FALSE(setup.ok()) << c.message;
    EXPECT_TRUE(IsUsageError(setup.status())) << setup.status();
    EXPECT_TRUE(absl::StrContains(setup.status().message(), c.message))
        << setup.status() << " lacks " << c.message;
  }
  // A learner with --store may run no actors of its own.
  TrainFlags remote = FlagsFor("tictactoe");
  remote.actor_threads = 0;
  remote.remote = true;
  EXPECT_TRUE(ResolveTraining(remote, GameNamed("tictactoe")).ok());
}

TEST(TrainOptionsTest, TheRunSettingsTable) {
  const std::vector<std::string>& flags = RunConfigFlags();
  ASSERT_EQ(flags.size(), 35u);
  EXPECT_EQ(flags.front(), "game");
  EXPECT_EQ(flags[1], "reward");
  EXPECT_EQ(flags[2], "blocks");
  EXPECT_EQ(flags.back(), "eval_mcts_sims");
  for (const std::string& name : flags) {
    EXPECT_EQ(IsImmutableRunSetting(name),
              name == "game" || name == "reward" || name == "blocks" ||
                  name == "channels")
        << name;
  }
  EXPECT_FALSE(IsImmutableRunSetting("run_dir"));
  EXPECT_EQ(ShortestNumber(2e-4), "0.0002");
  EXPECT_EQ(ShortestNumber(0.25), "0.25");
  EXPECT_EQ(ShortestNumber(1e-4), "0.0001");
}

// RUN/config as az train wrote it for a Connect Four learner (with --store,
// --actor_threads=0) before the flags became one list: the text a resumed
// run reads back must not change byte for byte, but for the one line added
// since, --reward (a config without it is a rules run).
TEST(TrainOptionsTest, RunConfigTextIsUnchanged) {
  TrainFlags flags = FlagsFor("connect4");
  flags.actor_threads = 0;
  flags.remote = true;
  absl::StatusOr<TrainSetup> setup =
      ResolveTraining(flags, GameNamed("connect4"));
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_EQ(RunConfigText(setup->resolved),
      "# The flags of this training run (az train). Running az train on this directory again\n"
      "# resumes the run with these values unless the command line changes them.\n"
      "--game=connect4\n"
      "--reward=rules\n"
      "--blocks=2\n"
      "--channels=32\n"
      "--seed=1\n"
      "--selfplay_sims=100\n"
      "--actor_threads=0\n"
      "--games_per_thread=64\n"
      "--selfplay_cache=1048576\n"
      "--dirichlet_alpha=1\n"
      "--dirichlet_epsilon=0.25\n"
      "--temperature_moves=7\n"
      "--random_opening_moves=0\n"
      "--quick_sims=0\n"
      "--full_search_share=0.25\n"
      "--value_target=mix:0.5\n"
      "--augment=true\n"
      "--replay_positions=150000\n"
      "--min_positions=4000\n"
      "--batch_size=256\n"
      "--learning_rate=0.002\n"
      "--lr_anneal=0.25\n"
      "--lr_final=0.1\n"
      "--weight_decay=0.0001\n"
      "--train_threads=1\n"
      "--samples_per_position=4\n"
      "--max_selfplay_lead=16000\n"
      "--publish_every=25\n"
      "--checkpoint_every=250\n"
      "--heldout_fraction=0.02\n"
      "--report_seconds=30\n"
      "--eval_every=1000\n"
      "--eval_games=20\n"
      "--eval_sims=200\n"
      "--eval_mcts_sims=1000\n");
}

// The flags az train shares with other subcommands are defined elsewhere;
// the defaults its list gives TrainFlags must be theirs (the test sets no
// flag, so each FLAGS_ holds its default; naming them also links their
// definitions in).
TEST(TrainOptionsTest, SharedFlagsHaveTheListsDefaults) {
  const TrainFlags defaults;
  int shared = 0;
#define AZ_CHECK_DEFAULT_here(name)
#define AZ_CHECK_DEFAULT_shared(name)                                   \
  {                                                                     \
    ++shared;                                                           \
    gflags::CommandLineFlagInfo info;                                   \
    ASSERT_TRUE(gflags::GetCommandLineFlagInfo(#name, &info)) << #name; \
    EXPECT_TRUE(info.is_default) << #name;                              \
    EXPECT_EQ(defaults.name, FLAGS_##name) << "--" #name;               \
  }
#define AZ_CHECK_DEFAULT(type, name, default_value, setting, defined, help) \
  AZ_CHECK_DEFAULT_##defined(name)
  AZ_TRAIN_FLAGS(AZ_CHECK_DEFAULT)
#undef AZ_CHECK_DEFAULT
#undef AZ_CHECK_DEFAULT_shared
#undef AZ_CHECK_DEFAULT_here
  EXPECT_EQ(shared, 9);
}

}  // namespace
}  // namespace az
