// The words the charts and tables use, explained where they appear: a short glossary that
// folds open, and the same sentences as tooltips on the headers that use them.
import { h } from '../dom.js';

export const TERMS = {
  PSI: 'Pressure Stall Information (/proc/pressure/memory): the share of time tasks were stalled waiting for memory. "some": at least one task waited; "full": all non-idle tasks waited at once.',
  avg10: 'The PSI share averaged over the last 10 seconds, in percent.',
  vmpressure: 'The kernel memory cgroup\'s own pressure notice: how hard reclaim is working, as low / medium / critical.',
  level: 'The pressure level reclaimd acts on (none, low, medium, critical), from PSI stall over its trigger window, or vmpressure.',
  adj: 'oom_score_adj, Android\'s importance scale: lower is more important. Bands: foreground 0, visible 100, perceptible 200, service 500, home 600, previous 700, cached 900. A user priority shifts it.',
  previous: 'The app used just before the current one (adj 700): likely to be switched back to, so reclaimed after cached apps.',
  cached: 'An app in the background, not used recently (adj 900): the first to give up memory.',
  importance: 'The app\'s band and its effective adj (the band plus the user priority\'s shift): what ranking reads first.',
  foreground: '● marks the foreground app: never reclaimed or killed.',
  anon: 'Anonymous memory (heaps, stacks): reclaimed by compressing it into zram swap (or zswap where there is no zram).',
  file: 'Page cache of files: dropped on reclaim and read back from disk when used again.',
  zram: 'The RAM that zram\'s compressed pages occupy.',
  zswap: 'The RAM that zswap\'s pool occupies: the compressed tier in front of a disk swap file, where there is no zram.',
  demote: 'Move cold pages to a slower memory tier (a CPU-less NUMA node: CXL or other far memory) instead of discarding them: still mapped, slower to touch, never a refault. Refused where the machine has no slower node.',
} as const;

export type Term = keyof typeof TERMS;

export function glossary(terms: Term[]): HTMLElement {
  return h('details', { class: 'glossary' },
    h('summary', {}, 'What these terms mean'),
    h('dl', { class: 'kv' }, ...terms.flatMap((t) => [h('dt', {}, t === 'foreground' ? '● foreground' : t), h('dd', {}, TERMS[t])])));
}
