import * as tf from '@tensorflow/tfjs';

/*
 * A residual join and the relu after it as one kernel, y = relu(a + b) (a ResNet block's tail), and the gradient
 * both inputs share, dz = dy where y > 0: one call and three passes over memory each way instead of tfjs's Add and
 * Relu forward and Step, Multiply (and a copy) back. Run by netc's native kernels on wasm (src/backend/native); the
 * compiler's fused layer (NetcFusedAddActivation) uses them where they are registered and tfjs ops elsewhere.
 */

/** Kernel name: inputs a, b (same shape); attrs { activation: 'relu' | 'linear' }; output act(a + b). */
export const addActivationKernel = 'NetcAddActivation';
/** Kernel name: inputs dy, y; attrs { activation }; output dy * act'(y), from the activation's output. */
export const activationGradKernel = 'NetcActivationGrad';

/** The activations the fused join applies. */
export type JoinActivation = 'relu' | 'linear';

/** The gradient of the fused join: the same dz for both inputs (the second a clone, so each is disposed once). */
export const addActivationGrad: tf.GradConfig = {
  kernelName: addActivationKernel,
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [y] = saved as [tf.Tensor];
    const dz = tf.engine().runKernel(activationGradKernel, { dy: dy as tf.Tensor, y }, attrs) as tf.Tensor;
    return { a: () => dz, b: () => tf.clone(dz) };
  },
};
