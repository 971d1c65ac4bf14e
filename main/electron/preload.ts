// The only bridge between the window and Node: `window.reclaimd` with the API contract's
// two functions. A sandboxed preload may require nothing but Electron's own modules, so
// this file imports only types; main validates every call.
import { contextBridge, ipcRenderer } from 'electron';
import type { MethodName, MethodParams, MethodResult, ReclaimdApi, StreamMessage, StreamName } from '../../common/api/contract';

const CALL = 'reclaimd:call';
const SUBSCRIBE = 'reclaimd:subscribe';
const UNSUBSCRIBE = 'reclaimd:unsubscribe';
const EVENT = 'reclaimd:event';

type Reply = { ok: true; result: unknown } | { ok: false; status: number; error: string; field?: string };

const listeners = new Map<number, (m: StreamMessage) => void>();
ipcRenderer.on(EVENT, (_event, id: number, message: StreamMessage) => listeners.get(id)?.(message));

const api: ReclaimdApi = {
  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    const reply = (await ipcRenderer.invoke(CALL, method, params)) as Reply;
    if (reply.ok) return reply.result as MethodResult<M>;
    throw Object.assign(new Error(reply.error), { status: reply.status, field: reply.field });
  },
  subscribe(streams: readonly StreamName[], onEvent: (m: StreamMessage) => void, processesIntervalMs?: number): () => void {
    let id: number | null = null;
    let cancelled = false;
    void ipcRenderer.invoke(SUBSCRIBE, [...streams], processesIntervalMs).then((assigned: number) => {
      if (cancelled) void ipcRenderer.invoke(UNSUBSCRIBE, assigned);
      else {
        id = assigned;
        listeners.set(assigned, onEvent);
      }
    });
    return () => {
      cancelled = true;
      if (id !== null) {
        listeners.delete(id);
        void ipcRenderer.invoke(UNSUBSCRIBE, id);
      }
    };
  },
};

contextBridge.exposeInMainWorld('reclaimd', api);
