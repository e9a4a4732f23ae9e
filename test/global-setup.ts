import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * Every temporary file a test makes (os.tmpdir()) goes under one directory of this run, removed when the
 * run ends, also when a test forgot its own or failed before its clean-up. Test workers inherit TMPDIR.
 */
export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(`${tmpdir()}/healer-tests-`);
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  };
}
