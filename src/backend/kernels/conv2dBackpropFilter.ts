import * as tf from '@tensorflow/tfjs';
import { convGeometry, flatBackend, type ConvGeometry, type FlatBackend } from './flat.js';

/*
 * The gradient of a 2-D convolution with respect to its filter:
 *   dW[kh, kw, c, oc] = sum over n, oh, ow of x[n, oh*sh + kh - top, ow*sw + kw - left, c] * dy[n, oh, ow, oc]
 * (x read as zero outside the image). The wasm backend has no kernel for it (tfjs issue 8474) and the cpu
 * backend's reads every operand through TensorBuffer.get(), seconds per batch for LeNet.
 */

function checkAttrs(x: tf.TensorInfo, dy: tf.TensorInfo, attrs: tf.Conv2DBackpropFilterAttrs): ConvGeometry {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`netc Conv2DBackpropFilter: only NHWC, got ${attrs.dataFormat}`);
  const g = convGeometry(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  if (!tf.util.arraysEqual(g.info.outShape, dy.shape)) {
    throw new Error(`netc Conv2DBackpropFilter: dy is ${dy.shape}, the convolution gives ${g.info.outShape}`);
  }
  return g;
}

/**
 * On wasm the filter gradient is itself a convolution, run by XNNPACK: with the batch as the channel axis,
 * x (padded) as a C-image batch of [Hp, Wp, N] maps and dy as an [OH, OW, N, OC] filter dilated by the stride.
 * The result [C, >=KH, >=KW, OC] is cropped and transposed to [KH, KW, C, OC].
 */
function wasmKernel(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const fb = flatBackend(args.backend, 'wasm');
  const { info, top, left } = checkAttrs(x, dy, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = info;
  const { outHeight: oh, outWidth: ow, outChannels: oc, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  // Only the rows and columns some output reads are kept: (OH-1)*S + K of the padded image.
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;

  const xt = padTranspose(fb, x, n, h, w, c, hp, wp, top, left);
  const dyt = batchInside(fb, dy, n, oh * ow, oc);
  const full = fb.run('Conv2D', { x: xt, filter: dyt }, {
    strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap);
  fb.dispose(xt);
  fb.dispose(dyt);
  const out = fb.alloc([kh, kw, c, oc]);
  const [, fh, fw] = full.shape as [number, number, number, number];
  const src = fb.view(full);
  const dst = fb.view(out);
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const from = ((ci * fh + i) * fw + j) * oc;
        dst.set(src.subarray(from, from + oc), ((i * kw + j) * c + ci) * oc);
      }
    }
  }
  fb.dispose(full);
  return out;
}

/** dy [N, P, O] to [P, N, O] (P = OH*OW): rows of O channels moved whole; wasm's Transpose takes twice as long. */
function batchInside(fb: FlatBackend, dy: tf.TensorInfo, n: number, p: number, o: number): tf.TensorInfo {
  const out = fb.alloc([dy.shape[1]!, dy.shape[2]!, n, o]);
  const src = fb.view(dy);
  const dst = fb.view(out);
  for (let q = 0; q < p; q++) {
    for (let b = 0; b < n; b++) {
      const from = (b * p + q) * o;
      const to = (q * n + b) * o;
      for (let k = 0; k < o; k++) dst[to + k] = src[from + k]!;
    }
  }
  return out;
}

/** x [N, H, W, C] to [C, Hp, Wp, N] with the image placed at (top, left) and zeros around it, in one pass. */
function padTranspose(
  fb: FlatBackend, x: tf.TensorInfo, n: number, h: number, w: number, c: number,
  hp: number, wp: number, top: number, left: number,
): tf.TensorInfo {
  const out = fb.alloc([c, hp, wp, n]);
  const src = fb.view(x);
  const dst = fb.view(out);
  dst.fill(0);
  const i0 = Math.max(0, -top);
  const i1 = Math.min(h, hp - top);
  const j0 = Math.max(0, -left);
  const j1 = Math.min(w, wp - left);
  for (let b = 0; b < n; b++) {
    for (let i = i0; i < i1; i++) {
      for (let j = j0; j < j1; j++) {
        const from = ((b * h + i) * w + j) * c;
        const to = ((i + top) * wp + (j + left)) * n + b;
        for (let ci = 0; ci < c; ci++) dst[to + ci * hp * wp * n] = src[from + ci];
      }
    }
  }
  return out;
}

/**
 * On cpu, plain loops over the flat arrays with float64 accumulators: the channel loop innermost over
 * contiguous memory, each input value read once per kernel offset.
 */
function cpuKernel(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const fb = flatBackend(args.backend, 'cpu');
  const { info, top, left } = checkAttrs(x, dy, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = info;
  const { outHeight: oh, outWidth: ow, outChannels: oc, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const xs = fb.view(x);
  const dys = fb.view(dy);
  const acc = new Float64Array(kh * kw * c * oc);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const dyOff = ((b * oh + i) * ow + j) * oc;
        for (let p = 0; p < kh; p++) {
          const r = i * sh + p - top;
          if (r < 0 || r >= h) continue;
          for (let q = 0; q < kw; q++) {
            const s = j * sw + q - left;
            if (s < 0 || s >= w) continue;
            const xOff = ((b * h + r) * w + s) * c;
            const accOff = (p * kw + q) * c * oc;
            for (let ci = 0; ci < c; ci++) {
              const xv = xs[xOff + ci];
              if (xv === 0) continue;
              const a = accOff + ci * oc;
              for (let o = 0; o < oc; o++) acc[a + o] += xv * dys[dyOff + o];
            }
          }
        }
      }
    }
  }
  const out = fb.alloc([kh, kw, c, oc]);
  fb.view(out).set(acc);
  return out;
}

/** netc's Conv2DBackpropFilter for the wasm backend (missing there) and the cpu backend (too slow there). */
export const conv2dBackpropFilterKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: wasmKernel },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: cpuKernel },
];
