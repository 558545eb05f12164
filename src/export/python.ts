/**
 * Finding a python3 that has PyTorch, and running short scripts with it. Everything that starts Python goes
 * through here, with arguments passed as argv (never interpolated into code).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';

/** A Python interpreter that imports torch. */
export interface TorchPython {
  /** The executable, as found (an absolute path, or the explicit one given). */
  readonly path: string;
  readonly torchVersion: string;
}

/** Where to look. The CLI fills it from `--python`, `NETC_PYTHON` and `PATH`. */
export interface FindPythonOptions {
  /** `--python` or `NETC_PYTHON`: the only interpreter tried when given. */
  readonly explicit?: string | undefined;
  /** The PATH searched for `python3` and `python`. */
  readonly path?: string | undefined;
  /** Tried after PATH: where distributions install their torch package (Debian's python3-torch). */
  readonly fallbacks?: readonly string[];
}

/** Interpreters tried after PATH: a shell's python3 (pyenv, a venv) may lack torch while the system one has it. */
export const systemPythons: readonly string[] = ['/usr/bin/python3', '/usr/local/bin/python3'];

const probe = 'import sys, torch; sys.stdout.write(torch.__version__)';

/**
 * The first interpreter that imports torch: the explicit one alone, else `python3` and `python` on PATH, then the
 * fallbacks. None: NN4101, naming what was tried and how to get PyTorch.
 */
export function findTorchPython(options: FindPythonOptions): TorchPython {
  const candidates = options.explicit !== undefined ? [options.explicit] : [...onPath(options.path ?? ''), ...(options.fallbacks ?? systemPythons)];
  const tried: string[] = [];
  for (const candidate of [...new Set(candidates)]) {
    const result = spawnSync(candidate, ['-c', probe], { encoding: 'utf8', timeout: 120_000 });
    if (result.error !== undefined) {
      tried.push(`${candidate} (${(result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : result.error.message})`);
    } else if (result.status === 0) {
      return { path: candidate, torchVersion: result.stdout.trim() };
    } else {
      tried.push(`${candidate} (${/No module named '?torch/.test(result.stderr) ? 'no torch module' : `exit ${result.status}`})`);
    }
  }
  const what = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no python3 was found';
  throw new NetcError(
    'NN4101',
    `This needs python3 with PyTorch, and none was found: ${what}. Install PyTorch (\`sudo apt-get install python3-torch\`, ` +
      'or `pip install torch`), or point netc at an interpreter that has it with --python PATH or NETC_PYTHON.',
  );
}

/** `python3` and `python` in each PATH directory, in order, where the file is executable. */
function onPath(path: string): string[] {
  const found: string[] = [];
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    for (const name of ['python3', 'python']) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        found.push(file);
      } catch {
        // not here
      }
    }
  }
  return found;
}

/** What a script printed and how it ended. */
export interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `python -c script args...` to completion (scripts that take seconds: saving or evaluating weights). */
export function runPython(python: TorchPython, script: string, args: readonly string[], cwd?: string): ScriptResult {
  const result = spawnSync(python.path, ['-c', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(cwd === undefined ? {} : { cwd }),
  });
  if (result.error !== undefined) throw new NetcError('NN4101', `Cannot run ${python.path}: ${result.error.message}.`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The last lines of a Python error, for a message. */
export function pythonErrorTail(stderr: string, lines = 6): string {
  return stderr.trim().split('\n').slice(-lines).join('\n');
}
