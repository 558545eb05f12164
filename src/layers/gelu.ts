import type { LayerKind } from './LayerKind.js';
import { activationKind } from './activation.js';

/**
 * `gelu`: x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2, PyTorch's `nn.GELU()` (its default, exact form), which is
 * tfjs's `gelu` activation. PyTorch's `approximate='tanh'` form is not offered: tfjs's `gelu_new` computes it but
 * does not survive a save and load (tfjs reads its name back as `geluNew`, which it does not know).
 */
export const gelu: LayerKind = activationKind('gelu');
