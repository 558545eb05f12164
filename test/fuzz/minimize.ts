import { tokenize } from './mutate.js';

/**
 * Delta debugging: the smallest source (by whole lines, then by tokens) for which `fails` still holds, within
 * `budget` calls and `seconds` of time. `fails` must be true of `source` itself.
 */
export async function minimize(
  source: string,
  fails: (candidate: string) => Promise<boolean>,
  budget = 400,
  seconds = 90,
): Promise<string> {
  let calls = 0;
  const stop = Date.now() + seconds * 1000;
  const tries = async (candidate: string): Promise<boolean> => {
    if (calls >= budget || Date.now() > stop) {
      calls = budget;
      return false;
    }
    calls += 1;
    return fails(candidate);
  };
  const shrink = async (parts: string[], join: string): Promise<string[]> => {
    let chunk = Math.max(1, Math.floor(parts.length / 2));
    while (chunk >= 1 && calls < budget) {
      let removed = false;
      for (let start = 0; start < parts.length && calls < budget; ) {
        const candidate = [...parts.slice(0, start), ...parts.slice(start + chunk)];
        if (candidate.length < parts.length && (await tries(candidate.join(join)))) {
          parts = candidate;
          removed = true;
        } else start += chunk;
      }
      if (!removed) chunk = Math.floor(chunk / 2);
    }
    return parts;
  };
  const lines = await shrink(source.split('\n'), '\n');
  const tokens = await shrink(tokenize(lines.join('\n')), '');
  return tokens.join('');
}
