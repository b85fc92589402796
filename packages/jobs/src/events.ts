import type { Redis } from 'ioredis';
import type { VideoEvent } from './store.ts';

type Listener = (event: VideoEvent) => void;

/**
 * One subscriber connection per process, shared by every open SSE stream: channels are subscribed while
 * at least one listener wants them. (A connection per stream would not survive a few thousand
 * watchers.)
 */
export class EventHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  private readonly subscriber: Redis;

  constructor(subscriber: Redis) {
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (!set) return;
      const event = JSON.parse(message) as VideoEvent;
      for (const listener of set) listener(event);
    });
  }

  /** Resolves once the subscription is active; returns the unsubscribe function. */
  async subscribe(channel: string, listener: Listener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(channel);
        await this.subscriber.unsubscribe(channel).catch(() => {});
      }
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscriber.disconnect();
  }
}
