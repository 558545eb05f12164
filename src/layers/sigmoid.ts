import { activationKind } from './activation.js';

/** `sigmoid`: PyTorch's `nn.Sigmoid`, elementwise; no parameters, the shape is kept. */
export const sigmoid = activationKind('sigmoid');
