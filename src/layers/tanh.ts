import { activationKind } from './activation.js';

/** `tanh`: PyTorch's `nn.Tanh`, elementwise; no parameters, the shape is kept. */
export const tanh = activationKind('tanh');
