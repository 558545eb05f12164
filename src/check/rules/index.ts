import { ClassCountRule } from './ClassCountRule.js';
import { DatasetInputRule } from './DatasetInputRule.js';
import { DoubleActivationRule } from './DoubleActivationRule.js';
import { DoubleBatchNormRule } from './DoubleBatchNormRule.js';
import { InputAfterLayerRule } from './InputAfterLayerRule.js';
import { MissingInputRule } from './MissingInputRule.js';
import { ModelSizeRule } from './ModelSizeRule.js';
import { NoLayersRule } from './NoLayersRule.js';
import { RepeatedStatementRule } from './RepeatedStatementRule.js';
import type { Rule } from './Rule.js';
import { TrainableRule } from './TrainableRule.js';

/** Every rule the checker runs after inference, each reading the same resolved file and shapes. */
export const rules: readonly Rule[] = [
  MissingInputRule,
  RepeatedStatementRule,
  InputAfterLayerRule,
  NoLayersRule,
  ClassCountRule,
  TrainableRule,
  DatasetInputRule,
  DoubleBatchNormRule,
  DoubleActivationRule,
  ModelSizeRule,
];
