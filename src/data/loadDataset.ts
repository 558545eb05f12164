/** Loading whatever a run's dataset names: a catalogue dataset (found, downloaded, verified) or the user's files. */
import { NetcError } from '../diagnostics/NetcError.js';
import { datasets, parseDatasetSpec } from '../ir/catalogue.js';
import type { DownloadProgress } from './download.js';
import { loadFashionMnist } from './fashionMnist.js';
import { loadCatalogueDataset } from './fetchDataset.js';
import { loadFolder } from './folder.js';
import type { LoadedDataset } from './imageSet.js';
import { loadIdxDir } from './idxDir.js';
import { loadNpz } from './npz.js';

/** Where to look and whether to download. */
export interface LoadDatasetOptions {
  readonly dataDir?: string;
  readonly download?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly fetchImpl?: typeof fetch;
}

/** Loads the dataset `spec` names (`cifar10`, `idx:DIR`, `folder:DIR`, `npz:FILE`). */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  const parsed = parseDatasetSpec(spec);
  switch (parsed.kind) {
    case 'idx':
      return loadIdxDir(parsed.path);
    case 'folder':
      return loadFolder(parsed.path);
    case 'npz':
      return loadNpz(parsed.path);
    case 'catalogue': {
      const info = datasets[parsed.name];
      if (info === undefined) throw new NetcError('NN5001', `There is no dataset '${parsed.name}'; the datasets are ${Object.keys(datasets).join(', ')}, or idx:DIR, folder:DIR, npz:FILE.`);
      const common = {
        ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
        ...(options.download !== undefined && { download: options.download }),
        ...(options.env !== undefined && { env: options.env }),
        ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
        ...(options.fetchImpl !== undefined && { fetchImpl: options.fetchImpl }),
      };
      // Fashion-MNIST keeps its own search (NETC_DATA, Debian's package) and its uncompressed checksums.
      if (info.name === 'fashion-mnist') {
        const data = await loadFashionMnist(common);
        return { name: data.name, train: { ...data.train, channels: 1 }, test: { ...data.test, channels: 1 }, classNames: data.classNames, source: data.source };
      }
      return loadCatalogueDataset(info, common);
    }
  }
}
