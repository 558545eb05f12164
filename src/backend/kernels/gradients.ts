import * as tf from '@tensorflow/tfjs';

/*
 * Gradient functions that replace tfjs's own for two kernels of batch normalisation. They compute the same
 * derivatives with fewer full-size operations: tfjs's FusedBatchNorm gradient spends a Tile of the whole
 * input (the costliest kernel of a LeNet-BN step on wasm) and about twelve element-wise passes; Mean's
 * multiplies by a tensor of ones the size of the input. They are backend-independent.
 */

/**
 * d/dx, d/dmean, d/dvariance, d/dscale, d/doffset of y = (x - mean) * scale / sqrt(variance + eps) + offset,
 * with mean and variance taken as independent inputs (moments' own gradient adds their dependence on x):
 *   r = 1/sqrt(variance + eps), a = scale * r, s1 = sum(dy), s2 = sum(dy * (x - mean)) over the reduced axes
 *   dx = dy * a, doffset = s1, dmean = -a * s1, dscale = r * s2, dvariance = -scale * r^3 * s2 / 2.
 */
const fusedBatchNormGrad: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | null | undefined];
    const g = dy as tf.Tensor;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor): tf.Tensor => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const a = scale == null ? r : tf.mul(r, scale);
    // Shared by several inputs' gradients, so made here: each input's function runs in its own tidy.
    const s1 = reduce(g);
    const s2 = reduce(tf.mul(g, tf.sub(x, mean)));
    return {
      x: () => tf.reshape(tf.mul(g, a), x.shape),
      mean: () => tf.neg(tf.mul(a, s1)),
      variance: () => tf.mul(tf.mul(tf.mul(tf.mul(r, r), a), s2), tf.scalar(-0.5)),
      scale: () => tf.mul(r, s2),
      offset: () => tf.clone(s1),
    };
  },
};

/** d/dx of mean(x, axes): dy / n spread over the reduced axes, one tile instead of ones * dy / n. */
const meanGrad: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { axis } = attrs as unknown as tf.MeanAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const n = axes.reduce((p, i) => p * x.shape[i]!, 1);
    return { x: () => tf.tile(tf.div(tf.reshape(dy as tf.Tensor, kept), tf.scalar(n)), reps) };
  },
};

/** netc's replacements for tfjs gradient functions. */
export const netcGradients: readonly tf.GradConfig[] = [fusedBatchNormGrad, meanGrad];
