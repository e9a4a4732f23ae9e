/**
 * Tables of the history. Probe data is keyed (container, role, t) without rowids: the per-container
 * reads the page makes are range scans. auto_vacuum=INCREMENTAL lets the size bound give pages back.
 */
export const SCHEMA = `
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 50;
CREATE TABLE IF NOT EXISTS transitions (
  at INTEGER NOT NULL, container TEXT NOT NULL, project TEXT, event TEXT NOT NULL, reason TEXT NOT NULL,
  recovery_ms INTEGER, exit_code INTEGER, oom INTEGER
);
CREATE INDEX IF NOT EXISTS transitions_by_container ON transitions (container, at);
CREATE INDEX IF NOT EXISTS transitions_by_time ON transitions (at);
CREATE TABLE IF NOT EXISTS probe_minutes (
  container TEXT NOT NULL, role INTEGER NOT NULL, t INTEGER NOT NULL,
  ok INTEGER NOT NULL, fail INTEGER NOT NULL, latency_sum REAL NOT NULL, latency_max REAL NOT NULL,
  PRIMARY KEY (container, role, t)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS probe_hours (
  container TEXT NOT NULL, role INTEGER NOT NULL, t INTEGER NOT NULL,
  ok INTEGER NOT NULL, fail INTEGER NOT NULL, latency_sum REAL NOT NULL, latency_max REAL NOT NULL,
  PRIMARY KEY (container, role, t)
) WITHOUT ROWID;
`;
