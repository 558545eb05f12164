import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * The gradient of average pooling: every input position receives dy / (KH * KW) from each window that
 * covers it (tfjs divides by the whole window on both backends, padding included, and so does this).
 * wasm's kernel visits every input position and searches the windows (8 ms for LeNet's first pool); the
 * cpu backend's reads through TensorBuffer.get(). Here each window adds its dy row of channels into place.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

function kernel(name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.AvgPoolGradAttrs & {
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const fb = flatBackend(args.backend, name);
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
    );
    if (!tf.util.arraysEqual(info.outShape, dy.shape) || dy.dtype !== 'float32') {
      return fb.run('AvgPoolGrad', { dy, input }, args.attrs);
    }
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const out = fb.alloc(input.shape);
    const src = fb.view(dy);
    const dst = fb.view(out);
    const m = 1 / (kh * kw);
    if (sh === kh && sw === kw && top === 0 && left === 0 && oh * kh === h && ow * kw === w) {
      // Windows that tile the input exactly (LeNet's 2x2, stride 2): every position is written once.
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) {
            const from = ((b * oh + Math.floor(i / kh)) * ow + Math.floor(j / kw)) * c;
            const to = ((b * h + i) * w + j) * c;
            for (let k = 0; k < c; k++) dst[to + k] = src[from + k]! * m;
          }
        }
      }
      return out;
    }
    dst.fill(0);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const from = ((b * oh + i) * ow + j) * c;
          for (let p = 0; p < kh; p++) {
            const r = i * sh + p - top;
            if (r < 0 || r >= h) continue;
            for (let q = 0; q < kw; q++) {
              const s = j * sw + q - left;
              if (s < 0 || s >= w) continue;
              const to = ((b * h + r) * w + s) * c;
              for (let k = 0; k < c; k++) dst[to + k] = dst[to + k]! + src[from + k]! * m;
            }
          }
        }
      }
    }
    return out;
  };
}

/** netc's AvgPoolGrad for wasm and cpu. */
export const avgPoolGradKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'AvgPoolGrad', backendName: 'wasm', kernelFunc: kernel('wasm') },
  { kernelName: 'AvgPoolGrad', backendName: 'cpu', kernelFunc: kernel('cpu') },
];
