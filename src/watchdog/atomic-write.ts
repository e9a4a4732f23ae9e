import { close, existsSync, fsync, mkdirSync, open, rename, writeFile } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

/**
 * Writes `text` to `path` so that a kill -9 at any point leaves either the old or the new file, never
 * half of one: a temporary file is written and fsynced, then renamed over the old one, and the directory
 * fsynced so the rename itself survives a power cut. Throws what failed.
 */
export async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  // One level only: Node's recursive mkdir spins forever under some paths (e.g. /proc).
  if (!existsSync(dirname(path))) mkdirSync(dirname(path));
  const fd = await fsp.open(tmp, 'w', 0o600);
  try {
    await fsp.writeFile(fd, text);
    await fsp.fsync(fd);
  } finally {
    await fsp.close(fd);
  }
  await fsp.rename(tmp, path);
  await syncDir(dirname(path));
}

/**
 * fs's callback API, promised, rather than node:fs/promises: its FileHandle module loads Node's readline
 * and fs-watch code with it (~1 MB of healer's idle RSS, README "Memory, start-up and size").
 */
const fsp = { open: promisify(open), writeFile: promisify(writeFile), fsync: promisify(fsync), close: promisify(close), rename: promisify(rename) };

async function syncDir(dir: string): Promise<void> {
  try {
    const fd = await fsp.open(dir, 'r');
    try {
      await fsp.fsync(fd);
    } finally {
      await fsp.close(fd);
    }
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}
