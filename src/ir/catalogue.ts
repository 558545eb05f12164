/*
 * One place for the facts that the checker, the trainer and the CLI all need: the datasets netc trains on, its
 * optimizers, and its batch-norm implementations. Front-end safe: no tfjs, no node built-ins.
 */

/** One published file of a dataset: its name in the cache and on the mirrors, and its MD5 as published. */
export interface PublishedFile {
  readonly name: string;
  readonly md5: string;
}

/** Where a dataset is published and how its files are laid out. */
export interface DatasetDownload {
  /** `idx`: four MNIST-style IDX files; `cifar10-binary`: CIFAR-10's binary tar.gz of records. */
  readonly format: 'idx' | 'cifar10-binary';
  /** Base URLs tried in order. */
  readonly mirrors: readonly string[];
  readonly files: readonly PublishedFile[];
}

/** What a model must match to train on a dataset, how its classes are called, and where it is published. */
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
  /** The published files (Fashion-MNIST's, with their uncompressed checksums too, are in src/data/files.ts). */
  readonly download: DatasetDownload;
}

/** The four IDX files every MNIST-style dataset publishes, with their MD5s in this order. */
function idxFiles(md5s: readonly [string, string, string, string]): PublishedFile[] {
  const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  return names.map((name, i) => ({ name, md5: md5s[i]! }));
}

/** Fashion-MNIST: 28x28 grey images of 10 kinds of clothing (labels as the upstream README gives them). */
const fashionMnist: DatasetInfo = {
  name: 'fashion-mnist',
  channels: 1,
  rows: 28,
  cols: 28,
  classes: 10,
  labels: Object.freeze(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']),
  download: {
    format: 'idx',
    mirrors: [
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
    ],
    files: idxFiles(['8d4fb7e6c68d591d4c3dfef9ec88bf0d', '25c81989df183df01b3e8a0aad5dffbe', 'bef4ecab320f06d8554ea6380940ec79', 'bb300cfdad3c16e7a12a480ee83cd310']),
  },
};

/** MNIST: 28x28 grey handwritten digits (checksums and mirrors as torchvision lists them). */
const mnist: DatasetInfo = {
  name: 'mnist',
  channels: 1,
  rows: 28,
  cols: 28,
  classes: 10,
  labels: Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']),
  download: {
    format: 'idx',
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
    files: idxFiles(['f68b3c2dcbeaaa9fbdd348bbdeb94873', 'd53e105ee54ea40749a09fcbcd1e9432', '9fb629c4189551a2d022fa330f9573f3', 'ec29112dd5afa0611ce80d1b7f02629c']),
  },
};

/** Kuzushiji-MNIST: 28x28 grey cursive Japanese characters, one per row of the hiragana table (ROIS-CODH). */
const kmnist: DatasetInfo = {
  name: 'kmnist',
  channels: 1,
  rows: 28,
  cols: 28,
  classes: 10,
  labels: Object.freeze(['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo']),
  download: {
    format: 'idx',
    mirrors: ['http://codh.rois.ac.jp/kmnist/dataset/kmnist/'],
    files: idxFiles(['bdb82020997e1d708af4cf47b453dcf7', 'e144d726b3acfaa3e44228e80efcd344', '5c965bf0a639b31b8f53240b1b52f4d7', '7320c461ea6c1c855c0b718fb2a4b134']),
  },
};

/** CIFAR-10: 32x32 colour photographs of 10 classes, the binary release (no Python pickles to read). */
const cifar10: DatasetInfo = {
  name: 'cifar10',
  channels: 3,
  rows: 32,
  cols: 32,
  classes: 10,
  labels: Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']),
  download: {
    format: 'cifar10-binary',
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    files: [{ name: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530' }],
  },
};

/** The datasets netc can train on, by name. */
export const datasets: Readonly<Record<string, DatasetInfo>> = Object.fromEntries([fashionMnist, mnist, kmnist, cifar10].map((d) => [d.name, d]));

/** The formats of the user's own data, written `FORMAT:PATH` (`idx:DIR`, `folder:DIR`, `npz:FILE`) with `--dataset`. */
export const userDataFormats = ['idx', 'folder', 'npz'] as const;

/** What `--dataset` names: a catalogue dataset, or the user's files of one format. */
export type DatasetSpec =
  | { readonly kind: 'catalogue'; readonly name: string }
  | { readonly kind: (typeof userDataFormats)[number]; readonly path: string };

/** Reads `idx:DIR`, `folder:DIR`, `npz:FILE` or a plain name (which the caller checks against `datasets`). */
export function parseDatasetSpec(text: string): DatasetSpec {
  const colon = text.indexOf(':');
  const format = colon > 0 ? text.slice(0, colon) : '';
  if ((userDataFormats as readonly string[]).includes(format)) {
    return { kind: format as (typeof userDataFormats)[number], path: text.slice(colon + 1) };
  }
  return { kind: 'catalogue', name: text };
}

/** The dataset a file trains on when its `train` line names none. */
export const defaultDataset = fashionMnist.name;

/** The optimizers `netc train` offers (the `train` line's `optimizer=` and `--optimizer`). */
export const optimizerNames = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop'] as const;

/** One of `optimizerNames`. */
export type OptimizerName = (typeof optimizerNames)[number];

/**
 * What each optimizer is configured with besides its rate (the `train` keys only it reads), the rate it uses when
 * none is given, and its weight decay when none is given (AdamW's is PyTorch's default 0.01; the others none).
 */
export const optimizers: Readonly<Record<OptimizerName, { readonly defaultLr: number; readonly defaultWd: number; readonly options: readonly string[] }>> = {
  // SGD keeps the seed's 1.0; the same rate would make momentum (an effective step ten times larger) and Adam
  // (a per-weight step of about lr) diverge at once.
  sgd: { defaultLr: 1.0, defaultWd: 0, options: [] },
  momentum: { defaultLr: 0.1, defaultWd: 0, options: ['momentum', 'nesterov'] },
  adam: { defaultLr: 0.001, defaultWd: 0, options: [] },
  adamw: { defaultLr: 0.001, defaultWd: 0.01, options: [] },
  rmsprop: { defaultLr: 0.001, defaultWd: 0, options: [] },
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

/** The learning-rate schedules (src/train/schedule.ts), the `train` line's `schedule=` and `--schedule`. */
export const scheduleNames = ['constant', 'step', 'cosine', 'onecycle'] as const;

/** One of `scheduleNames`. */
export type ScheduleName = (typeof scheduleNames)[number];

/** True when `name` is one of the schedules. */
export function isScheduleName(name: string): name is ScheduleName {
  return (scheduleNames as readonly string[]).includes(name);
}

/** Which checkpoints a run keeps (`keep=`): the last epoch's, or also the best epoch's. */
export const keepPolicies = ['last', 'best'] as const;

/** One of `keepPolicies`. */
export type KeepPolicy = (typeof keepPolicies)[number];

/** True when `name` is a keep policy. */
export function isKeepPolicy(name: string): name is KeepPolicy {
  return (keepPolicies as readonly string[]).includes(name);
}

/** The augmentations `--augment` lists (`flip,crop4`): `flip`, and `cropN` for N pixels of padding, 1 to `maxCrop`. */
export const maxCrop = 16;
