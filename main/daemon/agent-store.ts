import { DecisionLog } from '../../db/decision-log';
import { DatabaseError } from '../../db/errors';
import { writeStopped } from '../../db/health';
import { openDatabase, type Db } from '../../db/open';
import { PressureLog } from '../../db/pressure-log';
import type { AgentLogs } from './agent';

/** The agent's database: the decision log and pressure samples, or the reason there is none. */
export interface AgentStore {
  db: Db | null;
  logs: AgentLogs;
  /** Why there is no database (a full or read-only disk, --no-db), or null. */
  problem: string | null;
  /** Flush and close; what the decision log wrote and its last error. */
  close(): { written: number; lastError: string | null };
}

/**
 * Open the decision log for a running agent. A full or read-only disk still lets the agent
 * run (without a log, and it says so); a damaged or newer file is the user's to fix, so it
 * is an error.
 */
export function openAgentStore(dbPath: string | null, log: (line: string) => void): AgentStore {
  let db: Db | null = null;
  let problem: string | null = dbPath === null ? 'started with --no-db' : null;
  if (dbPath !== null) {
    try {
      db = openDatabase(dbPath);
    } catch (err) {
      if (!(err instanceof DatabaseError) || err.kind !== 'storage') throw err;
      problem = err.message;
      log(`decision log disabled: ${err.message}`);
    }
  }
  const decisions = db
    ? new DecisionLog(db, { flushIntervalMs: 1000, onStatus: (s) => log(s.lastError ? `decision log failing: ${s.lastError} (${s.buffered} waiting)` : 'decision log writing again') })
    : null;
  const pressure = db ? new PressureLog(db, { flushIntervalMs: 5000 }) : null;
  return {
    db,
    logs: { decisions, pressure },
    problem,
    close: () => {
      const status = decisions?.close() ?? { written: 0, lastError: dbPath === null ? null : problem };
      pressure?.close();
      // Writing stopped (file damaged or moved away) is said at exit even when no decision was waiting.
      const stopped = db ? writeStopped(db) : null;
      db?.close();
      return { written: status.written, lastError: status.lastError ?? stopped };
    },
  };
}
