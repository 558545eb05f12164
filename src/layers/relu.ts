import { activationKind } from './activation.js';

/** `relu`: PyTorch's `nn.ReLU`, elementwise; no parameters, the shape is kept. */
export const relu = activationKind('relu');
