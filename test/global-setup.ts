import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * Every temporary file a test makes (os.tmpdir()) goes under one directory of this run, removed when the
 * run ends, also when a test forgot its own or failed before its clean-up. Test workers inherit TMPDIR;
 * an engine a test starts is given the system's (`engineEnv()` in helpers/engine.ts).
 */
export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(`${tmpdir()}/healer-tests-`);
  // What engines a test starts (dockerd again, the Swarm engine) keep: they outlive this directory.
  process.env.HEALER_TESTS_SYSTEM_TMPDIR = before ?? '';
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env.HEALER_TESTS_SYSTEM_TMPDIR;
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  };
}
