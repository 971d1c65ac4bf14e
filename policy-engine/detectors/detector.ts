import type { PressureLevel, PressureReading } from '../types';

/**
 * Turns a host's raw readings into a pressure level. Hosts only measure (PSI, vmpressure,
 * meminfo, zram); which readings mean "medium" or "critical" is decided here, in one place
 * per kind of reading, and the composition picks the detector that fits what its host reads.
 * Kernel events need no detector: a PSI trigger or vmpressure eventfd that fired carries the
 * level it was registered for.
 */
export interface PressureDetector {
  /** Short name for logs and status, e.g. "psi some 70 ms / full 700 ms per 1000 ms". */
  readonly name: string;
  level(reading: PressureReading): PressureLevel;
}
