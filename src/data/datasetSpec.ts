/** What `--dataset` (or a `train` line's `dataset=`) names: a catalogue dataset, or user files of one format. */
export type DatasetSpec =
  | { readonly kind: 'catalogue'; readonly name: string }
  | { readonly kind: 'idx' | 'folder' | 'npz'; readonly path: string };

/** The user-data formats, as written before the colon. */
export const userDataFormats = ['idx', 'folder', 'npz'] as const;

/** Reads `idx:DIR`, `folder:DIR`, `npz:FILE` or a plain name (checked against the catalogue by the caller). */
export function parseDatasetSpec(text: string): DatasetSpec {
  const colon = text.indexOf(':');
  const format = colon > 0 ? text.slice(0, colon) : '';
  if ((userDataFormats as readonly string[]).includes(format)) {
    return { kind: format as 'idx' | 'folder' | 'npz', path: text.slice(colon + 1) };
  }
  return { kind: 'catalogue', name: text };
}
