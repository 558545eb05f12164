// netc's native elementwise kernels: a residual join and the activation after it in one pass, y = act(a + b), and
// that activation's gradient from its output, dz = dy * act'(y) (relu: dy where y > 0). Linear and relu.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "simd.h"

namespace netc {

namespace {

/**
 * vector(i) for each run of 8 values and scalar(i) for the rest, over [0, n) split between the cores in chunks of
 * 4,096 values (at least 16 chunks a core).
 */
template <typename Vector, typename Scalar>
void forEachVector(int64_t n, Vector vector, Scalar scalar) {
  constexpr int64_t kChunk = 4096;
  parallelFor((n + kChunk - 1) / kChunk, 16, [&](int64_t c0, int64_t c1) {
    const int64_t end = std::min(n, c1 * kChunk);
    int64_t i = c0 * kChunk;
    for (; i + kLanes <= end; i += kLanes) vector(i);
    for (; i < end; i++) scalar(i);
  });
}

}  // namespace

void addActivation(const float* a, const float* b, float* y, int64_t n, bool relu) {
  const vec zero = vec{};
  forEachVector(
      n,
      [&](int64_t i) {
        vec v = load(a + i) + load(b + i);
        if (relu) v = v > zero ? v : zero;
        store(y + i, v);
      },
      [&](int64_t i) {
        const float v = a[i] + b[i];
        y[i] = relu && !(v > 0.0f) ? 0.0f : v;
      });
}

void activationGrad(const float* dy, const float* y, float* dz, int64_t n, bool relu) {
  const vec zero = vec{};
  forEachVector(
      n,
      [&](int64_t i) {
        const vec g = load(dy + i);
        store(dz + i, relu ? (load(y + i) > zero ? g : zero) : g);
      },
      [&](int64_t i) { dz[i] = relu && !(y[i] > 0.0f) ? 0.0f : dy[i]; });
}

}  // namespace netc

// The optimizer's update, rounded as tfjs's separate Mul and Add kernels round it: no multiply-add contraction here.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")

namespace netc {

void sgdUpdate(const float* w, const float* g, float* out, int64_t n, float c) {
  const vec cv = splat(c);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const vec step = cv * load(g + i);
    store(out + i, step + load(w + i));
  }
  for (; i < n; i++) {
    const float step = c * g[i];
    out[i] = step + w[i];
  }
}

void momentumUpdate(const float* w, const float* g, const float* a, float* outW, float* outA, int64_t n, float c, float m,
                    bool nesterov) {
  const vec cv = splat(c), mv = splat(m);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const vec gv = load(g + i);
    const vec decayed = mv * load(a + i);
    const vec acc = decayed + gv;
    store(outA + i, acc);
    vec step;
    if (nesterov) {
      const vec ahead = acc * mv;
      const vec sum = gv + ahead;
      step = cv * sum;
    } else {
      step = cv * acc;
    }
    store(outW + i, step + load(w + i));
  }
  for (; i < n; i++) {
    const float decayed = m * a[i];
    const float acc = decayed + g[i];
    outA[i] = acc;
    float step;
    if (nesterov) {
      const float ahead = acc * m;
      const float sum = g[i] + ahead;
      step = c * sum;
    } else {
      step = c * acc;
    }
    outW[i] = step + w[i];
  }
}

void adamUpdate(const float* w, const float* g, const float* m, const float* v, float* outW, float* outM, float* outV,
                int64_t n, const AdamConstants& k) {
  // One value at a time: float division and square root are IEEE's in every lane either way, and the update is a
  // small part of a step.
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float m1 = m[i] * k.b1 + gi * k.o1;
    const float square = gi * gi;
    const float v1 = v[i] * k.b2 + square * k.o2;
    outM[i] = m1;
    outV[i] = v1;
    const float denominator = std::sqrt(v1 / k.d2) + k.eps;
    const float step = (m1 / k.d1) / denominator * k.c;
    outW[i] = step + w[i];
  }
}

}  // namespace netc

#pragma GCC pop_options
