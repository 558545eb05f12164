// The Node-API face of netc's native kernels: each function takes the wasm heap's ArrayBuffer and then byte
// offsets and sizes, checks that every operand lies inside the heap, and runs the kernel on the calling thread.

#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <new>
#include <vector>

#include "simd.h"

namespace {

using netc::Geometry;

constexpr size_t kMaxArgs = 20;

/** The call's arguments: the heap (an ArrayBuffer) first, then numbers. Returns false after throwing. */
bool readNumbers(napi_env env, napi_callback_info info, size_t expected, uint8_t** heap, size_t* heapBytes, double* values,
                 void** extra = nullptr, size_t* extraBytes = nullptr) {
  size_t argc = kMaxArgs;
  napi_value argv[kMaxArgs];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return false;
  // One more argument may follow the numbers where the caller allows it: an ArrayBuffer for a side result.
  const bool withExtra = extra != nullptr && argc == expected + 2;
  if (extra != nullptr) *extra = nullptr;
  if (argc != expected + 1 && !withExtra) {
    napi_throw_type_error(env, nullptr, "netc native kernels: wrong number of arguments");
    return false;
  }
  if (withExtra) {
    bool isBuffer = false;
    napi_is_arraybuffer(env, argv[expected + 1], &isBuffer);
    if (!isBuffer || napi_get_arraybuffer_info(env, argv[expected + 1], extra, extraBytes) != napi_ok) {
      napi_throw_type_error(env, nullptr, "netc native kernels: the last argument must be an ArrayBuffer");
      return false;
    }
  }
  void* data = nullptr;
  bool isBuffer = false;
  napi_is_arraybuffer(env, argv[0], &isBuffer);
  if (!isBuffer || napi_get_arraybuffer_info(env, argv[0], &data, heapBytes) != napi_ok) {
    napi_throw_type_error(env, nullptr, "netc native kernels: the first argument must be the heap's ArrayBuffer");
    return false;
  }
  *heap = static_cast<uint8_t*>(data);
  for (size_t i = 0; i < expected; i++) {
    if (napi_get_value_double(env, argv[i + 1], &values[i]) != napi_ok) {
      napi_throw_type_error(env, nullptr, "netc native kernels: arguments after the heap must be numbers");
      return false;
    }
  }
  return true;
}

/** As readNumbers, for calls whose arguments are all integers (offsets and sizes), read as int64. */
bool readArgs(napi_env env, napi_callback_info info, size_t expected, uint8_t** heap, size_t* heapBytes, int64_t* values,
              void** extra = nullptr, size_t* extraBytes = nullptr) {
  double numbers[kMaxArgs];
  if (!readNumbers(env, info, expected, heap, heapBytes, numbers, extra, extraBytes)) return false;
  for (size_t i = 0; i < expected; i++) {
    if (!(numbers[i] >= -9.0e15 && numbers[i] <= 9.0e15) || numbers[i] != double(int64_t(numbers[i]))) {
      napi_throw_range_error(env, nullptr, "netc native kernels: an offset or size is not an integer");
      return false;
    }
    values[i] = int64_t(numbers[i]);
  }
  return true;
}

/** Reads the 13 geometry values starting at `v` and checks them; false (after throwing) when they make no sense. */
bool readGeometry(napi_env env, const int64_t* v, Geometry* g) {
  for (int i = 0; i < 13; i++) {
    const bool offset = i == 11 || i == 12;  // top, left may be negative (a crop) but small
    if (v[i] > (1 << 30) || (!offset && v[i] < 1) || (offset && v[i] < -(1 << 20))) {
      napi_throw_range_error(env, nullptr, "netc native kernels: convolution geometry out of range");
      return false;
    }
  }
  *g = Geometry{int(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4]), int(v[5]), int(v[6]),
                int(v[7]), int(v[8]), int(v[9]), int(v[10]), int(v[11]), int(v[12])};
  return true;
}

/** A float32 operand of `count` values at byte offset `offset`, or null (after throwing) when it leaves the heap. */
float* operand(napi_env env, uint8_t* heap, size_t heapBytes, int64_t offset, int64_t count) {
  if (offset < 0 || offset % 4 != 0 || count < 0 || uint64_t(offset) + uint64_t(count) * 4 > heapBytes) {
    napi_throw_range_error(env, nullptr, "netc native kernels: an operand lies outside the heap");
    return nullptr;
  }
  return reinterpret_cast<float*>(heap + offset);
}

/** Runs a kernel, turning an allocation failure into a JavaScript error instead of ending the process. */
template <typename Kernel>
napi_value guarded(napi_env env, Kernel kernel) {
  try {
    kernel();
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "NN4005", "netc native kernels: out of memory for a convolution's scratch");
  }
  return nullptr;
}

// conv2dForward(heap, x, filter, bias (-1: none), y, n, h, w, c, oh, ow, o, kh, kw, sh, sw, top, left, relu[, stats])
// With `stats` (an ArrayBuffer of at least 2*O float64s), also the output's per-channel sums and sums of squares.
napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[18];
  Geometry g;
  void* statsData = nullptr;
  size_t statsBytes = 0;
  if (!readArgs(env, info, 18, &heap, &bytes, v, &statsData, &statsBytes) || !readGeometry(env, v + 4, &g)) return nullptr;
  if (statsData != nullptr && statsBytes < size_t(2) * g.o * sizeof(double)) {
    napi_throw_range_error(env, nullptr, "netc native kernels: the statistics buffer is too small");
    return nullptr;
  }
  float* x = operand(env, heap, bytes, v[0], int64_t(g.n) * g.h * g.w * g.c);
  float* f = x ? operand(env, heap, bytes, v[1], int64_t(g.taps()) * g.o) : nullptr;
  float* b = v[2] < 0 ? nullptr : (f ? operand(env, heap, bytes, v[2], g.o) : nullptr);
  float* y = f && (v[2] < 0 || b) ? operand(env, heap, bytes, v[3], g.pixels() * g.o) : nullptr;
  if (y == nullptr) return nullptr;
  return guarded(env, [&] { netc::conv2dForward(g, x, f, b, y, v[17] != 0, static_cast<double*>(statsData)); });
}

// conv2dInputGrad(heap, dy, filter, dx, n, h, w, c, oh, ow, o, kh, kw, sh, sw, top, left)
napi_value Conv2dInputGrad(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[16];
  Geometry g;
  if (!readArgs(env, info, 16, &heap, &bytes, v) || !readGeometry(env, v + 3, &g)) return nullptr;
  float* dy = operand(env, heap, bytes, v[0], g.pixels() * g.o);
  float* f = dy ? operand(env, heap, bytes, v[1], int64_t(g.taps()) * g.o) : nullptr;
  float* dx = f ? operand(env, heap, bytes, v[2], int64_t(g.n) * g.h * g.w * g.c) : nullptr;
  if (dx == nullptr) return nullptr;
  return guarded(env, [&] { netc::conv2dInputGrad(g, dy, f, dx); });
}

// conv2dFilterGrad(heap, x, dy, dw, n, h, w, c, oh, ow, o, kh, kw, sh, sw, top, left)
napi_value Conv2dFilterGrad(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[16];
  Geometry g;
  if (!readArgs(env, info, 16, &heap, &bytes, v) || !readGeometry(env, v + 3, &g)) return nullptr;
  float* x = operand(env, heap, bytes, v[0], int64_t(g.n) * g.h * g.w * g.c);
  float* dy = x ? operand(env, heap, bytes, v[1], g.pixels() * g.o) : nullptr;
  float* dw = dy ? operand(env, heap, bytes, v[2], int64_t(g.taps()) * g.o) : nullptr;
  if (dw == nullptr) return nullptr;
  return guarded(env, [&] { netc::conv2dFilterGrad(g, x, dy, dw); });
}

/** Reads a pooling's 12 geometry values (n, h, w, c, oh, ow, kh, kw, sh, sw, top, left) as a Geometry with O = C. */
bool readPoolGeometry(napi_env env, const int64_t* v, Geometry* g) {
  const int64_t conv[13] = {v[0], v[1], v[2], v[3], v[4], v[5], v[3], v[6], v[7], v[8], v[9], v[10], v[11]};
  return readGeometry(env, conv, g);
}

// maxPool and avgPool(heap, x, y, n, h, w, c, oh, ow, kh, kw, sh, sw, top, left); avgPoolGrad(heap, dy, dx, ...) with
// dY [N, OH, OW, C] for x and dX [N, H, W, C] for y.
template <void (*Pool)(const Geometry&, const float*, float*), bool Grad>
napi_value PoolCall(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[14];
  Geometry g;
  if (!readArgs(env, info, 14, &heap, &bytes, v) || !readPoolGeometry(env, v + 2, &g)) return nullptr;
  const int64_t image = int64_t(g.n) * g.h * g.w * g.c, pooled = g.pixels() * g.c;
  float* in = operand(env, heap, bytes, v[0], Grad ? pooled : image);
  float* out = in ? operand(env, heap, bytes, v[1], Grad ? image : pooled) : nullptr;
  if (out == nullptr) return nullptr;
  return guarded(env, [&] { Pool(g, in, out); });
}

// maxPoolGrad(heap, dy, x, dx, n, h, w, c, oh, ow, kh, kw, sh, sw, top, left)
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[15];
  Geometry g;
  if (!readArgs(env, info, 15, &heap, &bytes, v) || !readPoolGeometry(env, v + 3, &g)) return nullptr;
  if (int64_t(g.h) * g.w * g.c >= (int64_t(1) << 31)) {
    napi_throw_range_error(env, nullptr, "netc native kernels: an image too large for max pooling's positions");
    return nullptr;
  }
  float* dy = operand(env, heap, bytes, v[0], g.pixels() * g.c);
  float* x = dy ? operand(env, heap, bytes, v[1], int64_t(g.n) * g.h * g.w * g.c) : nullptr;
  float* dx = x ? operand(env, heap, bytes, v[2], int64_t(g.n) * g.h * g.w * g.c) : nullptr;
  if (dx == nullptr) return nullptr;
  return guarded(env, [&] { netc::maxPoolGrad(g, dy, x, dx); });
}

/** A float64 operand of `count` values (batch norm's per-channel sums), as `operand`. */
double* operand64(napi_env env, uint8_t* heap, size_t heapBytes, double offset, int64_t count) {
  if (!(offset >= 0) || std::fmod(offset, 8.0) != 0 || count < 0 || uint64_t(offset) + uint64_t(count) * 8 > heapBytes) {
    napi_throw_range_error(env, nullptr, "netc native kernels: an operand lies outside the heap");
    return nullptr;
  }
  return reinterpret_cast<double*>(heap + uint64_t(offset));
}

/** A float32 operand at a double-valued offset (the batch-norm calls read every argument as a double). */
float* operandAt(napi_env env, uint8_t* heap, size_t heapBytes, double offset, int64_t count) {
  if (!(offset >= 0 && offset < 9.0e15) || offset != std::floor(offset)) {
    napi_throw_range_error(env, nullptr, "netc native kernels: an operand lies outside the heap");
    return nullptr;
  }
  return operand(env, heap, heapBytes, int64_t(offset), count);
}

/** Operands 0..N-1 (counts[i] floats at byte offsets at[i]) into p; false (after throwing) when one leaves the heap. */
template <size_t N>
bool operandsAt(napi_env env, uint8_t* heap, size_t bytes, const double (&at)[N], const int64_t (&counts)[N], float* (&p)[N]) {
  for (size_t i = 0; i < N; i++)
    if ((p[i] = operandAt(env, heap, bytes, at[i], counts[i])) == nullptr) return false;
  return true;
}

/** A length argument: a whole, non-negative number of values. False (after throwing) otherwise. */
bool readLength(napi_env env, double value, int64_t* n) {
  if (!(value >= 0 && value < 9.0e15) || value != std::floor(value)) {
    napi_throw_range_error(env, nullptr, "netc native kernels: a bad length");
    return false;
  }
  *n = int64_t(value);
  return true;
}

/** bnTrain's and bnInfer's float operands (x, y, gamma, beta, mean, variance: arguments 0, 1 and 4-7). */
bool bnForwardOperands(napi_env env, uint8_t* heap, size_t bytes, const double* v, int64_t rows, int c, float* (&p)[6]) {
  return operandsAt(env, heap, bytes, {v[0], v[1], v[4], v[5], v[6], v[7]}, {rows * c, rows * c, c, c, c, c}, p);
}

/**
 * The batch-norm gradient's float operands: dy, y, x, gamma, mean, variance (arguments 0-2, 5-7), then dx, dgamma,
 * dbeta (arguments `outputs`, +1, +2).
 */
bool bnGradOperands(napi_env env, uint8_t* heap, size_t bytes, const double* v, int outputs, int64_t rows, int c, float* (&p)[9]) {
  return operandsAt(env, heap, bytes, {v[0], v[1], v[2], v[5], v[6], v[7], v[outputs], v[outputs + 1], v[outputs + 2]},
                    {rows * c, rows * c, rows * c, c, c, c, rows * c, c, c}, p);
}

/** rows and C of a batch-norm call, checked. */
bool readRowsChannels(napi_env env, double rows, double c, int64_t* r, int* ch) {
  if (!(rows >= 0 && rows <= 9.0e15 && rows == std::floor(rows)) || !(c >= 1 && c <= (1 << 30) && c == std::floor(c))) {
    napi_throw_range_error(env, nullptr, "netc native kernels: batch-norm rows or channels out of range");
    return false;
  }
  *r = int64_t(rows);
  *ch = int(c);
  return true;
}

// bnStats(heap, x, rows, c, mean64, m2_64, scratch)
napi_value BnStats(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[6];
  int64_t rows;
  int c;
  if (!readNumbers(env, info, 6, &heap, &bytes, v) || !readRowsChannels(env, v[1], v[2], &rows, &c)) return nullptr;
  float* x = operandAt(env, heap, bytes, v[0], rows * c);
  double* mean = x ? operand64(env, heap, bytes, v[3], c) : nullptr;
  double* m2 = mean ? operand64(env, heap, bytes, v[4], c) : nullptr;
  if (m2 == nullptr) return nullptr;
  return guarded(env, [&] { netc::bnStats(x, rows, c, mean, m2); });
}

// bnTrain / bnInfer(heap, x, y, rows, c, gamma, beta, mean, variance, eps, act, scratch)
template <bool Train>
napi_value BnForward(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[11];
  int64_t rows;
  int c;
  if (!readNumbers(env, info, 11, &heap, &bytes, v) || !readRowsChannels(env, v[2], v[3], &rows, &c)) return nullptr;
  float* p[6] = {};
  if (!bnForwardOperands(env, heap, bytes, v, rows, c, p)) return nullptr;
  const float eps = float(v[8]);
  const int act = int(v[9]);
  if (Train) return guarded(env, [&] { netc::bnTrain(p[0], p[1], rows, c, p[2], p[3], p[4], p[5], eps, act); });
  return guarded(env, [&] { netc::bnInfer(p[0], p[1], rows, c, p[2], p[3], p[4], p[5], eps, act); });
}

/** The sums buffer of a *FromSums call (2*C float64s: sums, then sums of squares), or null after throwing. */
const double* sumsOf(napi_env env, void* data, size_t bytes, int c) {
  if (data == nullptr || bytes < size_t(2) * c * sizeof(double)) {
    napi_throw_type_error(env, nullptr, "netc native kernels: a batch norm from sums needs a buffer of 2*C float64s");
    return nullptr;
  }
  return static_cast<const double*>(data);
}

// bnTrainFromSums(heap, x, y, rows, c, gamma, beta, mean, variance, eps, act, scratch, sums): bnTrain with the
// statistics from the per-channel sums and sums of squares of x (made by the convolution that wrote x).
napi_value BnTrainFromSums(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[11];
  int64_t rows;
  int c;
  void* data = nullptr;
  size_t dataBytes = 0;
  if (!readNumbers(env, info, 11, &heap, &bytes, v, &data, &dataBytes) || !readRowsChannels(env, v[2], v[3], &rows, &c)) return nullptr;
  const double* sums = sumsOf(env, data, dataBytes, c);
  if (sums == nullptr) return nullptr;
  float* p[6] = {};
  if (!bnForwardOperands(env, heap, bytes, v, rows, c, p)) return nullptr;
  return guarded(env, [&] { netc::bnTrainFromSums(p[0], p[1], rows, c, p[2], p[3], p[4], p[5], float(v[8]), int(v[9]), sums); });
}

// bnStatsFromSums(heap, x, rows, c, mean64, m2_64, scratch, sums): bnStats from the sums, without reading x.
napi_value BnStatsFromSums(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[6];
  int64_t rows;
  int c;
  void* data = nullptr;
  size_t dataBytes = 0;
  if (!readNumbers(env, info, 6, &heap, &bytes, v, &data, &dataBytes) || !readRowsChannels(env, v[1], v[2], &rows, &c)) return nullptr;
  const double* sums = sumsOf(env, data, dataBytes, c);
  double* mean = sums ? operand64(env, heap, bytes, v[3], c) : nullptr;
  double* m2 = mean ? operand64(env, heap, bytes, v[4], c) : nullptr;
  if (m2 == nullptr) return nullptr;
  return guarded(env, [&] { netc::bnStatsFromSums(rows, c, sums, mean, m2); });
}

// bnGradSums(heap, dy, y, x, rows, c, mean, act, s1_64, s2_64, scratch)
napi_value BnGradSums(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[10];
  int64_t rows;
  int c;
  if (!readNumbers(env, info, 10, &heap, &bytes, v) || !readRowsChannels(env, v[3], v[4], &rows, &c)) return nullptr;
  float* dy = operandAt(env, heap, bytes, v[0], rows * c);
  float* y = dy ? operandAt(env, heap, bytes, v[1], rows * c) : nullptr;
  float* x = y ? operandAt(env, heap, bytes, v[2], rows * c) : nullptr;
  float* mean = x ? operandAt(env, heap, bytes, v[5], c) : nullptr;
  double* s1 = mean ? operand64(env, heap, bytes, v[7], c) : nullptr;
  double* s2 = s1 ? operand64(env, heap, bytes, v[8], c) : nullptr;
  if (s2 == nullptr) return nullptr;
  return guarded(env, [&] { netc::bnGradSums(dy, y, x, rows, c, mean, int(v[6]), s1, s2); });
}

// bnGradApply(heap, dy, y, x, rows, c, gamma, mean, variance, eps, act, training, count, s1_64, s2_64, dx, dgamma, dbeta, scratch)
napi_value BnGradApply(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[18];
  int64_t rows;
  int c;
  if (!readNumbers(env, info, 18, &heap, &bytes, v) || !readRowsChannels(env, v[3], v[4], &rows, &c)) return nullptr;
  float* f[9] = {};
  if (!bnGradOperands(env, heap, bytes, v, 14, rows, c, f)) return nullptr;
  double* s1 = operand64(env, heap, bytes, v[12], c);
  double* s2 = s1 ? operand64(env, heap, bytes, v[13], c) : nullptr;
  if (s2 == nullptr) return nullptr;
  return guarded(env, [&] {
    netc::bnGradApply(f[0], f[1], f[2], rows, c, f[3], f[4], f[5], float(v[8]), int(v[9]), v[10] != 0, v[11], s1, s2,
                      f[6], f[7], f[8]);
  });
}

// bnGrad(heap, dy, y, x, rows, c, gamma, mean, variance, eps, act, training, dx, dgamma, dbeta, scratch)
napi_value BnGrad(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[15];
  int64_t rows;
  int c;
  if (!readNumbers(env, info, 15, &heap, &bytes, v) || !readRowsChannels(env, v[3], v[4], &rows, &c)) return nullptr;
  float* f[9] = {};
  if (!bnGradOperands(env, heap, bytes, v, 11, rows, c, f)) return nullptr;
  return guarded(env, [&] {
    std::vector<double> s1(static_cast<size_t>(c)), s2(static_cast<size_t>(c));
    netc::bnGradSums(f[0], f[1], f[2], rows, c, f[4], int(v[9]), s1.data(), s2.data());
    netc::bnGradApply(f[0], f[1], f[2], rows, c, f[3], f[4], f[5], float(v[8]), int(v[9]), v[10] != 0, double(rows),
                      s1.data(), s2.data(), f[6], f[7], f[8]);
  });
}

// matmul(heap, a, b, bias (-1: none), c, batch, m, n, k, transA, transB, relu)
napi_value Matmul(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[11];
  if (!readArgs(env, info, 11, &heap, &bytes, v)) return nullptr;
  const int64_t batch = v[4], m = v[5], n = v[6], k = v[7];
  if (batch < 1 || m < 1 || n < 1 || k < 1 || m > (1 << 30) || n > (1 << 30) || k > (1 << 30)) {
    napi_throw_range_error(env, nullptr, "netc native kernels: matrix sizes out of range");
    return nullptr;
  }
  float* a = operand(env, heap, bytes, v[0], batch * m * k);
  float* b = a ? operand(env, heap, bytes, v[1], batch * k * n) : nullptr;
  float* bias = v[2] < 0 ? nullptr : (b ? operand(env, heap, bytes, v[2], n) : nullptr);
  float* c = b && (v[2] < 0 || bias) ? operand(env, heap, bytes, v[3], batch * m * n) : nullptr;
  if (c == nullptr) return nullptr;
  return guarded(env, [&] { netc::matmul(a, b, bias, c, batch, int(m), int(n), int(k), v[8] != 0, v[9] != 0, v[10] != 0); });
}

// addActivation(heap, a, b, y, n, relu) and activationGrad(heap, dy, y, dz, n, relu): three operands of n floats.
template <bool Grad>
napi_value Elementwise(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[5];
  if (!readArgs(env, info, 5, &heap, &bytes, v)) return nullptr;
  if (v[3] < 0) {
    napi_throw_range_error(env, nullptr, "netc native kernels: a negative length");
    return nullptr;
  }
  float* p[3] = {};
  for (int i = 0; i < 3; i++)
    if ((p[i] = operand(env, heap, bytes, v[i], v[3])) == nullptr) return nullptr;
  if (Grad) return guarded(env, [&] { netc::activationGrad(p[0], p[1], p[2], v[3], v[4] != 0); });
  return guarded(env, [&] { netc::addActivation(p[0], p[1], p[2], v[3], v[4] != 0); });
}

/**
 * An optimizer update's arguments after the heap: the offsets of its Operands float operands, their common length
 * n, then its constants (Numbers values in all). False (after throwing) for a bad length or operand.
 */
template <size_t Operands, size_t Numbers>
struct UpdateArgs {
  double v[Numbers];
  float* p[Operands] = {};
  int64_t n = 0;
  bool read(napi_env env, napi_callback_info info) {
    uint8_t* heap;
    size_t bytes;
    if (!readNumbers(env, info, Numbers, &heap, &bytes, v) || !readLength(env, v[Operands], &n)) return false;
    for (size_t i = 0; i < Operands; i++)
      if ((p[i] = operandAt(env, heap, bytes, v[i], n)) == nullptr) return false;
    return true;
  }
};

// sgdUpdate(heap, w, g, out, n, c)
napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  UpdateArgs<3, 5> a;
  if (!a.read(env, info)) return nullptr;
  return guarded(env, [&] { netc::sgdUpdate(a.p[0], a.p[1], a.p[2], a.n, float(a.v[4])); });
}

// momentumUpdate(heap, w, g, a, outW, outA, n, c, m, nesterov)
napi_value MomentumUpdate(napi_env env, napi_callback_info info) {
  UpdateArgs<5, 9> a;
  if (!a.read(env, info)) return nullptr;
  return guarded(env, [&] { netc::momentumUpdate(a.p[0], a.p[1], a.p[2], a.p[3], a.p[4], a.n, float(a.v[6]), float(a.v[7]), a.v[8] != 0); });
}

// adamUpdate(heap, w, g, m, v, outW, outM, outV, n, c, b1, b2, o1, o2, d1, d2, eps)
napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  UpdateArgs<7, 16> a;
  if (!a.read(env, info)) return nullptr;
  const double* c = a.v + 8;
  const netc::AdamConstants k{float(c[0]), float(c[1]), float(c[2]), float(c[3]), float(c[4]), float(c[5]), float(c[6]), float(c[7])};
  return guarded(env, [&] { netc::adamUpdate(a.p[0], a.p[1], a.p[2], a.p[3], a.p[4], a.p[5], a.p[6], a.n, k); });
}

// padImages(heap, x, out, n, h, w, c, top, bottom, left, right, value) and
// cropImages(heap, x, out, n, h, w, c, top, left, oh, ow): images padded or cut along their rows and columns.
napi_value PadImages(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  double v[11];
  if (!readNumbers(env, info, 11, &heap, &bytes, v)) return nullptr;
  for (int i = 2; i < 10; i++)
    if (!(v[i] >= 0 && v[i] <= (1 << 30) && v[i] == std::floor(v[i])) || (i < 6 && v[i] < 1)) {
      napi_throw_range_error(env, nullptr, "netc native kernels: padding geometry out of range");
      return nullptr;
    }
  const int n = int(v[2]), h = int(v[3]), w = int(v[4]), c = int(v[5]), t = int(v[6]), bt = int(v[7]), l = int(v[8]), r = int(v[9]);
  float* x = operandAt(env, heap, bytes, v[0], int64_t(n) * h * w * c);
  float* out = x ? operandAt(env, heap, bytes, v[1], int64_t(n) * (h + t + bt) * (w + l + r) * c) : nullptr;
  if (out == nullptr) return nullptr;
  return guarded(env, [&] { netc::padImages(x, out, n, h, w, c, t, bt, l, r, float(v[10])); });
}

napi_value CropImages(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t bytes;
  int64_t v[10];
  if (!readArgs(env, info, 10, &heap, &bytes, v)) return nullptr;
  const int64_t n = v[2], h = v[3], w = v[4], c = v[5], top = v[6], left = v[7], oh = v[8], ow = v[9];
  if (n < 1 || c < 1 || oh < 1 || ow < 1 || top < 0 || left < 0 || top + oh > h || left + ow > w || h > (1 << 30) || w > (1 << 30)) {
    napi_throw_range_error(env, nullptr, "netc native kernels: crop geometry out of range");
    return nullptr;
  }
  float* x = operand(env, heap, bytes, v[0], n * h * w * c);
  float* out = x ? operand(env, heap, bytes, v[1], n * oh * ow * c) : nullptr;
  if (out == nullptr) return nullptr;
  return guarded(env, [&] { netc::cropImages(x, out, int(n), int(h), int(w), int(c), int(top), int(left), int(oh), int(ow)); });
}

// setThreads(n): how many cores this thread's kernel calls may use (0: all); returns the previous number.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 0) {
    napi_throw_type_error(env, nullptr, "netc native kernels: setThreads takes a count of 0 or more");
    return nullptr;
  }
  napi_value result;
  napi_create_int32(env, netc::setThreads(n), &result);
  return result;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor functions[] = {
      {"conv2dForward", nullptr, Conv2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dInputGrad", nullptr, Conv2dInputGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dFilterGrad", nullptr, Conv2dFilterGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, PoolCall<netc::maxPool, false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPool", nullptr, PoolCall<netc::avgPool, false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPoolGrad", nullptr, PoolCall<netc::avgPoolGrad, true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addActivation", nullptr, Elementwise<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activationGrad", nullptr, Elementwise<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdUpdate", nullptr, SgdUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"momentumUpdate", nullptr, MomentumUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, AdamUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"padImages", nullptr, PadImages, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cropImages", nullptr, CropImages, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnStats", nullptr, BnStats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnTrain", nullptr, BnForward<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnInfer", nullptr, BnForward<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnGradSums", nullptr, BnGradSums, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnGradApply", nullptr, BnGradApply, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnTrainFromSums", nullptr, BnTrainFromSums, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnStatsFromSums", nullptr, BnStatsFromSums, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnGrad", nullptr, BnGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}
