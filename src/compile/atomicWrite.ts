import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/*
 * netc's one way to write files that a reader (or a crash, or Ctrl-C) must never see half-written: write
 * everything under a temporary name beside the target, flush it to disk, then rename it into place. Everything is
 * synchronous, so a signal handler (which runs between event-loop turns) never falls between two renames.
 * Used for compiled models (src/compile/io.ts), checkpoints (src/train/checkpoint.ts) and curves (src/train/curves.ts).
 */

/** A fresh name beside `path` for staging what will become it. */
function stagingName(path: string): string {
  return join(dirname(path), `.${basename(path)}.netc-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `contents` to `path` and flushes it: a power cut after a later rename cannot leave an empty file. */
function writeDurably(path: string, contents: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes one file atomically: a reader sees the old contents or the new ones, never part of them. */
export function writeFileAtomic(path: string, contents: string | Uint8Array): void {
  const temp = stagingName(path);
  try {
    writeDurably(temp, contents);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Where `replaceDirectory` keeps the directory it replaces while the new one moves in. */
export interface ReplaceOptions {
  /**
   * The old directory's name while it is replaced (default: beside the staging directory). A reader that knows it
   * (`hasCheckpoint`) still finds a complete directory after a crash between the two renames.
   */
  readonly aside?: string;
}

/**
 * Makes `target` a directory holding exactly `files` (name -> contents), atomically: the files are written and
 * flushed in a fresh directory beside `target`, which is then renamed into place. A previous `target` is renamed
 * aside first, put back if the new one cannot move in, and removed after: at every moment `target` is the old
 * complete directory or the new complete one (or, between the renames, the old one is at `aside`).
 */
export function replaceDirectory(target: string, files: Readonly<Record<string, string | Uint8Array>>, options: ReplaceOptions = {}): void {
  mkdirSync(dirname(target), { recursive: true });
  const staging = stagingName(target);
  const aside = options.aside ?? `${staging}-old`;
  try {
    // Not mkdtemp: its 0700 mode would become the final directory's; mkdir applies the user's umask.
    mkdirSync(staging);
    for (const [name, contents] of Object.entries(files)) writeDurably(join(staging, name), contents);
    rmSync(aside, { recursive: true, force: true });
    const replacing = existsSync(target);
    if (replacing) renameSync(target, aside);
    try {
      renameSync(staging, target);
    } catch (error) {
      if (replacing) renameSync(aside, target);
      throw error;
    }
    // The new directory is in place: failing to delete the old one must not report the write as failed.
    try {
      rmSync(aside, { recursive: true, force: true });
    } catch {
      // left for the next write, which clears `aside` first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
