import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const UNIT_FILE = join(__dirname, '..', '..', 'packaging', 'systemd', 'reclaimd.service');

/** A unit file as systemd reads it: per section, each key's values in order (keys repeat). */
export interface Unit {
  sections: Map<string, Map<string, string[]>>;
  /** The comment lines, for "is this choice explained" checks. */
  comments: string;
  get(section: string, key: string): string[];
}

export function parseUnit(text = readFileSync(UNIT_FILE, 'utf8')): Unit {
  const sections = new Map<string, Map<string, string[]>>();
  const comments: string[] = [];
  let current: Map<string, string[]> | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    if (line.startsWith('#') || line.startsWith(';')) return void comments.push(line.slice(1).trim());
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      return;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`${UNIT_FILE}:${i + 1}: not a key=value line in a section: ${raw}`);
    current.set(kv[1], [...(current.get(kv[1]) ?? []), kv[2]]);
  });
  return { sections, comments: comments.join('\n'), get: (s, k) => sections.get(s)?.get(k) ?? [] };
}

/** The command of an Exec*= line as a shell would get it: prefixes (-+@:!) dropped, "$$" → "$". */
export function execCommand(value: string): string {
  return value.replace(/^[-+@:!]+/, '').replace(/\$\$/g, '$');
}

export function hasSystemdAnalyze(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The syscalls a SystemCallFilter= allow list and deny list leave allowed, with systemd's
 * own group definitions (`systemd-analyze syscall-filter`), groups expanded recursively.
 */
export function allowedSyscalls(allow: string[], deny: string[]): Set<string> {
  const groups = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of execFileSync('systemd-analyze', ['syscall-filter'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
    if (line.startsWith('@')) groups.set(line.trim(), (current = []));
    else if (current && line.trim() && !line.trim().startsWith('#')) current.push(line.trim());
  }
  const expand = (name: string, seen = new Set<string>()): string[] => {
    if (!name.startsWith('@')) return [name];
    if (seen.has(name)) return [];
    seen.add(name);
    const members = groups.get(name);
    if (!members) throw new Error(`systemd-analyze does not know the syscall group ${name}`);
    return members.flatMap((m) => expand(m, seen));
  };
  const allowed = new Set(allow.flatMap((n) => expand(n)));
  for (const n of deny.flatMap((d) => expand(d))) allowed.delete(n);
  return allowed;
}
