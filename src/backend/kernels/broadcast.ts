import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';
import { tileInto } from './tile.js';

/*
 * wasm's element-wise kernels are fast on equal shapes and on a scalar, but broadcasting any other shape
 * (a per-channel [C] vector against an [N, H, W, C] map, everywhere in batch norm) goes through a
 * per-element index computation: 2.4 ms against 0.2 ms. Spreading the smaller operand with a block
 * copy first and then running the equal-shape kernel gives the same numbers for a tenth of the time.
 * The cpu backend is fast when the smaller operand only lacks leading axes ([C] against [N, H, W, C]) and
 * builds index arrays per element otherwise ([1, 1, 1, C]): there leading 1s are dropped first, for free.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** The element-wise kernels with two operands that netc routes through the spreading path. */
export const broadcastKernelNames = ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference'] as const;

/** The shape without its leading 1s, when what is left is the end of `outShape` (so only leading axes broadcast). */
function suffixView(t: tf.TensorInfo, outShape: readonly number[]): tf.TensorInfo | undefined {
  let lead = 0;
  while (lead < t.shape.length && t.shape[lead] === 1) lead++;
  const rest = t.shape.slice(lead);
  return tf.util.arraysEqual(rest, outShape.slice(outShape.length - rest.length)) ? { ...t, shape: rest } : undefined;
}

function kernel(kernelName: string, name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const fb = flatBackend(args.backend, name);
    const native =
      a.dtype !== 'float32' || b.dtype !== 'float32' || tf.util.arraysEqual(a.shape, b.shape) ||
      tf.util.sizeFromShape(a.shape) <= 1 || tf.util.sizeFromShape(b.shape) <= 1;
    if (native) return fb.run(kernelName, { a, b }, args.attrs);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (name === 'cpu') {
      // Views, not copies: the kernel reads the same data under the shorter shape.
      const av = tf.util.arraysEqual(a.shape, outShape) ? a : suffixView(a, outShape);
      const bv = tf.util.arraysEqual(b.shape, outShape) ? b : suffixView(b, outShape);
      if (av !== undefined && bv !== undefined) {
        const out = fb.run(kernelName, { a: av, b: bv }, args.attrs);
        return { ...out, shape: outShape };
      }
    }
    const spread = (t: tf.TensorInfo): tf.TensorInfo => {
      if (tf.util.arraysEqual(t.shape, outShape)) return t;
      const shape = [...new Array<number>(outShape.length - t.shape.length).fill(1), ...t.shape];
      const out = fb.alloc(outShape);
      tileInto(fb.view(t), shape, outShape.map((d, i) => d / shape[i]!), fb.view(out));
      return out;
    };
    const as = spread(a);
    const bs = spread(b);
    const out = fb.run(kernelName, { a: as, b: bs }, args.attrs);
    if (as !== a) fb.dispose(as);
    if (bs !== b) fb.dispose(bs);
    return out;
  };
}

/** netc's broadcasting path for wasm's and cpu's two-operand element-wise kernels. */
export const broadcastKernels: readonly tf.KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((backendName) =>
  broadcastKernelNames.map((kernelName) => ({ kernelName, backendName, kernelFunc: kernel(kernelName, backendName) })),
);
