import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * The gradient of max pooling: each window passes its dy to the position of its maximum, the first one in
 * row-major window order when several tie (tfjs's cpu backend and PyTorch both keep the first). Padding never
 * wins. wasm's own kernel (tfjs-backend-wasm 4.22) starts its search from 0 instead of -Infinity, so a window
 * of negative values sends its gradient to the wrong place, and it keeps the last of tied maxima; the cpu
 * backend's is right but reads through TensorBuffer.get(). Here every window scans its positions once, the
 * channels innermost (channels-last), keeping the best value and position per channel.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

function kernel(name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
    const fb = flatBackend(args.backend, name);
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
    );
    if (!tf.util.arraysEqual(info.outShape, dy.shape) || dy.dtype !== 'float32' || input.dtype !== 'float32') {
      // Not a gradient tfjs's MaxPool makes: let the backend's own kernel check and report it.
      return fb.run('MaxPoolGrad', args.inputs as Record<string, tf.TensorInfo>, args.attrs);
    }
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const out = fb.alloc(input.shape);
    // Views after the allocation: on wasm an allocation can move the heap.
    const x = fb.view(input);
    const g = fb.view(dy);
    const dst = fb.view(out);
    dst.fill(0);
    const best = new Float32Array(c);
    const where = new Int32Array(c);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        const r0 = Math.max(0, i * sh - top);
        const r1 = Math.min(h, i * sh - top + kh);
        for (let j = 0; j < ow; j++) {
          const s0 = Math.max(0, j * sw - left);
          const s1 = Math.min(w, j * sw - left + kw);
          best.fill(-Infinity);
          where.fill(-1);
          for (let r = r0; r < r1; r++) {
            for (let s = s0; s < s1; s++) {
              const base = ((b * h + r) * w + s) * c;
              for (let k = 0; k < c; k++) {
                const v = x[base + k]!;
                // Strictly greater: a later equal value does not take the place of the first.
                if (v > best[k]!) {
                  best[k] = v;
                  where[k] = base + k;
                }
              }
            }
          }
          const from = ((b * oh + i) * ow + j) * c;
          for (let k = 0; k < c; k++) {
            const at = where[k]!;
            if (at >= 0) dst[at] = dst[at]! + g[from + k]!;
          }
        }
      }
    }
    return out;
  };
}

/** netc's MaxPoolGrad for wasm (whose own is wrong for negative windows) and cpu (whose own is slow). */
export const maxPoolGradKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: kernel('wasm') },
  { kernelName: 'MaxPoolGrad', backendName: 'cpu', kernelFunc: kernel('cpu') },
];
