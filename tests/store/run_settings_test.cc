#include "store/run_settings.h"

#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "selfplay/record_io.h"

namespace az::store {
namespace {

RunSettings Example() {
  RunSettings s;
  s.game = "connect4";
  s.reward = "no_diagonals";
  s.farm.search.num_simulations = 100;
  s.farm.search.root_noise = true;
  s.farm.search.dirichlet_alpha = 1.4285715f;
  s.farm.search.dirichlet_epsilon = 0.25f;
  s.farm.search.temperature_moves = 7;
  s.farm.search.fpu_mode = engine::FpuMode::kAbsolute;
  s.farm.search.fpu_value = -0.5f;
  s.farm.games_per_thread = 64;
  s.farm.random_opening_moves = 2;
  s.farm.quick_simulations = 20;
  s.farm.full_search_share = 0.25;
  s.farm.cache_entries = 1 << 20;
  s.max_backlog = 5000;
  s.record_format = selfplay::kRecordFormatVersion;
  s.checkpoint_format = nn::kCheckpointFormatVersion;
  return s;
}

TEST(RunSettingsTest, RoundTripsExactly) {
  const RunSettings s = Example();
  absl::StatusOr<RunSettings> back = SettingsFromFields(SettingsToFields(s));
  ASSERT_TRUE(back.ok()) << back.status();
  const engine::SearchParams& a = s.farm.search;
  const engine::SearchParams& b = back->farm.search;
  EXPECT_EQ(back->game, "connect4");
  EXPECT_EQ(back->reward, "no_diagonals");
  EXPECT_EQ(b.num_simulations, 100);
  EXPECT_EQ(b.dirichlet_alpha, a.dirichlet_alpha);  // bit-exact floats
  EXPECT_EQ(b.dirichlet_epsilon, a.dirichlet_epsilon);
  EXPECT_EQ(b.c_init, a.c_init);
  EXPECT_EQ(b.c_base, a.c_base);
  EXPECT_EQ(b.fpu_mode, engine::FpuMode::kAbsolute);
  EXPECT_EQ(b.fpu_value, -0.5f);
  EXPECT_TRUE(b.root_noise);
  EXPECT_EQ(b.temperature_moves, 7);
  EXPECT_EQ(b.max_tree_nodes, a.max_tree_nodes);
  EXPECT_EQ(back->farm.games_per_thread, 64);
  EXPECT_EQ(back->farm.random_opening_moves, 2);
  EXPECT_EQ(back->farm.quick_simulations, 20);
  EXPECT_EQ(back->farm.full_search_share, 0.25);
  EXPECT_EQ(back->farm.cache_entries, 1 << 20);
  EXPECT_EQ(back->max_backlog, 5000);
}

TEST(RunSettingsTest, TheCacheIsOptionalAndBounded) {
  // A learner from before the cache publishes none: the actor runs none.
  auto fields = SettingsToFields(Example());
  fields.erase("selfplay_cache");
  absl::StatusOr<RunSettings> old = SettingsFromFields(fields);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->farm.cache_entries, 0);
  // A hostile size cannot make the actor allocate gigabytes.
  for (const char* bad : {"-1", "1e9", "99999999999"}) {
    fields["selfplay_cache"] = bad;
    absl::StatusOr<RunSettings> s = SettingsFromFields(fields);
    EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << bad;
    EXPECT_NE(std::string(s.status().message()).find("'selfplay_cache'"),
              std::string::npos);
  }
}

TEST(RunSettingsTest, AnotherFormatVersionIsRefusedNamingBoth) {
  for (const char* field : {"settings_version", "record_format", "checkpoint_format"}) {
    auto fields = SettingsToFields(Example());
    fields[field] = "999";
    absl::StatusOr<RunSettings> s = SettingsFromFields(fields);
    EXPECT_TRUE(absl::IsFailedPrecondition(s.status())) << field;
    EXPECT_NE(std::string(s.status().message()).find("999"), std::string::npos);
    EXPECT_NE(std::string(s.status().message()).find(field), std::string::npos);
  }
}

TEST(RunSettingsTest, MissingOrMalformedFieldsAreNamed) {
  auto fields = SettingsToFields(Example());
  fields.erase("sims");
  absl::StatusOr<RunSettings> s = SettingsFromFields(fields);
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(std::string(s.status().message()).find("'sims'"), std::string::npos);
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"sims", "0"}, {"sims", "1e9"}, {"c_init", "nan"},
           {"dirichlet_alpha", "1e300"}, {"games_per_thread", "100000000"},
           {"full_search_share", "0"}, {"root_noise", "yes"},
           {"max_backlog", "-1"}, {"dirichlet_epsilon", "2"}}) {
    auto bad = SettingsToFields(Example());
    bad[field] = value;
    EXPECT_TRUE(absl::IsInvalidArgument(SettingsFromFields(bad).status()))
        << field << "=" << value;
  }
}

TEST(RunSettingsTest, FieldsANewerLearnerAddsAreIgnored) {
  auto fields = SettingsToFields(Example());
  fields["some_future_field"] = "x";
  EXPECT_TRUE(SettingsFromFields(fields).ok());
}

}  // namespace
}  // namespace az::store
