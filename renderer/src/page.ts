// What a page is and what the shell gives it: its own file so the shell can import the
// pages and the pages these types without an import circle.
import type { ReclaimdApi, StatusInfo, StreamMessage } from '../../common/api/contract';

export interface Page {
  mount(container: HTMLElement): void;
  unmount(): void;
}

export interface AppContext {
  api: ReclaimdApi;
  /** Live events (status, pressure, decision) to every listener until it unsubscribes. */
  onEvent(listener: (m: StreamMessage) => void): () => void;
  status(): StatusInfo | null;
  /** Fetch the status now (after a change the banner must show at once). */
  refreshStatus(): void;
}
