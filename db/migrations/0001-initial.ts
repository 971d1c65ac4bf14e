// Migration 1: the decision log, pressure samples, priorities, replay runs and settings.
// Append-only: never edit a migration that has shipped; add the next number instead.
export const version = 1;
export const sql = `
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  scenario TEXT NOT NULL,
  scenario_hash TEXT NOT NULL,
  policy TEXT NOT NULL,
  params TEXT NOT NULL,
  seed INTEGER NOT NULL,
  host TEXT NOT NULL,
  metrics TEXT NOT NULL
);
CREATE INDEX runs_created ON runs(created_at);

CREATE TABLE decisions (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  policy TEXT NOT NULL,
  level TEXT NOT NULL,
  source TEXT NOT NULL,
  psi_some_avg10 REAL,
  psi_full_avg10 REAL,
  psi_some_window_ms REAL,
  psi_full_window_ms REAL,
  vmpressure_pct INTEGER,
  mem_total_bytes INTEGER NOT NULL,
  mem_available_bytes INTEGER NOT NULL,
  swap_free_bytes INTEGER NOT NULL,
  candidates TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('reclaim', 'kill')),
  kind TEXT CHECK (kind IN ('file', 'anon', 'all')),
  mode TEXT,
  app TEXT NOT NULL,
  pid INTEGER NOT NULL,
  start_time INTEGER NOT NULL,
  reason TEXT NOT NULL,
  requested_bytes INTEGER NOT NULL,
  reclaimed_anon_bytes INTEGER NOT NULL,
  reclaimed_file_bytes INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  result TEXT NOT NULL,
  message TEXT NOT NULL,
  dry_run INTEGER NOT NULL,
  latency_us INTEGER
);
CREATE INDEX decisions_ts ON decisions(ts);
CREATE INDEX decisions_app_ts ON decisions(app, ts);
CREATE INDEX decisions_run ON decisions(run_id);

CREATE TABLE pressure_samples (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  host TEXT NOT NULL,
  level TEXT NOT NULL,
  source TEXT NOT NULL,
  psi_some_avg10 REAL,
  psi_full_avg10 REAL,
  mem_available_bytes INTEGER NOT NULL,
  swap_free_bytes INTEGER NOT NULL
);
CREATE INDEX pressure_samples_ts ON pressure_samples(ts);

CREATE TABLE priorities (
  app_key TEXT PRIMARY KEY,
  priority TEXT NOT NULL CHECK (priority IN ('protected', 'high', 'normal', 'low', 'expendable')),
  note TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;
