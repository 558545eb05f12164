/*
 * One place for the facts that the checker, the trainer and the CLI all need: the datasets netc trains on, its
 * optimizers, and its batch-norm implementations. Front-end safe: no tfjs, no node built-ins.
 */

/** What a model must match to train on a dataset, and how its classes are called. */
export interface DatasetInfo {
  readonly name: string;
  /** One image: channels x rows x cols, the language's `input C x H x W`. */
  readonly channels: number;
  readonly rows: number;
  readonly cols: number;
  /** The width a model's last layer must have. */
  readonly classes: number;
  /** The class names in label order. */
  readonly labels: readonly string[];
}

/** Fashion-MNIST: 28x28 grey images of 10 kinds of clothing (labels as the upstream README gives them). */
const fashionMnist: DatasetInfo = {
  name: 'fashion-mnist',
  channels: 1,
  rows: 28,
  cols: 28,
  classes: 10,
  labels: Object.freeze(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']),
};

/** The datasets netc can train on, by name. */
export const datasets: Readonly<Record<string, DatasetInfo>> = { [fashionMnist.name]: fashionMnist };

/** The dataset a file trains on when its `train` line names none. */
export const defaultDataset = fashionMnist.name;

/** The optimizers `netc train` offers (the `train` line's `optimizer=` and `--optimizer`). */
export const optimizerNames = ['sgd', 'momentum', 'adam'] as const;

/** One of `optimizerNames`. */
export type OptimizerName = (typeof optimizerNames)[number];

/** What each optimizer is configured with besides its rate, and the rate it uses when none is given. */
export const optimizers: Readonly<Record<OptimizerName, { readonly defaultLr: number; readonly options: readonly string[] }>> = {
  // SGD keeps the seed's 1.0; the same rate would make momentum (an effective step ten times larger) and Adam
  // (a per-weight step of about lr) diverge at once.
  sgd: { defaultLr: 1.0, options: [] },
  momentum: { defaultLr: 0.1, options: ['momentum'] },
  adam: { defaultLr: 0.001, options: [] },
};

/** True when `name` is one of the optimizers netc offers. */
export function isOptimizerName(name: string): name is OptimizerName {
  return (optimizerNames as readonly string[]).includes(name);
}

/** How a `bn` is computed: tfjs's batch-norm layer, or netc's from-scratch one (`bn impl=`, `--bn`). */
export const bnImpls = ['builtin', 'scratch'] as const;

/** One of `bnImpls`. */
export type BnImpl = (typeof bnImpls)[number];

/** True when `name` is one of the batch-norm implementations. */
export function isBnImpl(name: unknown): name is BnImpl {
  return typeof name === 'string' && (bnImpls as readonly string[]).includes(name);
}
