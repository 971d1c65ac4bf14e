export type { PressureDetector } from './detector';
export { psiDetector, psiDetectorFor, psiLevel } from './psi-detector';
export { availableMemoryDetector, EARLYOOM_THRESHOLDS, type AvailableMemoryThresholds } from './available-memory-detector';
export { LMKD_PSI_TRIGGERS, LMKD_PSI_TRIGGERS_LOWRAM, psiTriggersFor, type PsiTriggers } from './psi-triggers';
