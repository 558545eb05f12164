// What netc's native kernels share: a 256-bit vector of floats written with GCC's vector extensions (AVX2 with FMA
// on x86-64, two NEON registers on arm64), its loads, stores and broadcast, and a convolution's geometry.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>

namespace netc {

typedef float vec __attribute__((vector_size(32)));  // 8 floats
constexpr int kLanes = 8;
constexpr int kRows = 6;       // rows of the micro-tile (pixels, or taps for the filter gradient)
constexpr int kPanel = 16;     // columns of a packed panel: two vectors
constexpr int kTile = 96;      // pixels per packed tile (a multiple of kRows)

inline vec load(const float* p) {
  vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vec v) { std::memcpy(p, &v, sizeof v); }
inline vec splat(float x) { return vec{x, x, x, x, x, x, x, x}; }

/** One convolution's operands lie and its geometry (pads as the first row and column they add). */
struct Geometry {
  int n, h, w, c, oh, ow, o, kh, kw, sh, sw, top, left;
  int64_t pixels() const { return int64_t(n) * oh * ow; }
  int taps() const { return kh * kw * c; }
};

/**
 * Runs body(begin, end) over [0, count) split into as many ranges as this thread may use cores (parallel.cc), each
 * at least `grain` long where possible; returns when all are done.
 */
void parallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body);
/** Sets how many cores this thread's kernel calls may use (0: all of the pool's); returns the previous number. */
int setThreads(int n);
/** How many cores this thread's kernel calls use. */
int threads();

/**
 * Y = X (*) W + bias (null: none), then relu when `relu`; with `stats`, also the output's per-channel sums
 * (stats[0..O)) and sums of squares (stats[O..2O)) in float64, for the batch norm that reads it.
 */
void conv2dForward(const Geometry& g, const float* x, const float* filter, const float* bias, float* y, bool relu,
                   double* stats = nullptr);
/** dX of a convolution from dY and W. */
void conv2dInputGrad(const Geometry& g, const float* dy, const float* filter, float* dx);
/** dW of a convolution from X and dY. */
void conv2dFilterGrad(const Geometry& g, const float* x, const float* dy, float* dw);

/** C = A B (+ bias, relu) for `batch` pairs; A [M, K] or [K, M] (transA), B [K, N] or [N, K] (transB). */
void matmul(const float* a, const float* b, const float* bias, float* c, int64_t batch, int M, int N, int K, bool transA,
            bool transB, bool relu);

/** y = a + b, then relu when `relu` (elementwise.cc). */
void addActivation(const float* a, const float* b, float* y, int64_t n, bool relu);
/** dz = dy where y > 0 (relu), else 0; dz = dy when not `relu`. */
void activationGrad(const float* dy, const float* y, float* dz, int64_t n, bool relu);

/** The optimizer updates, each product and sum rounded to float32 apart (tfjs's Mul and Add kernels' results). */
void sgdUpdate(const float* w, const float* g, float* out, int64_t n, float c);
void momentumUpdate(const float* w, const float* g, const float* a, float* outW, float* outA, int64_t n, float c, float m,
                    bool nesterov);
/** Adam's constants as float32s: -lr, the betas, 1 minus each, the bias corrections 1 - beta^t, epsilon. */
struct AdamConstants {
  float c, b1, b2, o1, o2, d1, d2, eps;
};
/** m' = b1 m + o1 g; v' = b2 v + o2 g^2; w' = (m'/d1) / (sqrt(v'/d2) + eps) * c + w, rounded as sgdUpdate. */
void adamUpdate(const float* w, const float* g, const float* m, const float* v, float* outW, float* outM, float* outV,
                int64_t n, const AdamConstants& k);

/** x [N, H, W, C] into out [N, H+top+bottom, W+left+right, C] with `value` around it; and the reverse cut. */
void padImages(const float* x, float* out, int n, int h, int w, int c, int top, int bottom, int left, int right, float value);
void cropImages(const float* x, float* out, int n, int h, int w, int c, int top, int left, int oh, int ow);

/** Max pooling of x [N, H, W, C] into y [N, OH, OW, C]; windows read -inf outside the image. */
void maxPool(const Geometry& g, const float* x, float* y);
/** Its gradient: each window's dY goes to the first of its largest values. */
void maxPoolGrad(const Geometry& g, const float* dy, const float* x, float* dx);
/** Average pooling of x [N, H, W, C] into y [N, OH, OW, C]: each window's mean over its positions in the image. */
void avgPool(const Geometry& g, const float* x, float* y);
/** Its gradient: dY / (KH * KW) to every position of each window (tfjs's, padding counted). */
void avgPoolGrad(const Geometry& g, const float* dy, float* dx);

/** Batch norm (channels.cc): the AssemblyScript kernels' functions and results, on [rows, C]. */
void bnStats(const float* x, int64_t rows, int c, double* mean64, double* m2);
void bnInfer(const float* x, float* y, int64_t rows, int c, const float* gamma, const float* beta, const float* mean,
             const float* variance, float eps, int act);
void bnTrain(const float* x, float* y, int64_t rows, int c, const float* gamma, const float* beta, float* mean,
             float* variance, float eps, int act);
/** bnStats and bnTrain from the per-channel sums (sums[0..C)) and sums of squares (sums[C..2C)) of x. */
void bnStatsFromSums(int64_t rows, int c, const double* sums, double* mean64, double* m2);
void bnTrainFromSums(const float* x, float* y, int64_t rows, int c, const float* gamma, const float* beta, float* mean,
                     float* variance, float eps, int act, const double* sums);
void bnGradSums(const float* dy, const float* y, const float* x, int64_t rows, int c, const float* mean, int act,
                double* s1, double* s2);
void bnGradApply(const float* dy, const float* y, const float* x, int64_t rows, int c, const float* gamma,
                 const float* mean, const float* variance, float eps, int act, bool training, double count,
                 const double* s1, const double* s2, float* dx, float* dgamma, float* dbeta);

}  // namespace netc
