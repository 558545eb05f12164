import type { Severity } from './Diagnostic.js';

/** One entry of the catalogue: a stable code, its severity, and a short title for docs and `--format json`. */
export interface MessageEntry {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
}

/**
 * Every diagnostic netc can report, by stable code. Codes never change meaning once released; new ones are added.
 * NN1xxx syntax, NN2xxx names and values, NN3xxx shapes, NN4xxx compile and backend, NN5xxx data and training,
 * NN6xxx contracts (lockfile, budgets).
 * The message text itself is built where the problem is found (it needs the numbers); this table is the index.
 */
export const catalogue = {
  // NN1xxx: syntax
  NN1001: { code: 'NN1001', severity: 'error', title: 'Syntax error: unexpected token' },
  NN1002: { code: 'NN1002', severity: 'error', title: 'Unrecognised character' },
  NN1003: { code: 'NN1003', severity: 'error', title: 'The file is not text' },
  NN1004: { code: 'NN1004', severity: 'error', title: 'Malformed number' },
  NN1005: { code: 'NN1005', severity: 'error', title: 'Too many problems; the rest are not shown' },
  NN1006: { code: 'NN1006', severity: 'error', title: 'Brackets nested too deep' },
  NN1007: { code: 'NN1007', severity: 'error', title: 'Unbalanced brackets' },
  NN1008: { code: 'NN1008', severity: 'warning', title: 'Window size with a spaced x' },
  NN1009: { code: 'NN1009', severity: 'warning', title: 'Too large to check while editing' },

  // NN2xxx: names and values
  NN2001: { code: 'NN2001', severity: 'error', title: 'Unknown layer' },
  NN2002: { code: 'NN2002', severity: 'error', title: 'Unknown argument' },
  NN2003: { code: 'NN2003', severity: 'error', title: 'Argument given twice' },
  NN2004: { code: 'NN2004', severity: 'error', title: 'Value of the wrong type' },
  NN2005: { code: 'NN2005', severity: 'error', title: 'Unknown train key' },
  NN2006: { code: 'NN2006', severity: 'error', title: 'Missing input statement' },
  NN2007: { code: 'NN2007', severity: 'error', title: 'Repeated statement' },
  NN2008: { code: 'NN2008', severity: 'error', title: 'Missing required argument' },
  NN2009: { code: 'NN2009', severity: 'error', title: 'Too many positional arguments' },
  NN2010: { code: 'NN2010', severity: 'error', title: 'Non-positive size' },
  NN2011: { code: 'NN2011', severity: 'error', title: 'Value out of range' },
  NN2012: { code: 'NN2012', severity: 'error', title: 'Input statement after the first layer' },
  NN2013: { code: 'NN2013', severity: 'error', title: 'No layers' },
  NN2014: { code: 'NN2014', severity: 'error', title: 'Invalid input shape' },
  NN2015: { code: 'NN2015', severity: 'error', title: 'Fractional value where a whole number is needed' },
  NN2016: { code: 'NN2016', severity: 'error', title: 'Unknown value for a word argument' },
  NN2017: { code: 'NN2017', severity: 'error', title: 'Unknown block' },
  NN2018: { code: 'NN2018', severity: 'error', title: 'Block used before its definition' },
  NN2019: { code: 'NN2019', severity: 'error', title: 'Recursive block' },
  NN2020: { code: 'NN2020', severity: 'error', title: 'Block defined twice' },
  NN2021: { code: 'NN2021', severity: 'error', title: 'Block named like a layer' },
  NN2022: { code: 'NN2022', severity: 'error', title: 'Too many block arguments, or a positional one after a named one' },
  NN2023: { code: 'NN2023', severity: 'error', title: 'Unknown block argument' },
  NN2024: { code: 'NN2024', severity: 'error', title: 'Missing block argument' },
  NN2025: { code: 'NN2025', severity: 'error', title: 'Invalid parameter list' },
  NN2026: { code: 'NN2026', severity: 'error', title: 'Name in argument position that is not a parameter' },
  NN2027: { code: 'NN2027', severity: 'error', title: 'Invalid repetition count' },
  NN2028: { code: 'NN2028', severity: 'error', title: 'Blocks and repetition expand too far' },
  NN2029: { code: 'NN2029', severity: 'warning', title: 'Block defined but never used' },
  NN2030: { code: 'NN2030', severity: 'error', title: 'Too many layers to compile' },
  NN2031: { code: 'NN2031', severity: 'error', title: 'Model too large to compile and train' },
  NN2032: { code: 'NN2032', severity: 'error', title: 'Unknown budget' },
  NN2040: { code: 'NN2040', severity: 'error', title: 'Train options that do not go together' },

  // NN3xxx: shapes
  NN3001: { code: 'NN3001', severity: 'error', title: 'Layer expects a flat input' },
  NN3002: { code: 'NN3002', severity: 'error', title: 'Layer expects a C x H x W input' },
  NN3003: { code: 'NN3003', severity: 'error', title: 'Kernel larger than its padded input' },
  NN3004: { code: 'NN3004', severity: 'error', title: 'Padding too large for the kernel' },
  NN3005: { code: 'NN3005', severity: 'error', title: 'Residual body changes the shape (no proj)' },
  NN3006: { code: 'NN3006', severity: 'error', title: 'Residual body changes the rank' },
  NN3007: { code: 'NN3007', severity: 'error', title: 'No 1x1 projection matches the residual body' },
  NN3008: { code: 'NN3008', severity: 'error', title: 'The shape is not the one `expect` names' },
  NN3101: { code: 'NN3101', severity: 'error', title: 'Output width differs from the dataset class count' },
  NN3102: { code: 'NN3102', severity: 'warning', title: 'Two batch norms in a row' },
  NN3103: { code: 'NN3103', severity: 'warning', title: 'Activation applied twice' },
  NN3104: { code: 'NN3104', severity: 'warning', title: "Input differs from the default dataset's images" },
  NN3105: { code: 'NN3105', severity: 'error', title: 'Model without trainable parameters' },
  NN3106: { code: 'NN3106', severity: 'warning', title: 'Flatten of an input that is already flat' },

  // NN4xxx: compile and backend
  NN4001: { code: 'NN4001', severity: 'error', title: 'Backend not available' },
  NN4002: { code: 'NN4002', severity: 'error', title: 'Output directory cannot be written' },
  NN4003: { code: 'NN4003', severity: 'error', title: 'Saved model cannot be read' },
  NN4004: { code: 'NN4004', severity: 'error', title: 'Training threads failed' },
  NN4005: { code: 'NN4005', severity: 'error', title: 'Backend out of memory' },
  NN4006: { code: 'NN4006', severity: 'error', title: 'Run directory in use by another run' },
  // NN41xx: export and the PyTorch engine
  NN4101: { code: 'NN4101', severity: 'error', title: 'python3 with PyTorch not found' },
  NN4102: { code: 'NN4102', severity: 'error', title: 'Layer has no form in the export format' },
  NN4103: { code: 'NN4103', severity: 'error', title: 'PyTorch training failed' },
  NN4104: { code: 'NN4104', severity: 'error', title: 'Not a run or export directory' },

  // NN5xxx: data and training
  NN5001: { code: 'NN5001', severity: 'error', title: 'Dataset files not found' },
  NN5002: { code: 'NN5002', severity: 'error', title: 'Dataset file corrupt or of the wrong kind' },
  NN5003: { code: 'NN5003', severity: 'error', title: 'Model does not fit the dataset' },
  NN5004: { code: 'NN5004', severity: 'error', title: 'Loss became NaN or infinite' },
  NN5005: { code: 'NN5005', severity: 'error', title: 'Run directory cannot be resumed' },
  NN5006: { code: 'NN5006', severity: 'error', title: 'Training diverged' },
  NN5007: { code: 'NN5007', severity: 'warning', title: 'Model not learning' },

  // NN6xxx: contracts
  NN6001: { code: 'NN6001', severity: 'error', title: 'Model changed since the lockfile was written' },
  NN6002: { code: 'NN6002', severity: 'error', title: 'File not in the lockfile' },
  NN6003: { code: 'NN6003', severity: 'error', title: 'Budget exceeded' },
} as const satisfies Record<string, MessageEntry>;

/** A code in the catalogue. */
export type Code = keyof typeof catalogue;
