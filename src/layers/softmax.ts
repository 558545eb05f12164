import { activationKind } from './activation.js';

/** `softmax`: over the features of a flat input, over the channels of a C x H x W map (`nn.Softmax(dim=1)`). */
export const softmax = activationKind('softmax');
