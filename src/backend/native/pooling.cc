// netc's native max pooling, forward and gradient, for NHWC float32 tensors: eight channels at a time in 256-bit
// SIMD (simd.h), the windows clipped to the image (as padding with -inf). The gradient sends each window's dY to the
// first position holding its largest value (row-major order within the window), as tfjs and the wasm kernels do;
// a window of NaNs or -infs sends it nowhere. Also the padding of images along their rows and columns (before a
// strided convolution) and its gradient, the cut back out: row copies.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "simd.h"

namespace netc {
namespace {

typedef int32_t ivec __attribute__((vector_size(32)));  // 8 int32 lanes, beside vec's 8 floats

/** The rows [r0, r1) and columns [c0, c1) of output (i, j)'s window that lie inside the image. */
struct Window {
  int r0, r1, c0, c1;
};
inline Window windowOf(const Geometry& g, int i, int j) {
  return {std::max(0, i * g.sh - g.top), std::min(g.h, i * g.sh - g.top + g.kh),
          std::max(0, j * g.sw - g.left), std::min(g.w, j * g.sw - g.left + g.kw)};
}

}  // namespace

/**
 * f(ch0) for the groups of eight of a row of C channels, fs(ch) for the channels left one by one. Where `overlap`
 * (f writes values, not sums) and C >= 8, the last group moves back to end at C instead, overlapping the one before.
 */
template <typename Vector, typename Scalar>
inline void channelGroups(int c, bool overlap, Vector f, Scalar fs) {
  if (overlap && c >= kLanes) {
    for (int ch = 0; ch < c; ch += kLanes) f(std::min(ch, c - kLanes));
    return;
  }
  const int c8 = c / kLanes * kLanes;
  for (int ch = 0; ch < c8; ch += kLanes) f(ch);
  for (int ch = c8; ch < c; ch++) fs(ch);
}

/** Whether the windows tile the image exactly (LeNet's 2x2, stride 2): every position lies in one window. */
inline bool windowsTile(const Geometry& g) {
  return g.sh == g.kh && g.sw == g.kw && g.top == 0 && g.left == 0 && g.oh * g.kh == g.h && g.ow * g.kw == g.w;
}

/** out[t] = in[t] (+ out[t] when `add`) for t < n, eight at a time. */
inline void rowCopy(const float* in, float* out, int64_t n, bool add) {
  int64_t t = 0;
  for (; t + kLanes <= n; t += kLanes) store(out + t, add ? load(out + t) + load(in + t) : load(in + t));
  for (; t < n; t++) out[t] = add ? out[t] + in[t] : in[t];
}

void avgPool(const Geometry& g, const float* x, float* y) {
  const int64_t rowValues = int64_t(g.w) * g.c;
  parallelFor(g.n, 1, [&](int64_t b0, int64_t b1) {
  std::vector<float> sums(windowsTile(g) ? size_t(rowValues) : 0);
  for (int64_t b = b0; b < b1; b++) {
    const float* image = x + b * g.h * rowValues;
    for (int i = 0; i < g.oh; i++) {
      float* out = y + (int64_t(b) * g.oh + i) * g.ow * g.c;
      if (windowsTile(g)) {
        // The window rows summed along whole image rows (contiguous, eight at a time), then each window's columns.
        for (int p = 0; p < g.kh; p++) rowCopy(image + (int64_t(i) * g.kh + p) * rowValues, sums.data(), rowValues, p > 0);
        const float inv = 1.0f / float(g.kh * g.kw);
        for (int j = 0; j < g.ow; j++)
          for (int ch = 0; ch < g.c; ch++) {
            float sum = 0.0f;
            for (int q = 0; q < g.kw; q++) sum += sums[size_t((j * g.kw + q) * g.c + ch)];
            out[int64_t(j) * g.c + ch] = sum * inv;
          }
        continue;
      }
      for (int j = 0; j < g.ow; j++) {
        const Window win = windowOf(g, i, j);
        // The mean of the window's positions inside the image (tfjs leaves padding out of the count).
        const int count = (win.r1 - win.r0) * (win.c1 - win.c0);
        const float inv = count > 0 ? 1.0f / float(count) : 0.0f;
        float* to = out + int64_t(j) * g.c;
        channelGroups(
            g.c, true,
            [&](int ch) {
              vec sum = vec{};
              for (int r = win.r0; r < win.r1; r++)
                for (int s = win.c0; s < win.c1; s++) sum += load(image + (int64_t(r) * g.w + s) * g.c + ch);
              store(to + ch, sum * splat(inv));
            },
            [&](int ch) {
              float sum = 0.0f;
              for (int r = win.r0; r < win.r1; r++)
                for (int s = win.c0; s < win.c1; s++) sum += image[(int64_t(r) * g.w + s) * g.c + ch];
              to[ch] = sum * inv;
            });
      }
    }
  }
  });
}

void avgPoolGrad(const Geometry& g, const float* dy, float* dx) {
  // dY / (KH * KW) to every position of each window: tfjs divides by the whole window, padding included.
  const float m = 1.0f / float(g.kh * g.kw);
  const int64_t rowValues = int64_t(g.w) * g.c;
  parallelFor(g.n, 1, [&](int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; b++) {
    float* image = dx + b * g.h * rowValues;
    if (windowsTile(g)) {
      // Each output row's dY spread along one image row, then copied to the window's other rows.
      for (int i = 0; i < g.oh; i++) {
        const float* from = dy + (int64_t(b) * g.oh + i) * g.ow * g.c;
        float* first = image + int64_t(i) * g.kh * rowValues;
        for (int j = 0; j < g.ow; j++)
          for (int q = 0; q < g.kw; q++)
            for (int ch = 0; ch < g.c; ch++) first[int64_t(j * g.kw + q) * g.c + ch] = from[int64_t(j) * g.c + ch] * m;
        for (int p = 1; p < g.kh; p++) std::memcpy(first + p * rowValues, first, sizeof(float) * size_t(rowValues));
      }
      continue;
    }
    // Overlapping or clipped windows add up, in window order.
    std::memset(image, 0, sizeof(float) * size_t(g.h) * rowValues);
    for (int i = 0; i < g.oh; i++) {
      for (int j = 0; j < g.ow; j++) {
        const float* from = dy + ((int64_t(b) * g.oh + i) * g.ow + j) * g.c;
        const Window win = windowOf(g, i, j);
        for (int r = win.r0; r < win.r1; r++) {
          for (int s = win.c0; s < win.c1; s++) {
            float* to = image + (int64_t(r) * g.w + s) * g.c;
            channelGroups(
                g.c, false, [&](int ch) { store(to + ch, load(to + ch) + load(from + ch) * splat(m)); },
                [&](int ch) { to[ch] += from[ch] * m; });
          }
        }
      }
    }
  }
  });
}

void maxPool(const Geometry& g, const float* x, float* y) {
  const float ninf = -std::numeric_limits<float>::infinity();
  parallelFor(g.n, 1, [&](int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; b++) {
    const float* image = x + b * g.h * g.w * g.c;
    for (int i = 0; i < g.oh; i++) {
      for (int j = 0; j < g.ow; j++) {
        const Window win = windowOf(g, i, j);
        float* out = y + ((int64_t(b) * g.oh + i) * g.ow + j) * g.c;
        channelGroups(
            g.c, false,
            [&](int ch) {
              vec best = splat(ninf);
              for (int r = win.r0; r < win.r1; r++) {
                const float* row = image + (int64_t(r) * g.w) * g.c + ch;
                for (int s = win.c0; s < win.c1; s++) {
                  const vec v = load(row + int64_t(s) * g.c);
                  best = v > best ? v : best;
                }
              }
              store(out + ch, best);
            },
            [&](int ch) {
              float best = ninf;
              for (int r = win.r0; r < win.r1; r++)
                for (int s = win.c0; s < win.c1; s++) {
                  const float v = image[(int64_t(r) * g.w + s) * g.c + ch];
                  if (v > best) best = v;
                }
              out[ch] = best;
            });
      }
    }
  }
  });
}

/**
 * The gradient when the windows tile the image exactly (stride = window, no padding, nothing left over: a 2x2 pool
 * of an even map): every position belongs to one window, so dX is written once, window by window (dY at the first
 * largest value, zeros elsewhere), with no clearing pass first. Eight channels at a time.
 */
static bool tiledMaxPoolGrad(const Geometry& g, const float* dy, const float* x, float* dx) {
  if (g.sh != g.kh || g.sw != g.kw || g.top != 0 || g.left != 0 || g.oh * g.kh != g.h || g.ow * g.kw != g.w || g.c % kLanes != 0) return false;
  const float ninf = -std::numeric_limits<float>::infinity();
  const int64_t plane = int64_t(g.h) * g.w * g.c;
  const int window = g.kh * g.kw;
  parallelFor(g.n, 1, [&](int64_t b0, int64_t b1) {
    std::vector<int> taps(static_cast<size_t>(window));
    for (int64_t b = b0; b < b1; b++) {
      const float* image = x + b * plane;
      float* grad = dx + b * plane;
      for (int i = 0; i < g.oh; i++) {
        for (int j = 0; j < g.ow; j++) {
          for (int r = 0, t = 0; r < g.kh; r++)
            for (int s = 0; s < g.kw; s++, t++) taps[size_t(t)] = ((i * g.kh + r) * g.w + j * g.kw + s) * g.c;
          const float* gy = dy + ((b * g.oh + i) * g.ow + j) * g.c;
          for (int ch = 0; ch < g.c; ch += kLanes) {
            vec best = splat(ninf);
            ivec at = ivec{} - 1;
            for (int t = 0; t < window; t++) {
              const vec v = load(image + taps[size_t(t)] + ch);
              const ivec better = v > best;
              best = better ? v : best;
              at = better ? (ivec{} + t) : at;
            }
            const vec gv = load(gy + ch);
            const vec zero = vec{};
            for (int t = 0; t < window; t++) store(grad + taps[size_t(t)] + ch, at == t ? gv : zero);
          }
        }
      }
    }
  });
  return true;
}

void maxPoolGrad(const Geometry& g, const float* dy, const float* x, float* dx) {
  if (tiledMaxPoolGrad(g, dy, x, dx)) return;
  const float ninf = -std::numeric_limits<float>::infinity();
  const int64_t plane = int64_t(g.h) * g.w * g.c;
  const int c8 = g.c / kLanes * kLanes;
  const ivec lanes = {0, 1, 2, 3, 4, 5, 6, 7};
  parallelFor(g.n, 1, [&](int64_t b0, int64_t b1) {
  std::memset(dx + b0 * plane, 0, sizeof(float) * size_t((b1 - b0) * plane));
  for (int64_t b = b0; b < b1; b++) {
    const float* image = x + int64_t(b) * plane;
    float* grad = dx + int64_t(b) * plane;
    for (int i = 0; i < g.oh; i++) {
      for (int j = 0; j < g.ow; j++) {
        const Window win = windowOf(g, i, j);
        const float* gy = dy + ((int64_t(b) * g.oh + i) * g.ow + j) * g.c;
        for (int ch = 0; ch < c8; ch += kLanes) {
          vec best = splat(ninf);
          ivec at = ivec{} - 1;
          for (int r = win.r0; r < win.r1; r++) {
            for (int s = win.c0; s < win.c1; s++) {
              const int pos = (r * g.w + s) * g.c + ch;
              const vec v = load(image + pos);
              const ivec better = v > best;
              best = better ? v : best;
              at = better ? lanes + pos : at;
            }
          }
          for (int l = 0; l < kLanes; l++)
            if (at[l] >= 0) grad[at[l]] += gy[ch + l];
        }
        for (int ch = c8; ch < g.c; ch++) {
          float best = ninf;
          int at = -1;
          for (int r = win.r0; r < win.r1; r++)
            for (int s = win.c0; s < win.c1; s++) {
              const int pos = (r * g.w + s) * g.c + ch;
              if (image[pos] > best) {
                best = image[pos];
                at = pos;
              }
            }
          if (at >= 0) grad[at] += gy[ch];
        }
      }
    }
  }
  });
}

}  // namespace netc

namespace netc {

void padImages(const float* x, float* out, int n, int h, int w, int c, int top, int bottom, int left, int right, float value) {
  const int oh = h + top + bottom, ow = w + left + right;
  const int64_t inRow = int64_t(w) * c, outRow = int64_t(ow) * c;
  parallelFor(n, 4, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      float* image = out + b * oh * outRow;
      std::fill(image, image + int64_t(top) * outRow, value);
      for (int i = 0; i < h; i++) {
        float* row = image + int64_t(top + i) * outRow;
        std::fill(row, row + int64_t(left) * c, value);
        std::memcpy(row + int64_t(left) * c, x + (b * h + i) * inRow, sizeof(float) * size_t(inRow));
        std::fill(row + int64_t(left + w) * c, row + outRow, value);
      }
      std::fill(image + int64_t(top + h) * outRow, image + int64_t(oh) * outRow, value);
    }
  });
}

void cropImages(const float* x, float* out, int n, int h, int w, int c, int top, int left, int oh, int ow) {
  const int64_t inRow = int64_t(w) * c, outRow = int64_t(ow) * c;
  parallelFor(n, 4, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++)
      for (int i = 0; i < oh; i++)
        std::memcpy(out + (b * oh + i) * outRow, x + (b * h + top + i) * inRow + int64_t(left) * c, sizeof(float) * size_t(outRow));
  });
}

}  // namespace netc
