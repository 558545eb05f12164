import * as tf from '@tensorflow/tfjs';
import type { Hyperparameters } from './hyperparameters.js';

/** The tfjs optimizer for a run. */
export function createOptimizer(h: Hyperparameters): tf.Optimizer {
  switch (h.optimizer) {
    case 'sgd':
      return tf.train.sgd(h.lr);
    case 'momentum':
      return tf.train.momentum(h.lr, h.momentum);
    case 'adam':
      return tf.train.adam(h.lr);
  }
}
