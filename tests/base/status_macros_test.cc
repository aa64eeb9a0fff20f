#include "base/status_macros.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace az::base {
namespace {

absl::Status Step(bool fail, int* calls) {
  ++*calls;
  return fail ? absl::DataLossError("step failed") : absl::OkStatus();
}

absl::Status TwoSteps(bool fail_first, int* calls, bool* reached_end) {
  RETURN_IF_ERROR(Step(fail_first, calls));
  RETURN_IF_ERROR(Step(false, calls));
  *reached_end = true;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, ReturnIfErrorStopsAtTheFirstErrorAndEvaluatesOnce) {
  int calls = 0;
  bool reached_end = false;
  absl::Status s = TwoSteps(/*fail_first=*/true, &calls, &reached_end);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "step failed");
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(reached_end);

  calls = 0;
  EXPECT_TRUE(TwoSteps(/*fail_first=*/false, &calls, &reached_end).ok());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(reached_end);
}

absl::StatusOr<std::unique_ptr<int>> MakeNumber(int value) {
  if (value < 0) return absl::InvalidArgumentError("negative");
  return std::make_unique<int>(value);
}

// Two uses in one function: each declares its own hidden temporary.
absl::StatusOr<int> SumOfTwo(int a, int b) {
  ASSIGN_OR_RETURN(std::unique_ptr<int> first, MakeNumber(a));
  ASSIGN_OR_RETURN(std::unique_ptr<int> second, MakeNumber(b));
  return *first + *second;
}

TEST(StatusMacrosTest, AssignOrReturnMovesTheValueOrReturnsTheStatus) {
  absl::StatusOr<int> sum = SumOfTwo(2, 3);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, 5);
  EXPECT_EQ(SumOfTwo(2, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SumOfTwo(-1, 2).status().message(), "negative");
}

absl::Status AssignToExisting(int value, int* out) {
  std::unique_ptr<int> number;
  ASSIGN_OR_RETURN(number, MakeNumber(value));
  *out = *number;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnAssignsToAnExistingVariable) {
  int out = 0;
  EXPECT_TRUE(AssignToExisting(7, &out).ok());
  EXPECT_EQ(out, 7);
  EXPECT_FALSE(AssignToExisting(-7, &out).ok());
  EXPECT_EQ(out, 7);
}

}  // namespace
}  // namespace az::base
