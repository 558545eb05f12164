// netc's native batch-norm kernels on [rows, C] (every axis but the channels' is a row), with the activation after
// the batch norm fused: the same functions, arguments and float64 results as the AssemblyScript ones
// (src/backend/simd/assembly/channels.ts), which they stand in for on the wasm heap.
//
// The flat array is walked in chunks of P = lcm(C, 8) values, so that lane j of every chunk belongs to channel
// j % C and eight lanes at a time serve any C, with per-lane constants in pattern arrays of P values. Sums run in
// float32 over blocks of chunks and are carried in float64 between blocks. Channel counts whose P would exceed
// kMaxPattern run row by row instead (vectors along the channels, the rest one by one).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include "simd.h"

namespace netc {
namespace {

constexpr int kBlock = 128;        // chunks summed in float32 before the float64 totals take them
constexpr int kMaxPattern = 4096;  // longest chunk walked by patterns

enum Activation { kLinear = 0, kRelu = 1, kSigmoid = 2, kTanh = 3 };

/** Floats per chunk for C channels: lcm(C, 8), or 0 when that is longer than kMaxPattern. */
int chunkOf(int c) {
  const int64_t p = std::lcm<int64_t>(c, kLanes);
  return p <= kMaxPattern ? int(p) : 0;
}

/** A pattern: values[j % C] for j < P. */
struct Pattern {
  std::vector<float> v;
  Pattern(int p, int c, const float* values) : v(size_t(p)) {
    for (int j = 0; j < p; j++) v[size_t(j)] = values[j % c];
  }
  Pattern(int p, int c, const double* values) : v(size_t(p)) {
    for (int j = 0; j < p; j++) v[size_t(j)] = float(values[j % c]);
  }
  vec at(int j) const { return load(v.data() + j); }
};

inline float activate(float z, int act) {
  switch (act) {
    case kRelu: return z > 0.0f ? z : 0.0f;
    case kSigmoid: return 1.0f / (1.0f + std::exp(-z));
    case kTanh: return std::tanh(z);
    default: return z;
  }
}

typedef int32_t ivec __attribute__((vector_size(32)));  // 8 ints

/**
 * e^x for eight lanes: x = n ln2 + r with |r| <= ln2/2 (Cody and Waite's two-part ln2), e^r by Cephes' degree-6
 * polynomial, 2^n from the exponent bits; within 2 ulp of expf over [-87, 88], the range it is clamped to.
 */
inline vec expVec(vec x) {
  const vec lo = splat(-87.0f), hi = splat(88.0f);
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  // Round x log2(e) to the nearest integer: adding 1.5 * 2^23 leaves it in the low bits of the sum.
  const vec magic = splat(12582912.0f);
  const vec shifted = x * splat(1.44269504088896341f) + magic;
  const vec n = shifted - magic;
  const vec r = (x - n * splat(0.693359375f)) - n * splat(-2.12194440e-4f);
  vec p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  p = p * (r * r) + r + splat(1.0f);
  ivec bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  bits = (bits - ivec{0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000} + 127) << 23;
  vec scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline vec activate(vec z, int act) {
  if (act == kLinear) return z;
  if (act == kRelu) {
    const vec zero = vec{};
    return z > zero ? z : zero;
  }
  if (act == kSigmoid) return splat(1.0f) / (splat(1.0f) + expVec(-z));
  alignas(32) float lanes[kLanes];
  store(lanes, z);
  for (float& l : lanes) l = activate(l, act);
  return load(lanes);
}

/** dy * act'(z) from the activation's output y: relu y > 0, sigmoid y (1 - y), tanh 1 - y^2. */
inline float activationGrad(float dy, float y, int act) {
  switch (act) {
    case kRelu: return y > 0.0f ? dy : 0.0f;
    case kSigmoid: return dy * (y * (1.0f - y));
    case kTanh: return dy * (1.0f - y * y);
    default: return dy;
  }
}

inline vec activationGrad(vec dy, vec y, int act) {
  const vec one = splat(1.0f);
  switch (act) {
    case kRelu: {
      const vec zero = vec{};
      return y > zero ? dy : zero;
    }
    case kSigmoid: return dy * (y * (one - y));
    case kTanh: return dy * (one - y * y);
    default: return dy;
  }
}

/** Blocks of kBlock units (chunks, or rows where there are none) per part of a call split over cores: 64K values. */
int64_t grainOf(int lanes) { return std::max<int64_t>(1, (int64_t(1) << 16) / (int64_t(kBlock) * lanes)); }

/**
 * Per-channel float64 totals of N terms over the flat array, in one pass: out[n][c] = the sum of term n over the
 * values of channel c. `term(j, i, acc)` adds the terms' vectors at lane group j (a multiple of 8) of the chunk
 * starting at flat position i into acc[0..N); `scalar(i, j, acc)` adds the terms of the one value at flat position
 * i, lane j of its chunk.
 *
 * The blocks' float32 sums are made on all cores, each block alone, and added into the float64 totals afterwards
 * in block order on this thread: the same bits on one core as on several.
 */
template <int N, typename Term, typename Scalar>
void channelTotals(int64_t rows, int c, double* const (&out)[N], Term term, Scalar scalar) {
  const int p = chunkOf(c);
  const int64_t total = rows * c;
  const int lanes = p > 0 ? p : c;
  const int64_t units = p > 0 ? total / p : rows;
  const int64_t blocks = (units + kBlock - 1) / kBlock;
  // Block b's sums: [b][n][lane] for chunks, [b][channel][n] for rows (scalar adds a value's N terms together).
  std::vector<float> partial(size_t(blocks) * N * size_t(lanes));
  parallelFor(blocks, grainOf(lanes), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      float* sums = &partial[size_t(b) * N * size_t(lanes)];
      const int64_t u0 = b * kBlock, u1 = std::min(units, u0 + kBlock);
      if (p > 0) {
        for (int j = 0; j < p; j += kLanes) {
          vec acc[N] = {};
          for (int64_t i = u0; i < u1; i++) term(j, i * p, acc);
          for (int n = 0; n < N; n++) store(sums + size_t(n) * size_t(lanes) + size_t(j), acc[n]);
        }
      } else {
        for (int64_t r = u0; r < u1; r++)
          for (int ch = 0; ch < c; ch++) scalar(r * c + ch, ch, sums + size_t(ch) * N);
      }
    }
  });
  std::vector<double> tot[N];
  for (auto& t : tot) t.assign(size_t(lanes), 0.0);
  for (int64_t b = 0; b < blocks; b++) {
    const float* sums = &partial[size_t(b) * N * size_t(lanes)];
    for (int n = 0; n < N; n++)
      for (int l = 0; l < lanes; l++)
        tot[n][size_t(l)] += p > 0 ? sums[size_t(n) * size_t(lanes) + size_t(l)] : sums[size_t(l) * N + size_t(n)];
  }
  if (p == 0) {
    for (int n = 0; n < N; n++) std::copy(tot[n].begin(), tot[n].begin() + c, out[n]);
    return;
  }
  const int64_t tail = units * p;
  for (int64_t i = tail; i < total; i++) {
    float acc[N] = {};
    scalar(i, int(i - tail), acc);
    for (int n = 0; n < N; n++) tot[n][size_t(i - tail)] += acc[n];
  }
  for (int n = 0; n < N; n++)
    for (int ch = 0; ch < c; ch++) {
      double t = 0;
      for (int j = ch; j < p; j += c) t += tot[n][size_t(j)];
      out[n][ch] = t;
    }
}

/**
 * Writes f(i) for every flat position, on all cores: vectors of 8 over the chunks (patterns indexed by lane), the
 * tail one by one.
 */
template <typename Vector, typename Scalar>
void forEachValue(int64_t rows, int c, Vector vector, Scalar scalar) {
  const int p = chunkOf(c);
  const int64_t total = rows * c;
  if (p == 0) {
    parallelFor((rows + kBlock - 1) / kBlock, grainOf(c), [&](int64_t b0, int64_t b1) {
      const int64_t end = std::min(total, b1 * kBlock * c);
      for (int64_t i = b0 * kBlock * c; i < end; i++) scalar(i, int(i % c));
    });
    return;
  }
  const int64_t chunks = total / p;
  parallelFor((chunks + kBlock - 1) / kBlock, grainOf(p), [&](int64_t b0, int64_t b1) {
    for (int64_t k = b0 * kBlock; k < std::min(chunks, b1 * kBlock); k += kBlock) {
      const int64_t end = std::min<int64_t>(chunks, k + kBlock);
      for (int j = 0; j < p; j += kLanes)
        for (int64_t i = k; i < end; i++) vector(j, i * p + j);
    }
  });
  for (int64_t i = chunks * p; i < total; i++) scalar(i, int(i - chunks * p) % c);
}

/** The pattern length to index per-lane arrays by (C where there are no chunks). */
int laneCount(int c) {
  const int p = chunkOf(c);
  return p > 0 ? p : c;
}

}  // namespace

void bnStats(const float* x, int64_t rows, int c, double* mean64, double* m2) {
  channelTotals<1>(
      rows, c, {mean64}, [&](int j, int64_t i, vec* acc) { acc[0] += load(x + i + j); },
      [&](int64_t i, int, float* acc) { acc[0] += x[i]; });
  for (int ch = 0; ch < c; ch++) mean64[ch] /= double(rows);
  const Pattern mean(laneCount(c), c, mean64);
  channelTotals<1>(
      rows, c, {m2},
      [&](int j, int64_t i, vec* acc) {
        const vec d = load(x + i + j) - mean.at(j);
        acc[0] += d * d;
      },
      [&](int64_t i, int j, float* acc) {
        const float d = x[i] - mean.v[size_t(j)];
        acc[0] += d * d;
      });
}

void bnInfer(const float* x, float* y, int64_t rows, int c, const float* gamma, const float* beta, const float* mean,
             const float* variance, float eps, int act) {
  const int p = laneCount(c);
  std::vector<float> scale(static_cast<size_t>(c));
  for (int ch = 0; ch < c; ch++) scale[size_t(ch)] = gamma[ch] * float(1.0 / std::sqrt(double(variance[ch]) + double(eps)));
  const Pattern m(p, c, mean), s(p, c, scale.data()), b(p, c, beta);
  forEachValue(
      rows, c,
      [&](int j, int64_t i) { store(y + i, activate((load(x + i) - m.at(j)) * s.at(j) + b.at(j), act)); },
      [&](int64_t i, int j) { y[i] = activate((x[i] - m.v[size_t(j)]) * s.v[size_t(j)] + b.v[size_t(j)], act); });
}

namespace {

/**
 * Training-mode batch norm from the batch's statistics (mean and sum of squared deviations per channel, float64):
 * writes the mean and variance as float32, then normalises with them.
 */
void normaliseWithStats(const float* x, float* y, int64_t rows, int c, const float* gamma, const float* beta, float* mean,
                        float* variance, float eps, int act, const std::vector<double>& mean64, const std::vector<double>& m2) {
  for (int ch = 0; ch < c; ch++) {
    mean[ch] = float(mean64[size_t(ch)]);
    variance[ch] = float(m2[size_t(ch)] / double(rows));
  }
  bnInfer(x, y, rows, c, gamma, beta, mean, variance, eps, act);
}

}  // namespace

void bnTrain(const float* x, float* y, int64_t rows, int c, const float* gamma, const float* beta, float* mean,
             float* variance, float eps, int act) {
  std::vector<double> mean64(static_cast<size_t>(c)), m2(static_cast<size_t>(c));
  bnStats(x, rows, c, mean64.data(), m2.data());
  normaliseWithStats(x, y, rows, c, gamma, beta, mean, variance, eps, act, mean64, m2);
}

void bnGradSums(const float* dy, const float* y, const float* x, int64_t rows, int c, const float* mean, int act,
                double* s1, double* s2) {
  const Pattern m(laneCount(c), c, mean);
  channelTotals<2>(
      rows, c, {s1, s2},
      [&](int j, int64_t i, vec* acc) {
        const vec dz = activationGrad(load(dy + i + j), load(y + i + j), act);
        acc[0] += dz;
        acc[1] += dz * (load(x + i + j) - m.at(j));
      },
      [&](int64_t i, int j, float* acc) {
        const float dz = activationGrad(dy[i], y[i], act);
        acc[0] += dz;
        acc[1] += dz * (x[i] - m.v[size_t(j)]);
      });
}

void bnGradApply(const float* dy, const float* y, const float* x, int64_t rows, int c, const float* gamma,
                 const float* mean, const float* variance, float eps, int act, bool training, double count,
                 const double* s1, const double* s2, float* dx, float* dgamma, float* dbeta) {
  std::vector<float> k1(static_cast<size_t>(c)), k2(static_cast<size_t>(c)), meanDz(static_cast<size_t>(c));
  for (int ch = 0; ch < c; ch++) {
    const double r = 1.0 / std::sqrt(double(variance[ch]) + double(eps));
    const double g = gamma[ch];
    dbeta[ch] = float(s1[ch]);
    dgamma[ch] = float(s2[ch] * r);
    k1[size_t(ch)] = float(g * r);
    k2[size_t(ch)] = training ? float(-g * r * r * r * s2[ch] / count) : 0.0f;
    meanDz[size_t(ch)] = training ? float(s1[ch] / count) : 0.0f;
  }
  const int p = laneCount(c);
  const Pattern m(p, c, mean), a(p, c, k1.data()), b(p, c, k2.data()), md(p, c, meanDz.data());
  forEachValue(
      rows, c,
      [&](int j, int64_t i) {
        const vec dz = activationGrad(load(dy + i), load(y + i), act);
        store(dx + i, a.at(j) * (dz - md.at(j)) + b.at(j) * (load(x + i) - m.at(j)));
      },
      [&](int64_t i, int j) {
        const size_t l = size_t(j);
        const float dz = activationGrad(dy[i], y[i], act);
        dx[i] = a.v[l] * (dz - md.v[l]) + b.v[l] * (x[i] - m.v[l]);
      });
}

/** Mean and sum of squared deviations per channel from its sum and sum of squares over `rows` values. */
void bnStatsFromSums(int64_t rows, int c, const double* sums, double* mean64, double* m2) {
  for (int ch = 0; ch < c; ch++) {
    const double mean = sums[ch] / double(rows);
    mean64[ch] = mean;
    m2[ch] = std::max(0.0, sums[c + ch] - sums[ch] * mean);
  }
}

void bnTrainFromSums(const float* x, float* y, int64_t rows, int c, const float* gamma, const float* beta, float* mean,
                     float* variance, float eps, int act, const double* sums) {
  std::vector<double> mean64(static_cast<size_t>(c)), m2(static_cast<size_t>(c));
  bnStatsFromSums(rows, c, sums, mean64.data(), m2.data());
  normaliseWithStats(x, y, rows, c, gamma, beta, mean, variance, eps, act, mean64, m2);
}

}  // namespace netc
