// netc's native elementwise kernels: a residual join and the activation after it in one pass, y = act(a + b), and
// that activation's gradient from its output, dz = dy * act'(y) (relu: dy where y > 0). Linear and relu.

#include <algorithm>
#include <cstdint>

#include "simd.h"

namespace netc {

void addActivation(const float* a, const float* b, float* y, int64_t n, bool relu) {
  parallelFor((n + 4095) / 4096, 16, [&](int64_t c0, int64_t c1) {
    const int64_t end = std::min(n, c1 * 4096);
    int64_t i = c0 * 4096;
    const vec zero = vec{};
    for (; i + kLanes <= end; i += kLanes) {
      vec v = load(a + i) + load(b + i);
      if (relu) v = v > zero ? v : zero;
      store(y + i, v);
    }
    for (; i < end; i++) {
      const float v = a[i] + b[i];
      y[i] = relu && !(v > 0.0f) ? 0.0f : v;
    }
  });
}

void activationGrad(const float* dy, const float* y, float* dz, int64_t n, bool relu) {
  parallelFor((n + 4095) / 4096, 16, [&](int64_t c0, int64_t c1) {
    const int64_t end = std::min(n, c1 * 4096);
    int64_t i = c0 * 4096;
    const vec zero = vec{};
    for (; i + kLanes <= end; i += kLanes) {
      const vec g = load(dy + i);
      store(dz + i, relu ? (load(y + i) > zero ? g : zero) : g);
    }
    for (; i < end; i++) dz[i] = relu && !(y[i] > 0.0f) ? 0.0f : dy[i];
  });
}

}  // namespace netc
