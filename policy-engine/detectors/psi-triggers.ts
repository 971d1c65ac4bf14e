/**
 * The PSI triggers the agent judges memory stall by, as lmkd configures them. One definition:
 * the Linux host registers them with the kernel (/proc/pressure/memory), the simulator fires
 * them as the kernel would, and the PSI detector judges periodic readings by the same ratios.
 */
export interface PsiTriggers {
  /** The trigger's window. */
  windowMs: number;
  /** `some` stall within one window that means medium pressure. */
  someMs: number;
  /** `full` stall within one window that means critical pressure. */
  fullMs: number;
}

/** lmkd.cpp's defaults (AOSP lmkd @767ae23): some 70 ms and full 700 ms per 1 s window. */
export const LMKD_PSI_TRIGGERS: PsiTriggers = { windowMs: 1000, someMs: 70, fullMs: 700 };
/** lmkd.cpp DEF_PARTIAL_STALL_LOWRAM (AOSP lmkd @767ae23, line 161): some 200 ms on a low-RAM device. */
export const LMKD_PSI_TRIGGERS_LOWRAM: PsiTriggers = { ...LMKD_PSI_TRIGGERS, someMs: 200 };

export function psiTriggersFor(device: { lowRam?: boolean }): PsiTriggers {
  return device.lowRam ? LMKD_PSI_TRIGGERS_LOWRAM : LMKD_PSI_TRIGGERS;
}
