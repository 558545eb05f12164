import type { Rule } from './Rule.js';

/**
 * NN3105: a model with no trainable parameter (only activations, pools, flatten, dropout) cannot be trained: an
 * optimizer has nothing to update (PyTorch refuses an empty parameter list). As NN3101, an error in a file with a
 * `train` line, a warning in one without; `netc train` reports the same NN3105 as an error (src/train/fitDataset.ts).
 */
export const TrainableRule: Rule = ({ nodes, output, statements, reportAt }) => {
  if (output === null || nodes.length === 0) return;
  let trainable = 0;
  for (const node of nodes) {
    // A node of unknown shape follows an error already reported; the count would be a guess.
    if (node.kind !== null && node.input === null) return;
    if (node.kind !== null && node.input !== null) trainable += node.kind.params(node.input, node.args).trainable;
  }
  if (trainable > 0) return;
  reportAt(output, 'NN3105', noTrainableMessage, statements.trains.length > 0 ? { dependent: false } : { dependent: false, severity: 'warning' });
};

/** The message of NN3105, in check and in train. */
export const noTrainableMessage =
  'The model has no trainable parameters, so training cannot change it; add a layer that learns, such as `dense 10`.';
