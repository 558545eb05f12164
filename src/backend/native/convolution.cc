// netc's native convolutions: the three convolutions of a training step (forward, input gradient, filter
// gradient) for NHWC float32 tensors, register-blocked in 256-bit SIMD (simd.h).
//
// Convolution as a matrix product: with M = N*OH*OW output pixels and K = KH*KW*C taps,
//   forward        Y[M, O]  = A[M, K] * W[K, O] (+ bias, relu)       A = the image's columns (im2col), W = filter
//   input grad     dX       = the stride-1 convolution of dY with W turned (stride 1), or D[M, K] = dY * W^T
//                             scattered back onto dX (col2im) for larger strides
//   filter grad    dW[K, O] = A[M, K]^T * dY[M, O]
// A is never built: the forward and filter-gradient micro-kernels read the image in place (a zero-padded copy, so
// no tap needs a bounds check) through each tap's offset. Scratch is this thread's own, kept between calls.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "simd.h"

namespace netc {
namespace {

/** Per-thread scratch that grows to the largest call seen and is reused. */
struct Scratch {
  std::vector<float> a, b, c, pad;
  std::vector<double> d;
  std::vector<int> offsets;
  std::vector<int64_t> bases;
};
thread_local Scratch scratch;

template <typename T>
T* sized(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

/**
 * The micro-kernel: acc[r][v] = sum over k < depth of a[k*kRows + r] * b[k*stride + v*8 .. +8], for kRows rows and
 * NV vectors of columns. `a` is a packed row panel (kRows values per k), `b` a packed column panel.
 */
template <int NV>
inline void microKernel(int depth, const float* a, const float* b, int stride, vec acc[kRows][NV]) {
  for (int r = 0; r < kRows; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = vec{};
  for (int k = 0; k < depth; k++) {
    vec bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = load(b + int64_t(k) * stride + v * kLanes);
    const float* ak = a + int64_t(k) * kRows;
#pragma GCC unroll 6
    for (int r = 0; r < kRows; r++) {
      const vec s = splat(ak[r]);
      for (int v = 0; v < NV; v++) acc[r][v] += s * bv[v];
    }
  }
}

/** The pixel (b, y, x) of output row m. */
struct Pixel {
  int b, y, x;
};
inline Pixel pixelOf(const Geometry& g, int64_t m) {
  const int x = int(m % g.ow);
  const int64_t rest = m / g.ow;
  return {int(rest / g.oh), int(rest % g.oh), x};
}

/** Walks output pixels in order, giving each one's window start in a padded [N, Hp, Wp, C] image without divisions. */
struct PixelCursor {
  const Geometry& g;
  int64_t rowStride, imageStride;  // values per padded row, per padded image
  int b = 0, y = 0, x = 0;
  PixelCursor(const Geometry& geometry, int hp, int wp, int64_t m) : g(geometry) {
    rowStride = int64_t(wp) * g.c;
    imageStride = int64_t(hp) * rowStride;
    const Pixel px = pixelOf(g, m);
    b = px.b, y = px.y, x = px.x;
  }
  int64_t offset() const { return b * imageStride + int64_t(y) * g.sh * rowStride + int64_t(x) * g.sw * g.c; }
  void next() {
    if (++x < g.ow) return;
    x = 0;
    if (++y < g.oh) return;
    y = 0;
    b++;
  }
};

/** The input row (C values) tap (p, q) of output pixel `px` reads, or null where it falls in the padding. */
inline const float* tapSource(const Geometry& g, const float* x, Pixel px, int p, int q) {
  const int ih = px.y * g.sh + p - g.top;
  const int iw = px.x * g.sw + q - g.left;
  if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) return nullptr;
  return x + ((int64_t(px.b) * g.h + ih) * g.w + iw) * g.c;
}

/**
 * Packs a [depth, cols] matrix read through strides (element (k, c) at src[k * rowStride + c * colStride]) into
 * column panels of kPanel, zero-padded.
 */
void packPanelsStrided(const float* src, int depth, int cols, int64_t rowStride, int64_t colStride, float* out) {
  const int panels = (cols + kPanel - 1) / kPanel;
  for (int j = 0; j < panels; j++) {
    float* panel = out + int64_t(j) * depth * kPanel;
    const int c0 = j * kPanel;
    const int width = std::min(kPanel, cols - c0);
    for (int k = 0; k < depth; k++) {
      float* dst = panel + int64_t(k) * kPanel;
      int t = 0;
      for (; t < width; t++) dst[t] = src[k * rowStride + (c0 + t) * colStride];
      for (; t < kPanel; t++) dst[t] = 0.0f;
    }
  }
}

/** Packs a [depth, cols] row-major matrix (row stride `ld`) into column panels of kPanel, zero-padded. */
void packPanels(const float* src, int depth, int cols, int64_t ld, float* out) { packPanelsStrided(src, depth, cols, ld, 1, out); }

/** Runs the micro-kernel over every (row panel, column panel) pair and hands each tile to `emit(row, col, tile)`. */
template <typename Emit>
void multiplyPanels(int depth, const float* aPanels, int rows, const float* bPanels, int cols, Emit emit) {
  const int rowPanels = (rows + kRows - 1) / kRows;
  const int colPanels = (cols + kPanel - 1) / kPanel;
  alignas(32) float tile[kRows][kPanel];
  for (int j = 0; j < colPanels; j++) {
    const float* b = bPanels + int64_t(j) * depth * kPanel;
    const bool narrow = cols - j * kPanel <= kLanes;
    for (int i = 0; i < rowPanels; i++) {
      const float* a = aPanels + int64_t(i) * depth * kRows;
      if (narrow) {
        vec acc[kRows][1];
        microKernel<1>(depth, a, b, kPanel, acc);
        for (int r = 0; r < kRows; r++) store(tile[r], acc[r][0]);
      } else {
        vec acc[kRows][2];
        microKernel<2>(depth, a, b, kPanel, acc);
        for (int r = 0; r < kRows; r++) {
          store(tile[r], acc[r][0]);
          store(tile[r] + kLanes, acc[r][1]);
        }
      }
      emit(i * kRows, j * kPanel, tile);
    }
  }
}

/**
 * `x` [N, H, W, C] copied into [N, Hp, Wp, C] with its pixel (0, 0) at (top, left) and zeros around it (rows and
 * columns past Hp, Wp dropped): then every window of a convolution lies inside, and no tap needs a bounds check.
 */
const float* padded(const float* x, int n, int h, int w, int c, int hp, int wp, int top, int left) {
  float* out = sized(scratch.pad, size_t(n) * hp * wp * c);
  const size_t row = size_t(wp) * c;
  parallelFor(n, 4, [&](int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; b++) {
    for (int i = 0; i < hp; i++) {
      float* dst = out + (size_t(b) * hp + i) * row;
      const int si = i - top;
      if (si < 0 || si >= h) {
        std::memset(dst, 0, sizeof(float) * row);
        continue;
      }
      const int j0 = std::max(0, left);             // first column of dst holding an input pixel
      const int j1 = std::min(wp, w + left);        // one past the last
      const float* src = x + ((size_t(b) * h + si) * w) * c;
      if (j0 > 0) std::memset(dst, 0, sizeof(float) * size_t(std::min(j0, wp)) * c);
      if (j1 > j0) std::memcpy(dst + size_t(j0) * c, src + size_t(j0 - left) * c, sizeof(float) * size_t(j1 - j0) * c);
      const int tail = std::max(j0, j1);
      if (tail < wp) std::memset(dst + size_t(tail) * c, 0, sizeof(float) * size_t(wp - tail) * c);
    }
  }
  });
  return out;
}

/** Offsets of the K taps (p, q, ci) from a window's first value in a [.., Hp, Wp, C] image, in filter order. */
const int* tapOffsets(int kh, int kw, int c, int wp, int padTo) {
  const int K = kh * kw * c;
  int* off = sized(scratch.offsets, size_t(std::max(K, padTo)));
  int k = 0;
  for (int p = 0; p < kh; p++)
    for (int q = 0; q < kw; q++)
      for (int ci = 0; ci < c; ci++) off[k++] = (p * wp + q) * c + ci;
  for (; k < padTo; k++) off[k] = 0;
  return off;
}

typedef double dvec __attribute__((vector_size(32)));  // 4 doubles
typedef float hvec __attribute__((vector_size(16)));   // 4 floats

/** out[0..8) += v * v, squared in float64. */
inline void addWidenedSquares(double* out, vec v) {
  const hvec lo = {v[0], v[1], v[2], v[3]};
  const hvec hi = {v[4], v[5], v[6], v[7]};
  const dvec l = __builtin_convertvector(lo, dvec);
  const dvec h = __builtin_convertvector(hi, dvec);
  dvec a, b;
  std::memcpy(&a, out, sizeof a);
  std::memcpy(&b, out + 4, sizeof b);
  a += l * l;
  b += h * h;
  std::memcpy(out, &a, sizeof a);
  std::memcpy(out + 4, &b, sizeof b);
}

/** out[0..8) += v, in float64. */
inline void addWidened(double* out, vec v) {
  const hvec lo = {v[0], v[1], v[2], v[3]};
  const hvec hi = {v[4], v[5], v[6], v[7]};
  dvec a, b;
  std::memcpy(&a, out, sizeof a);
  std::memcpy(&b, out + 4, sizeof b);
  a += __builtin_convertvector(lo, dvec);
  b += __builtin_convertvector(hi, dvec);
  std::memcpy(out, &a, sizeof a);
  std::memcpy(out + 4, &b, sizeof b);
}

/**
 * Channel statistics of a convolution's or product's output, for the batch norm that reads it: per chunk of
 * output rows, sum[O'] then sum of squares[O'] in float64, O' = O rounded up to whole panels (the padding unread).
 */
inline int64_t statsStride(const Geometry& g) { return (g.o + kPanel - 1) / kPanel * kPanel; }

/**
 * The direct micro-kernel: acc[r][v] = sum over taps k of base[r][off[k]] * b[k*kPanel + v*8 ..], for MR output
 * pixels whose windows start at base[r]. The image's values are read in place: no column matrix is built.
 */
template <int MR, int NV>
inline void directTile(int K, const int* off, const float* const* base, const float* b, vec acc[MR][NV]) {
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = vec{};
  for (int k = 0; k < K; k++) {
    vec bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = load(b + int64_t(k) * kPanel + v * kLanes);
    const int o = off[k];
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const vec s = splat(base[r][o]);
      for (int v = 0; v < NV; v++) acc[r][v] += s * bv[v];
    }
  }
}

/** Y [N, OH, OW, O] = the stride (sh, sw) convolution of the padded image xp [N, Hp, Wp, C] with packed filter panels. */
template <int MR, int NV>
void directPanel(const Geometry& g, const float* xp, int hp, int wp, const int* off, const float* panel, int c0,
                 const float* bias, bool relu, float* y, int64_t mBegin, int64_t M, double* stats) {
  const int K = g.taps();
  const int nc = std::min(NV * kLanes, g.o - c0);
  const float* base[MR];
  alignas(32) float tile[NV * kLanes];
  alignas(32) float biasLanes[NV * kLanes] = {};
  for (int t = 0; t < nc; t++) biasLanes[t] = bias != nullptr ? bias[c0 + t] : 0.0f;
  vec biasVec[NV];
  for (int v = 0; v < NV; v++) biasVec[v] = load(biasLanes + v * kLanes);
  const vec zero = vec{};
  PixelCursor cursor(g, hp, wp, mBegin);
  for (int64_t m0 = mBegin; m0 < M; m0 += MR) {
    const int rows = int(std::min<int64_t>(MR, M - m0));
    for (int r = 0; r < MR; r++) {
      base[r] = xp + cursor.offset();
      if (r + 1 < rows) cursor.next();
    }
    cursor.next();
    vec acc[MR][NV];
    directTile<MR, NV>(K, off, base, panel, acc);
    // The tile's sums and sums of squares per channel, in float32 over its MR rows, then added into the float64
    // totals once per tile. Padded lanes (past O) hold zeros and land in the sums' padding, which nobody reads.
    vec sum[NV] = {}, squares[NV] = {};
    for (int r = 0; r < rows; r++) {
      float* out = y + (m0 + r) * g.o + c0;
      for (int v = 0; v < NV; v++) {
        vec value = acc[r][v] + biasVec[v];
        if (relu) value = value < zero ? zero : value;
        sum[v] += value;
        squares[v] += value * value;
        if (nc == NV * kLanes) store(out + v * kLanes, value);
        else store(tile + v * kLanes, value);
      }
      if (nc != NV * kLanes) std::memcpy(out, tile, sizeof(float) * nc);
    }
    if (stats != nullptr)
      for (int v = 0; v < NV; v++) {
        addWidened(stats + c0 + v * kLanes, sum[v]);
        addWidened(stats + statsStride(g) + c0 + v * kLanes, squares[v]);
      }
  }
}

/**
 * The narrow forward kernel, for stride 1 and few output channels (LeNet's layers, a first layer on one channel,
 * the input gradient of a layer with few input channels): vectors run along the output pixels instead of the
 * channels. The image is copied zero-padded into planes ([C, Hp, Wp] per image, a tail of zeros after each), so
 * the values of one tap for NP*8 consecutive outputs (along the padded rows, the Wp - OW columns past each row
 * computed and dropped) are NP vector loads, and each output channel's weight is one broadcast: OG x NP vectors of
 * accumulators for OG output channels at a time.
 */
template <int OG, int NP>
void narrowGroup(const Geometry& g, const float* planes, int64_t planeValues, int wp, const int* off,
                 const float* weights, int o0, const float* bias, bool relu, float* y, int64_t b0, int64_t b1,
                 double* partials) {
  const int og = std::min(OG, g.o - o0);
  const int64_t span = int64_t(g.oh - 1) * wp + g.ow;  // the padded-grid positions holding outputs
  alignas(32) float tile[OG][NP * kLanes];
  for (int64_t b = b0; b < b1; b++) {
    const float* image = planes + b * planeValues;
    float* out = y + int64_t(b) * g.oh * g.ow * g.o;
    for (int64_t q0 = 0; q0 < span; q0 += NP * kLanes) {
      vec acc[OG][NP];
      for (int o = 0; o < OG; o++)
        for (int v = 0; v < NP; v++) acc[o][v] = vec{};
      const float* at = image + q0;
      // Only the filter rows that reach the image's rows from this group's output rows: the others read padding
      // (zeros) alone. The taps run row by row (p, then q and channel), so those rows are one range of k.
      const int r0 = int(q0 / wp), r1 = int((std::min<int64_t>(span, q0 + NP * kLanes) - 1) / wp);
      const int pLo = std::max(0, g.top - r1), pHi = std::min(g.kh, g.top + g.h - r0);
      const int kLo = pLo * g.kw * g.c, kHi = std::max(kLo, pHi * g.kw * g.c);
      for (int k = kLo; k < kHi; k++) {
        const float* src = at + off[k];
        vec xv[NP];
        for (int v = 0; v < NP; v++) xv[v] = load(src + v * kLanes);
        const float* wk = weights + int64_t(k) * kLanes + o0;
        for (int o = 0; o < OG; o++) {
          const vec s = splat(wk[o]);
          for (int v = 0; v < NP; v++) acc[o][v] += s * xv[v];
        }
      }
      for (int o = 0; o < OG; o++)
        for (int v = 0; v < NP; v++) store(tile[o] + v * kLanes, acc[o][v]);
      const int64_t q1 = std::min<int64_t>(span, q0 + NP * kLanes);
      int64_t oy = q0 / wp;
      int ox = int(q0 - oy * wp);
      for (int64_t q = q0; q < q1; q++) {
        if (ox < g.ow) {
          float* dst = out + (oy * g.ow + ox) * g.o + o0;
          const int t = int(q - q0);
          for (int o = 0; o < og; o++) {
            float value = tile[o][t] + (bias != nullptr ? bias[o0 + o] : 0.0f);
            if (relu && value < 0.0f) value = 0.0f;
            dst[o] = value;
            if (partials != nullptr) {
              double* partial = partials + b * 2 * statsStride(g);
              partial[o0 + o] += value;
              partial[statsStride(g) + o0 + o] += double(value) * value;
            }
          }
        }
        if (++ox == wp) ox = 0, oy++;
      }
    }
  }
}

void sumPartials(const double* partials, int64_t count, int64_t stride, int o, double* stats);

/** Whether the narrow kernel serves this convolution: stride 1 and at most 8 output channels. */
bool narrowFits(const Geometry& g) { return g.sh == 1 && g.sw == 1 && g.o <= kLanes; }

/** The narrow kernels' planar copy of x: per image, C planes of HP x WP (padding zero), then zeros for reach. */
struct Planes {
  int hp, wp;
  int64_t values;  // per image
  const float* data;
};

/** x [N, H, W, C] as planes padded for a stride-1 window of KH x KW (the padding as the geometry places it). */
Planes planarPadded(const Geometry& g, const float* x) {
  const int hp = g.oh - 1 + g.kh;
  const int wp = g.ow - 1 + g.kw;
  // Each image's planes, then room for the last vectors' reach past the last output (zeros).
  const int64_t planeValues = int64_t(g.c) * hp * wp + wp + 4 * kLanes;
  float* planes = sized(scratch.pad, size_t(g.n) * planeValues);
  parallelFor(g.n, 8, [&](int64_t b0, int64_t b1) {
  std::memset(planes + b0 * planeValues, 0, sizeof(float) * size_t(b1 - b0) * planeValues);
  for (int64_t b = b0; b < b1; b++) {
    const float* image = x + b * g.h * g.w * g.c;
    float* dst = planes + b * planeValues;
    // The columns of a padded row that hold image pixels: j in [j0, j1), source column j - left.
    const int j0 = std::max(0, g.left), j1 = std::min(wp, g.w + g.left);
    for (int i = 0; i < hp; i++) {
      const int si = i - g.top;
      if (si < 0 || si >= g.h || j1 <= j0) continue;
      const float* row = image + (int64_t(si) * g.w + (j0 - g.left)) * g.c;
      if (g.c == 1) {
        std::memcpy(dst + int64_t(i) * wp + j0, row, sizeof(float) * size_t(j1 - j0));
        continue;
      }
      for (int j = j0; j < j1; j++, row += g.c)
        for (int ci = 0; ci < g.c; ci++) dst[(int64_t(ci) * hp + i) * wp + j] = row[ci];
    }
  }
  });
  return {hp, wp, planeValues, planes};
}

/** Each tap's (p, q, ci) offset in the planes from an output's grid position, in filter order. */
const int* planeOffsets(const Geometry& g, int hp, int wp) {
  int* off = sized(scratch.offsets, size_t(g.taps()));
  for (int p = 0, k = 0; p < g.kh; p++)
    for (int q = 0; q < g.kw; q++)
      for (int ci = 0; ci < g.c; ci++) off[k++] = (ci * hp + p) * wp + q;
  return off;
}

void narrowForward(const Geometry& g, const float* x, const float* filter, const float* bias, float* y, bool relu,
                   double* stats) {
  const int K = g.taps();
  const Planes pl = planarPadded(g, x);
  const int hp = pl.hp, wp = pl.wp;
  const int64_t planeValues = pl.values;
  const float* planes = pl.data;
  const int* off = planeOffsets(g, hp, wp);
  // Weights as [K, 8], the channels past O zero.
  float* weights = sized(scratch.b, size_t(K) * kLanes);
  for (int k = 0; k < K; k++)
    for (int o = 0; o < kLanes; o++) weights[int64_t(k) * kLanes + o] = o < g.o ? filter[int64_t(k) * g.o + o] : 0.0f;
  // With statistics, a partial per image, added in image order.
  std::vector<double> partials(stats != nullptr ? size_t(g.n) * 2 * statsStride(g) : 0, 0.0);
  double* p = stats != nullptr ? partials.data() : nullptr;
  parallelFor(g.n, 1, [&](int64_t b0, int64_t b1) {
    if (g.o <= 2) narrowGroup<2, 4>(g, planes, planeValues, wp, off, weights, 0, bias, relu, y, b0, b1, p);
    else if (g.o <= 4) narrowGroup<4, 3>(g, planes, planeValues, wp, off, weights, 0, bias, relu, y, b0, b1, p);
    else if (g.o <= 6) narrowGroup<6, 2>(g, planes, planeValues, wp, off, weights, 0, bias, relu, y, b0, b1, p);
    else narrowGroup<8, 1>(g, planes, planeValues, wp, off, weights, 0, bias, relu, y, b0, b1, p);
  });
  if (stats != nullptr) sumPartials(partials.data(), g.n, statsStride(g), g.o, stats);
}

/** stats[0..O) = the partials' sums, stats[O..2O) their sums of squares, added in partial order. */
void sumPartials(const double* partials, int64_t count, int64_t stride, int o, double* stats) {
  std::fill(stats, stats + 2 * o, 0.0);
  for (int64_t p = 0; p < count; p++)
    for (int c = 0; c < o; c++) {
      stats[c] += partials[p * 2 * stride + c];
      stats[o + c] += partials[p * 2 * stride + stride + c];
    }
}

/** Y = X (*) W + bias, then relu when `relu`: the direct kernel over a padded copy of X. */
void forward(const Geometry& g, const float* x, const float* filter, const float* bias, float* y, bool relu,
             double* stats = nullptr) {
  if (narrowFits(g)) return narrowForward(g, x, filter, bias, y, relu, stats);
  const int K = g.taps();
  const int hp = (g.oh - 1) * g.sh + g.kh;
  const int wp = (g.ow - 1) * g.sw + g.kw;
  const float* xp = padded(x, g.n, g.h, g.w, g.c, hp, wp, g.top, g.left);
  const int* off = tapOffsets(g.kh, g.kw, g.c, wp, K);
  const int panels = (g.o + kPanel - 1) / kPanel;
  float* bp = sized(scratch.b, size_t(panels) * K * kPanel);
  packPanels(filter, K, g.o, g.o, bp);
  // Chunks of whole 12-pixel tiles (a multiple of both micro-tiles' rows), split between the cores. With
  // statistics, each chunk sums into its own partial and the partials are added in chunk order: the same bits
  // however many cores ran.
  const int64_t M = g.pixels();
  constexpr int64_t chunkRows = 64 * 12;
  const int64_t chunks = (M + chunkRows - 1) / chunkRows;
  const int64_t stride = statsStride(g);
  std::vector<double> partials(stats != nullptr ? size_t(chunks * 2 * stride) : 0, 0.0);
  parallelFor(chunks, 1, [&](int64_t chunk0, int64_t chunk1) {
    for (int64_t chunk = chunk0; chunk < chunk1; chunk++) {
      const int64_t m0 = chunk * chunkRows;
      const int64_t m1 = std::min(M, m0 + chunkRows);
      double* partial = stats != nullptr ? partials.data() + chunk * 2 * stride : nullptr;
      for (int j = 0; j < panels; j++) {
        const float* panel = bp + int64_t(j) * K * kPanel;
        if (g.o - j * kPanel <= kLanes) directPanel<12, 1>(g, xp, hp, wp, off, panel, j * kPanel, bias, relu, y, m0, m1, partial);
        else directPanel<6, 2>(g, xp, hp, wp, off, panel, j * kPanel, bias, relu, y, m0, m1, partial);
      }
    }
  });
  if (stats != nullptr) sumPartials(partials.data(), chunks, stride, g.o, stats);
}

/** dX from dY: D = dY * W^T tile by tile, each row's taps added onto the input rows they came from. */
void inputGrad(const Geometry& g, const float* dy, const float* filter, float* dx) {
  const int K = g.taps();
  const int O = g.o;
  if (g.sh == 1 && g.sw == 1 && g.top <= g.kh - 1 && g.left <= g.kw - 1) {
    // Stride 1: dX is the convolution of dY (padded by K-1-pad) with the filter turned 180 degrees, C and O swapped.
    float* turned = sized(scratch.c, size_t(K) * O);
    for (int p = 0; p < g.kh; p++)
      for (int q = 0; q < g.kw; q++)
        for (int oi = 0; oi < O; oi++)
          for (int ci = 0; ci < g.c; ci++)
            turned[((int64_t(p) * g.kw + q) * O + oi) * g.c + ci] =
                filter[((int64_t(g.kh - 1 - p) * g.kw + (g.kw - 1 - q)) * g.c + ci) * O + oi];
    const Geometry back{g.n, g.oh, g.ow, O, g.h, g.w, g.c, g.kh, g.kw, 1, 1, g.kh - 1 - g.top, g.kw - 1 - g.left};
    forward(back, dy, turned, nullptr, dx, false);
    return;
  }
  // W^T [O, K] in column panels of K.
  float* wt = sized(scratch.c, size_t(O) * K);
  for (int k = 0; k < K; k++)
    for (int oi = 0; oi < O; oi++) wt[int64_t(oi) * K + k] = filter[int64_t(k) * O + oi];
  float* bp = sized(scratch.b, size_t((K + kPanel - 1) / kPanel) * O * kPanel);
  packPanels(wt, O, K, K, bp);
  // Images split between the cores: the rows a core scatters onto belong to its own images only.
  parallelFor(g.n, 1, [&](int64_t b0, int64_t b1) {
  const int64_t image = int64_t(g.h) * g.w * g.c;
  std::memset(dx + b0 * image, 0, sizeof(float) * size_t((b1 - b0) * image));
  const int64_t M = b1 * g.oh * g.ow;
  float* ap = sized(scratch.a, size_t(kTile) * O + size_t(kTile) * K);
  float* cols = ap + size_t(kTile) * O;
  for (int64_t m0 = b0 * g.oh * g.ow; m0 < M; m0 += kTile) {
    const int rows = int(std::min<int64_t>(kTile, M - m0));
    const int panels = (rows + kRows - 1) / kRows;
    for (int i = 0; i < panels; i++) {
      float* panel = ap + int64_t(i) * O * kRows;
      for (int r = 0; r < kRows; r++) {
        const int row = i * kRows + r;
        const float* src = dy + (m0 + row) * O;
        for (int oi = 0; oi < O; oi++) panel[oi * kRows + r] = row < rows ? src[oi] : 0.0f;
      }
    }
    multiplyPanels(O, ap, rows, bp, K, [&](int r0, int c0, const float (*tile)[kPanel]) {
      const int nr = std::min(kRows, rows - r0);
      const int nc = std::min(kPanel, K - c0);
      for (int r = 0; r < nr; r++) std::memcpy(cols + int64_t(r0 + r) * K + c0, tile[r], sizeof(float) * nc);
    });
    for (int r = 0; r < rows; r++) {
      const Pixel px = pixelOf(g, m0 + r);
      const float* src = cols + int64_t(r) * K;
      for (int p = 0; p < g.kh; p++) {
        for (int q = 0; q < g.kw; q++, src += g.c) {
          float* dst = const_cast<float*>(tapSource(g, dx, px, p, q));
          if (dst == nullptr) continue;
          int ci = 0;
          for (; ci + kLanes <= g.c; ci += kLanes) store(dst + ci, load(dst + ci) + load(src + ci));
          for (; ci < g.c; ci++) dst[ci] += src[ci];
        }
      }
    }
  }
  });
}

/**
 * The narrow filter gradient, for stride 1 and few output channels (LeNet's first layer): lanes run along the
 * output positions as in narrowForward. dY is laid out per image as O planes on the padded grid's width (zeros in
 * the columns past OW), so dW[k][o] is the dot product of the image's plane shifted by tap k's offset with dY's
 * plane o: TB taps x O channels of accumulators, each position vector one load per tap and one per channel, no
 * broadcasts. Images go in chunks of kChunk whose float64 partials are added in chunk order (the same bits on any
 * number of cores).
 */
template <int TB, int O>
void narrowTaps(int K, const float* image, const float* dyPlanes, int64_t spanVectors, int64_t dyStride, const int* off,
                double* partial) {
  for (int k0 = 0; k0 < K; k0 += TB) {
    const int tb = std::min(TB, K - k0);
    vec acc[TB][O];
    for (int t = 0; t < TB; t++)
      for (int o = 0; o < O; o++) acc[t][o] = vec{};
    const float* src[TB];
    for (int t = 0; t < TB; t++) src[t] = image + off[k0 + std::min(t, tb - 1)];
    for (int64_t v = 0; v < spanVectors * kLanes; v += kLanes) {
      // TB image vectors held, each channel's dY vector loaded once and used for every tap (TB*O + TB + 1 registers).
      vec xv[TB];
      for (int t = 0; t < TB; t++) xv[t] = load(src[t] + v);
      for (int o = 0; o < O; o++) {
        const vec d = load(dyPlanes + o * dyStride + v);
        for (int t = 0; t < TB; t++) acc[t][o] += xv[t] * d;
      }
    }
    for (int t = 0; t < tb; t++)
      for (int o = 0; o < O; o++) {
        double sum = 0;
        for (int l = 0; l < kLanes; l++) sum += acc[t][o][l];
        partial[int64_t(k0 + t) * O + o] += sum;
      }
  }
}

void narrowFilterGrad(const Geometry& g, const float* x, const float* dy, float* dw) {
  constexpr int64_t kChunk = 4;
  const int K = g.taps();
  const Planes pl = planarPadded(g, x);
  const int* off = planeOffsets(g, pl.hp, pl.wp);
  const int64_t span = int64_t(g.oh - 1) * pl.wp + g.ow;
  const int64_t spanVectors = (span + kLanes - 1) / kLanes;
  const int64_t dyStride = spanVectors * kLanes;
  const int O = g.o <= 2 ? 2 : g.o <= 4 ? 4 : g.o <= 6 ? 6 : 8;  // channels computed (those past g.o are zero)
  const int64_t chunks = (g.n + kChunk - 1) / kChunk;
  std::vector<double> partials(size_t(chunks) * K * O, 0.0);
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
    // Zeros once: the transposes below write only the output positions, so the columns past OW stay zero.
    std::vector<float> dyPlanes(size_t(O) * dyStride, 0.0f);
    for (int64_t chunk = c0; chunk < c1; chunk++) {
      double* partial = partials.data() + chunk * K * O;
      for (int64_t b = chunk * kChunk; b < std::min<int64_t>(g.n, (chunk + 1) * kChunk); b++) {
        const float* from = dy + b * g.oh * g.ow * g.o;
        for (int oy = 0; oy < g.oh; oy++) {
          float* to = dyPlanes.data() + int64_t(oy) * pl.wp;
          for (int ox = 0; ox < g.ow; ox++, from += g.o)
            for (int o = 0; o < g.o; o++) to[o * dyStride + ox] = from[o];
        }
        const float* image = pl.data + b * pl.values;
        if (O == 2) narrowTaps<6, 2>(K, image, dyPlanes.data(), spanVectors, dyStride, off, partial);
        else if (O == 4) narrowTaps<3, 4>(K, image, dyPlanes.data(), spanVectors, dyStride, off, partial);
        else if (O == 6) narrowTaps<2, 6>(K, image, dyPlanes.data(), spanVectors, dyStride, off, partial);
        else narrowTaps<1, 8>(K, image, dyPlanes.data(), spanVectors, dyStride, off, partial);
      }
    }
  });
  for (int64_t chunk = 1; chunk < chunks; chunk++)
    for (int64_t i = 0; i < int64_t(K) * O; i++) partials[size_t(i)] += partials[size_t(chunk * K * O + i)];
  for (int k = 0; k < K; k++)
    for (int o = 0; o < g.o; o++) dw[int64_t(k) * g.o + o] = float(partials[size_t(int64_t(k) * O + o)]);
}

/**
 * dW = A^T * dY, direct: for a tile of pixels, kRows taps (read in place from the padded image through their
 * offsets) against column vectors of dY, accumulated in registers over the tile and summed across tiles in float64,
 * chunks of tiles split between the cores.
 */
void filterGrad(const Geometry& g, const float* x, const float* dy, float* dw) {
  if (narrowFits(g)) return narrowFilterGrad(g, x, dy, dw);
  const int K = g.taps();
  const int O = g.o;
  const int64_t M = g.pixels();
  const int hp = (g.oh - 1) * g.sh + g.kh;
  const int wp = (g.ow - 1) * g.sw + g.kw;
  const float* xp = padded(x, g.n, g.h, g.w, g.c, hp, wp, g.top, g.left);
  const int kPadded = (K + kRows - 1) / kRows * kRows;
  const int oPadded = (O + kLanes - 1) / kLanes * kLanes;
  const int* off = tapOffsets(g.kh, g.kw, g.c, wp, kPadded);
  constexpr int tileRows = 256;
  const bool direct = O == oPadded;
  // The pixels in chunks whose size depends on M alone (at most 64 chunks, whole tiles): each chunk sums into its
  // own float64 partial and the partials are added in chunk order, so the result is the same bits however many
  // cores share the chunks, and each core reads only its chunks' share of X and dY.
  const int64_t tiles = (M + tileRows - 1) / tileRows;
  const int64_t tilesPerChunk = std::max<int64_t>(2, (tiles + 63) / 64);
  const int64_t chunks = (tiles + tilesPerChunk - 1) / tilesPerChunk;
  const size_t partialValues = size_t(kPadded) * oPadded;
  double* partials = sized(scratch.d, size_t(chunks) * partialValues);
  std::fill(partials, partials + size_t(chunks) * partialValues, 0.0);
  const int64_t blockBegin = 0, blockEnd = kPadded / kRows;
  parallelFor(chunks, 1, [&](int64_t chunk0, int64_t chunk1) {
  int64_t* bases = sized(scratch.bases, tileRows);
  float* dyTile = direct ? nullptr : sized(scratch.a, size_t(tileRows) * oPadded);
  PixelCursor cursor(g, hp, wp, chunk0 * tilesPerChunk * tileRows);
  for (int64_t m0 = chunk0 * tilesPerChunk * tileRows; m0 < std::min(M, chunk1 * tilesPerChunk * tileRows); m0 += tileRows) {
    double* sum = partials + size_t(m0 / tileRows / tilesPerChunk) * partialValues;
    const int rows = int(std::min<int64_t>(tileRows, M - m0));
    for (int r = 0; r < rows; r++, cursor.next()) bases[r] = cursor.offset();
    const float* dyRows = dy + m0 * O;
    if (!direct) {
      for (int r = 0; r < rows; r++) {
        std::memcpy(dyTile + int64_t(r) * oPadded, dyRows + int64_t(r) * O, sizeof(float) * O);
        std::memset(dyTile + int64_t(r) * oPadded + O, 0, sizeof(float) * (oPadded - O));
      }
      dyRows = dyTile;
    }
    // Output columns outside, taps inside: a column block of the tile's dY stays in L1 while every tap block reads it.
    for (int o0 = 0; o0 < oPadded; o0 += 2 * kLanes) {
      const bool pair = o0 + 2 * kLanes <= oPadded;
      for (int k0 = int(blockBegin) * kRows; k0 < int(blockEnd) * kRows; k0 += kRows) {
        int o[kRows];
        for (int t = 0; t < kRows; t++) o[t] = off[k0 + t];
        if (pair) {
          vec acc[kRows][2] = {};
          for (int r = 0; r < rows; r++) {
            const float* a = xp + bases[r];
            const vec b0 = load(dyRows + int64_t(r) * oPadded + o0);
            const vec b1 = load(dyRows + int64_t(r) * oPadded + o0 + kLanes);
#pragma GCC unroll 6
            for (int t = 0; t < kRows; t++) {
              const vec s = splat(a[o[t]]);
              acc[t][0] += s * b0;
              acc[t][1] += s * b1;
            }
          }
          for (int t = 0; t < kRows; t++) {
            double* out = sum + int64_t(k0 + t) * oPadded + o0;
            addWidened(out, acc[t][0]);
            addWidened(out + kLanes, acc[t][1]);
          }
        } else {
          vec acc[kRows] = {};
          for (int r = 0; r < rows; r++) {
            const float* a = xp + bases[r];
            const vec b0 = load(dyRows + int64_t(r) * oPadded + o0);
#pragma GCC unroll 6
            for (int t = 0; t < kRows; t++) acc[t] += splat(a[o[t]]) * b0;
          }
          for (int t = 0; t < kRows; t++) addWidened(sum + int64_t(k0 + t) * oPadded + o0, acc[t]);
        }
      }
    }
  }
  });
  for (int64_t chunk = 1; chunk < chunks; chunk++)
    for (size_t i = 0; i < partialValues; i++) partials[i] += partials[size_t(chunk) * partialValues + i];
  for (int k = 0; k < K; k++)
    for (int oi = 0; oi < O; oi++) dw[int64_t(k) * O + oi] = float(partials[int64_t(k) * oPadded + oi]);
}

}  // namespace

void conv2dForward(const Geometry& g, const float* x, const float* filter, const float* bias, float* y, bool relu,
                   double* stats) {
  forward(g, x, filter, bias, y, relu, stats);
}
void conv2dInputGrad(const Geometry& g, const float* dy, const float* filter, float* dx) { inputGrad(g, dy, filter, dx); }
void conv2dFilterGrad(const Geometry& g, const float* x, const float* dy, float* dw) { filterGrad(g, x, dy, dw); }

/**
 * C = A B (+ bias, then relu) for `batch` pairs of matrices: A is [M, K] ([K, M] when transA), B is [K, N] ([N, K]
 * when transB), C is [M, N]; the dense layers' products and both their gradients. B is packed into column panels
 * once per pair; rows of A are packed in tiles, the tiles split between cores.
 */
void matmul(const float* a, const float* b, const float* bias, float* c, int64_t batch, int M, int N, int K, bool transA,
            bool transB, bool relu) {
  const int panels = (N + kPanel - 1) / kPanel;
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = a + i * M * K;
    const float* bi = b + i * K * N;
    float* ci = c + i * M * N;
    float* bp = sized(scratch.b, size_t(panels) * K * kPanel);
    if (transB) packPanelsStrided(bi, K, N, 1, K, bp);
    else packPanels(bi, K, N, N, bp);
    // Tiles of up to kTile rows, smaller where that leaves fewer than two a core (a dense layer's 256 rows).
    const int tile = int(std::clamp<int64_t>((M + 2 * threads() - 1) / (2 * threads()) + kRows - 1, kRows, kTile) / kRows * kRows);
    parallelFor((M + tile - 1) / tile, 1, [&](int64_t t0, int64_t t1) {
      float* ap = sized(scratch.a, size_t(kTile) * K);
      for (int64_t m0 = t0 * tile; m0 < std::min<int64_t>(M, t1 * tile); m0 += tile) {
        const int rows = int(std::min<int64_t>(tile, M - m0));
        for (int p = 0; p < (rows + kRows - 1) / kRows; p++) {
          float* panel = ap + int64_t(p) * K * kRows;
          for (int r = 0; r < kRows; r++) {
            const int64_t m = m0 + p * kRows + r;
            if (p * kRows + r >= rows) {
              for (int k = 0; k < K; k++) panel[k * kRows + r] = 0.0f;
            } else if (transA) {
              for (int k = 0; k < K; k++) panel[k * kRows + r] = ai[int64_t(k) * M + m];
            } else {
              const float* row = ai + m * K;
              for (int k = 0; k < K; k++) panel[k * kRows + r] = row[k];
            }
          }
        }
        multiplyPanels(K, ap, rows, bp, N, [&](int r0, int c0, const float (*tile)[kPanel]) {
          const int nr = std::min(kRows, rows - r0);
          const int nc = std::min(kPanel, N - c0);
          for (int r = 0; r < nr; r++) {
            float* out = ci + (m0 + r0 + r) * N + c0;
            for (int t = 0; t < nc; t++) {
              const float v = tile[r][t] + (bias != nullptr ? bias[c0 + t] : 0.0f);
              out[t] = relu && v < 0.0f ? 0.0f : v;
            }
          }
        });
      }
    });
  }
}

}  // namespace netc
