// Compile-time loop unrolling for the SIMD kernels: Unroll<N>(f) calls
// f(std::integral_constant<int, I>{}) for I = 0..N-1, so arrays of vector
// registers are only ever indexed by constants and the compiler keeps them
// in registers instead of spilling them to the stack.
#pragma once

#include <type_traits>
#include <utility>

namespace az::nn {

template <typename F, int... I>
inline __attribute__((always_inline)) void UnrollOver(
    F& f, std::integer_sequence<int, I...>) {
  (f(std::integral_constant<int, I>{}), ...);
}

template <int N, typename F>
inline __attribute__((always_inline)) void Unroll(F&& f) {
  UnrollOver(f, std::make_integer_sequence<int, N>{});
}

}  // namespace az::nn
