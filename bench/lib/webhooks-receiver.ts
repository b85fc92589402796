import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { processCpuSeconds } from './pipeline-procs.ts';

/** One request to an answering endpoint, as the receiver process saw it. */
export interface Arrival {
  endpoint: 'healthy' | 'control';
  /** Date.now() in the receiver process when the request's headers were in. */
  at: number;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
}

export type ReceiverCommand =
  | { type: 'count'; seq: number }
  | { type: 'take'; seq: number }
  | { type: 'close' };

export type ReceiverReply =
  | { type: 'ready'; ports: { healthy: number; control: number; dead: number } }
  | { type: 'count'; seq: number; healthy: number; control: number; deadConnections: number }
  | {
      type: 'take';
      seq: number;
      arrivals: Arrival[];
      /** Connections the black hole accepted since the last take (one per attempt: a timeout closes it). */
      deadConnections: number;
      deadOpen: number;
    };

export interface ReceiverProcess {
  pid: number;
  /** Answers 204 at once: the endpoint whose deliveries are measured. */
  healthyUrl: string;
  /** Answers 204 at once: where run A's background jobs go. */
  controlUrl: string;
  /** Accepts connections and never answers: where run B's background jobs go. */
  deadUrl: string;
  count(): Promise<{ healthy: number; control: number; deadConnections: number }>;
  /** Everything received since the last take, and forget it. */
  take(): Promise<{ arrivals: Arrival[]; deadConnections: number; deadOpen: number }>;
  cpuSeconds(): number;
  close(): Promise<void>;
}

/** Forks webhooks-receiver-child.ts and waits for its three ports. */
export async function startReceiver(): Promise<ReceiverProcess> {
  const child: ChildProcess = fork(resolve(import.meta.dirname, 'webhooks-receiver-child.ts'), [], {
    execArgv: ['--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let seq = 0;
  const pending = new Map<number, (reply: ReceiverReply) => void>();
  const ready = new Promise<{ healthy: number; control: number; dead: number }>((done, fail) => {
    child.on('message', (reply: ReceiverReply) => {
      if (reply.type === 'ready') done(reply.ports);
      else pending.get(reply.seq)?.(reply);
    });
    void exited.then(() => fail(new Error('webhook receiver exited')));
  });
  const ask = <T extends ReceiverReply['type']>(type: T) =>
    new Promise<Extract<ReceiverReply, { type: T }>>((done, fail) => {
      if (!child.connected) {
        fail(new Error('webhook receiver is gone'));
        return;
      }
      const id = ++seq;
      pending.set(id, (reply) => {
        pending.delete(id);
        done(reply as Extract<ReceiverReply, { type: T }>);
      });
      child.send({ type, seq: id } as ReceiverCommand);
    });
  const close = async () => {
    if (child.connected) child.send({ type: 'close' } satisfies ReceiverCommand);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ports = await ready;
    const url = (port: number, path: string) => `http://127.0.0.1:${port}/hooks/${path}`;
    return {
      pid: child.pid ?? -1,
      healthyUrl: url(ports.healthy, 'healthy'),
      controlUrl: url(ports.control, 'control'),
      deadUrl: url(ports.dead, 'dead'),
      count: async () => {
        const { healthy, control, deadConnections } = await ask('count');
        return { healthy, control, deadConnections };
      },
      take: async () => {
        const { arrivals, deadConnections, deadOpen } = await ask('take');
        return { arrivals, deadConnections, deadOpen };
      },
      cpuSeconds: () => processCpuSeconds(child.pid ?? null),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
