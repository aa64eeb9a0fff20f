// Early-return helpers for absl::Status and absl::StatusOr, so that a chain
// of fallible steps reads as a list of steps.
//
//   RETURN_IF_ERROR(WriteHeader(out));
//   ASSIGN_OR_RETURN(std::string text, base::ReadFileBounded(path, kMax));
//
// Both expand to more than one statement: use them inside braces, never as
// the lone body of an unbraced if or loop. A left-hand side with a comma in
// it (std::pair<int, int> p) needs a type alias, since the preprocessor
// splits macro arguments at commas.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define AZ_STATUS_MACROS_CONCAT_INNER(a, b) a##b
#define AZ_STATUS_MACROS_CONCAT(a, b) AZ_STATUS_MACROS_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status) once and returns it if it is an error.
#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    if (::absl::Status az_status_macros_status = (expr); \
        !az_status_macros_status.ok()) {                 \
      return az_status_macros_status;                    \
    }                                                    \
  } while (false)

// Evaluates `expr` (an absl::StatusOr<T>) once; returns its status if it is
// an error, else moves its value into `lhs` (a declaration or an lvalue).
#define ASSIGN_OR_RETURN(lhs, expr)                                       \
  AZ_ASSIGN_OR_RETURN_IMPL(                                               \
      AZ_STATUS_MACROS_CONCAT(az_status_macros_statusor_, __LINE__), lhs, \
      expr)

#define AZ_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                             \
  if (!statusor.ok()) {                               \
    return std::move(statusor).status();              \
  }                                                   \
  lhs = *std::move(statusor)
