// Migration 2: why a kill happened, as a name in its own column (common/vocabulary.ts
// KILL_REASONS), so history can filter and total kills by reason. Kills logged before it
// get their name back from the reason text, where the text starts with one (lmkd's and
// android's do: "LOW_MEM_AND_SWAP: ..."; "vmpressure <level>: legacy level table" is
// VMPRESSURE_LEVEL; reclaim's last resort said which trigger in words).
export const version = 2;
export const sql = `
ALTER TABLE decisions ADD COLUMN kill_reason TEXT;
UPDATE decisions SET kill_reason = substr(reason, 1, instr(reason, ':') - 1)
  WHERE action = 'kill' AND instr(reason, ':') > 1
    AND substr(reason, 1, instr(reason, ':') - 1) IN (
      'PRESSURE_AFTER_KILL', 'NOT_RESPONDING', 'LOW_SWAP_AND_THRASHING', 'LOW_MEM_AND_SWAP', 'LOW_MEM_AND_THRASHING',
      'DIRECT_RECL_AND_THRASHING', 'LOW_MEM_AND_SWAP_UTIL', 'LOW_FILECACHE_AFTER_THRASHING', 'LOW_MEM', 'DIRECT_RECL_STUCK');
UPDATE decisions SET kill_reason = 'VMPRESSURE_LEVEL' WHERE action = 'kill' AND kill_reason IS NULL AND reason LIKE 'vmpressure %: legacy level table%';
UPDATE decisions SET kill_reason = 'RECLAIM_EXHAUSTED_BELOW_MIN' WHERE action = 'kill' AND kill_reason IS NULL AND reason LIKE 'last resort: %under the min watermark%';
UPDATE decisions SET kill_reason = 'RECLAIM_EXHAUSTED_CRITICAL' WHERE action = 'kill' AND kill_reason IS NULL AND reason LIKE 'last resort: %, critical for %';
-- Kills are few among decisions: a partial index keeps "kills by reason" cheap on a large log.
CREATE INDEX decisions_kill_reason ON decisions(kill_reason, ts) WHERE kill_reason IS NOT NULL;
`;
