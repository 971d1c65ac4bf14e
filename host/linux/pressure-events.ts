import { Observable } from 'rxjs';
import { closeWatches, fillPollfds, openWatches, readEvents, type KernelEvent, type PressureSourceOptions } from './pressure-sources';
import { libc } from './libc';

/**
 * The kernel's own pressure events, without a busy poll: PSI triggers (POLLPRI) and
 * vmpressure eventfds (POLLIN) waited on together by one poll() on a koffi worker thread.
 * Subscribing registers them; unsubscribing closes every descriptor. (The live agent's
 * LinuxHost waits on them on its reaction thread instead: reaction-worker.ts.)
 */
export function kernelPressureEvents(options: PressureSourceOptions = {}): Observable<KernelEvent> {
  return new Observable<KernelEvent>((subscriber) => {
    const c = libc();
    const opened = openWatches(options);
    const watches = opened.list;
    options.onInfo?.({ psi: opened.psi, vmpressure: opened.vmpressure, errors: opened.errors });
    if (watches.length === 0) {
      subscriber.error(new Error(`no pressure source available: ${opened.errors.join('; ')}`));
      return;
    }

    const pollfds = Buffer.alloc(8 * watches.length);
    let stopped = false;
    const loop = async () => {
      while (!stopped) {
        fillPollfds(watches, pollfds);
        let n: number;
        try {
          n = await c.pollAsync(pollfds, watches.length, options.pollTimeoutMs ?? 250);
        } catch (err) {
          if (!stopped) subscriber.error(err);
          return;
        }
        if (stopped) return;
        const wokeAtMs = performance.timeOrigin + performance.now();
        if (n <= 0) continue; // timeout, or EINTR
        for (const e of readEvents(watches, pollfds)) subscriber.next({ ...e, wokeAtMs });
      }
    };
    void loop();
    return () => {
      stopped = true;
      // Close after the pending poll() returns (within its timeout), not under its feet.
      setTimeout(() => closeWatches(watches), (options.pollTimeoutMs ?? 250) + 50).unref();
    };
  });
}
