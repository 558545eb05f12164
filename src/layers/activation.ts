import type { LayerKind } from './LayerKind.js';

/** The activations the language has; each is also the tfjs activation identifier. */
export type ActivationName = 'sigmoid' | 'relu' | 'tanh' | 'softmax' | 'gelu';

const activations = new WeakSet<LayerKind>();

/**
 * A parameterless, shape-keeping activation layer kind. On a C x H x W map, `softmax` normalises over the
 * channels (tfjs's last axis, channels-last), which is PyTorch's `nn.Softmax(dim=1)`.
 */
export function activationKind(name: ActivationName): LayerKind {
  const kind: LayerKind = {
    name,
    args: [],
    inferShape(input) {
      return input;
    },
    params() {
      return { trainable: 0, nonTrainable: 0 };
    },
    macs() {
      return 0;
    },
    lower(_layer, ctx) {
      return [ctx.tf.layers.activation({ activation: name, name: ctx.name() })];
    },
  };
  activations.add(kind);
  return kind;
}

/** Marks a hand-written elementwise activation kind (one with arguments, like `leakyrelu`) as an activation. */
export function markActivation(kind: LayerKind): LayerKind {
  activations.add(kind);
  return kind;
}

/** True for the activation kinds: those made by `activationKind` (`sigmoid`, `relu`, ...) or `markActivation`. */
export function isActivation(kind: LayerKind): boolean {
  return activations.has(kind);
}
