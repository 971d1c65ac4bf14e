import type { WebSocket } from 'ws';
import { jsonTooDeep, tooDeepMessage } from '../../../common/json-depth';
import { subscribeMessage, type ProcessList, type StreamEvents, type StreamName, type SubscribeMessage } from '../../../common/api/contract';

/** Past this many bytes queued for a client, its events are dropped (and counted) until it reads. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** A client that has not read anything for this long is disconnected. */
const STALLED_CLIENT_MS = 30_000;
const DEFAULT_STREAMS: StreamName[] = ['status', 'pressure', 'decision'];

interface Client {
  socket: WebSocket;
  streams: Set<StreamName>;
  processTimer: NodeJS.Timeout | null;
  dropped: number;
  stalledSince: number | null;
}

export interface EventHubOptions {
  /** The process list, computed at most once per `minIntervalMs` however many clients ask. */
  processes: () => ProcessList;
  now?: () => number;
}

/**
 * The live event streams to every connected WebSocket client. Each event is serialised once.
 * A client that stops reading never holds memory: past 1 MiB queued its events are dropped
 * and counted (it is told how many when it catches up), and after 30 s it is disconnected.
 */
export class EventHub {
  private readonly clients = new Set<Client>();
  private cachedProcesses: { at: number; text: string } | null = null;
  private readonly now: () => number;
  readonly stats = { connected: 0, dropped: 0, disconnectedStalled: 0, refusedTooDeep: 0 };

  constructor(private readonly options: EventHubOptions) {
    this.now = options.now ?? Date.now;
  }

  add(socket: WebSocket): void {
    const client: Client = { socket, streams: new Set(DEFAULT_STREAMS), processTimer: null, dropped: 0, stalledSince: null };
    this.clients.add(client);
    this.stats.connected = this.clients.size;
    socket.on('message', (data, isBinary) => this.onMessage(client, isBinary ? null : data.toString()));
    socket.on('close', () => this.remove(client));
    socket.on('error', () => this.remove(client));
  }

  publish<S extends StreamName>(stream: S, data: StreamEvents[S]): void {
    let text: string | null = null;
    for (const client of this.clients) {
      if (!client.streams.has(stream)) continue;
      text ??= JSON.stringify({ stream, data });
      this.send(client, text);
    }
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    for (const client of [...this.clients]) {
      client.socket.close(1001, 'the daemon is stopping');
      this.remove(client);
    }
  }

  private onMessage(client: Client, text: string | null): void {
    let message: SubscribeMessage;
    try {
      const deep = text === null ? null : jsonTooDeep(text);
      if (deep) {
        this.stats.refusedTooDeep++;
        throw new Error(tooDeepMessage('the message', deep.offset));
      }
      message = subscribeMessage(JSON.parse(text ?? 'null'), 'message');
    } catch (err) {
      this.send(client, JSON.stringify({ stream: 'error', data: { error: err instanceof Error ? err.message : String(err) } }));
      return;
    }
    client.streams = new Set(message.streams);
    if (client.processTimer) clearInterval(client.processTimer);
    client.processTimer = null;
    if (client.streams.has('processes')) {
      const every = message.processesIntervalMs ?? 1000;
      client.processTimer = setInterval(() => this.sendProcesses(client, every), every);
      this.sendProcesses(client, every);
    }
  }

  private sendProcesses(client: Client, every: number): void {
    const now = this.now();
    // Clients ticking together share one ranking and one serialisation; 50 ms is short
    // enough that a change (a new priority) is never hidden behind a stale list.
    if (!this.cachedProcesses || now - this.cachedProcesses.at >= Math.min(every / 2, 50)) {
      this.cachedProcesses = { at: now, text: JSON.stringify({ stream: 'processes', data: this.options.processes() }) };
    }
    this.send(client, this.cachedProcesses.text);
  }

  private send(client: Client, text: string): void {
    const socket = client.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      client.dropped++;
      this.stats.dropped++;
      client.stalledSince ??= this.now();
      if (this.now() - client.stalledSince > STALLED_CLIENT_MS) {
        this.stats.disconnectedStalled++;
        socket.terminate();
        this.remove(client);
      }
      return;
    }
    client.stalledSince = null;
    if (client.dropped > 0) {
      socket.send(JSON.stringify({ stream: 'dropped', data: { count: client.dropped } }));
      client.dropped = 0;
    }
    socket.send(text);
  }

  private remove(client: Client): void {
    if (client.processTimer) clearInterval(client.processTimer);
    client.processTimer = null;
    this.clients.delete(client);
    this.stats.connected = this.clients.size;
  }
}
