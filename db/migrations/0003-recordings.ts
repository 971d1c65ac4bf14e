// Migration 3: recordings of what the live agent saw (issue 17), to replay later under every
// policy. A recording is its header (when, which host and scope, the device's facts, the
// agent's settings) and its rows: process lifecycle and changes, RSS samples, pressure
// readings and kernel events. The agent's own decisions are not copied: they are the
// decisions of the live host (run_id NULL) logged between started_at and ended_at.
// Names and command lines live only in 'appear' rows, so an anonymized export can leave them out.
// Migration 4 was written at the same time on another branch: db/migrate.ts tracks each
// applied version, so a database that got 4 first still gets this one, once.
export const version = 3;
export const sql = `
CREATE TABLE IF NOT EXISTS recordings (
  id INTEGER PRIMARY KEY,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  host TEXT NOT NULL,
  scope TEXT,
  device TEXT NOT NULL,
  settings TEXT NOT NULL,
  stop_reason TEXT
);
CREATE INDEX IF NOT EXISTS recordings_started ON recordings(started_at);

CREATE TABLE IF NOT EXISTS recording_rows (
  id INTEGER PRIMARY KEY,
  recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('appear', 'exit', 'change', 'rss', 'pressure', 'kernel')),
  pid INTEGER,
  start_time INTEGER,
  app_key TEXT,
  name TEXT,
  cmdline TEXT,
  importance TEXT,
  adj INTEGER,
  foreground INTEGER,
  priority TEXT,
  rss_anon_bytes INTEGER,
  rss_file_bytes INTEGER,
  swap_bytes INTEGER,
  major_faults INTEGER,
  level TEXT,
  source TEXT,
  psi_some_avg10 REAL,
  psi_full_avg10 REAL,
  vmpressure_pct INTEGER,
  mem_total_bytes INTEGER,
  mem_available_bytes INTEGER,
  mem_free_bytes INTEGER,
  swap_total_bytes INTEGER,
  swap_free_bytes INTEGER,
  file_cache_bytes INTEGER,
  anon_bytes INTEGER,
  zram_bytes INTEGER,
  refault_file INTEGER
);
CREATE INDEX IF NOT EXISTS recording_rows_recording ON recording_rows(recording_id, ts);
CREATE INDEX IF NOT EXISTS recording_rows_ts ON recording_rows(ts);
`;

