import { datasets } from '../ir/catalogue.js';

const fashionMnist = datasets['fashion-mnist']!;

/** The four files of Fashion-MNIST: what each holds and the checksums that identify the published release. */

/** Which half of the dataset a file belongs to. */
export type Split = 'train' | 'test';

/** What an IDX file holds: images (magic 2051, three dimensions) or labels (magic 2049, one dimension). */
export type IdxKind = 'images' | 'labels';

/** One of the four standard files. */
export interface DataFile {
  /** The name without `.gz`: `train-images-idx3-ubyte`. The compressed file is `${name}.gz`. */
  readonly name: string;
  readonly split: Split;
  readonly kind: IdxKind;
  /** MD5 of the published `.gz` file, as listed in the upstream README: what a download is verified against. */
  readonly gzMd5: string;
  /**
   * MD5 of the decompressed IDX bytes. Repackaged copies (Debian recompresses the `.gz` files, so their MD5s differ
   * from `gzMd5`) are the same release when these match.
   */
  readonly rawMd5: string;
}

/** The four files, in the order they are loaded and listed in messages. */
export const dataFiles: readonly DataFile[] = [
  {
    name: 'train-images-idx3-ubyte',
    split: 'train',
    kind: 'images',
    gzMd5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    rawMd5: 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
  },
  {
    name: 'train-labels-idx1-ubyte',
    split: 'train',
    kind: 'labels',
    gzMd5: '25c81989df183df01b3e8a0aad5dffbe',
    rawMd5: '9018921c3c673c538a1fc5bad174d6f9',
  },
  {
    name: 't10k-images-idx3-ubyte',
    split: 'test',
    kind: 'images',
    gzMd5: 'bef4ecab320f06d8554ea6380940ec79',
    rawMd5: '8181f5470baa50b63fa0f6fddb340f0a',
  },
  {
    name: 't10k-labels-idx1-ubyte',
    split: 'test',
    kind: 'labels',
    gzMd5: 'bb300cfdad3c16e7a12a480ee83cd310',
    rawMd5: '15d484375f8d13e6eb1aabb0c3f46965',
  },
];

/**
 * Where the published files are served. The first is the one the upstream README and torchvision name; the second is
 * the upstream repository itself, tried when the first fails.
 */
export const defaultMirrors: readonly string[] = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];

/** The class names in label order, as the upstream README gives them (src/ir/catalogue.ts). */
export const fashionMnistClassNames: readonly string[] = fashionMnist.labels;

/** Debian's `dataset-fashion-mnist` installs the four `.gz` files here. */
export const debianDataDir = '/usr/share/datasets/fashion-mnist';

/** The URL of one file on a mirror (the mirror given with or without its trailing slash). */
export function fileUrl(mirror: string, file: DataFile): string {
  return `${mirror.endsWith('/') ? mirror : `${mirror}/`}${file.name}.gz`;
}
