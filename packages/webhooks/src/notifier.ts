import type { VideoStatus, WebhookEvent } from '@reelay/contracts';
import type { VideoRecord, VideoStore } from '@reelay/jobs';
import type { Queue } from 'bullmq';
import { messageId, WEBHOOK_JOB_OPTIONS, type WebhookJobData } from './queue.ts';

const TERMINAL_EVENT: Partial<Record<VideoStatus, WebhookEvent>> = {
  completed: 'video.completed',
  failed: 'video.failed',
  canceled: 'video.canceled',
};

/**
 * The producer side: turns a video's events into delivery jobs, once per event. A video that reached a
 * terminal status with a webhook is left on step `notify` by the same atomic transition; whoever sees
 * that step first (the worker right after the transition, a worker re-running the job after a crash, or
 * the api's cancel) enqueues the event, and only then is the step set to `done`. So the event is never
 * lost, and never sent twice: the message id is the BullMQ job id.
 */
export class WebhookNotifier {
  private readonly queue: Queue;
  private readonly store: VideoStore;

  constructor(queue: Queue, store: VideoStore) {
    this.queue = queue;
    this.store = store;
  }

  /** Enqueues `event` if the video asked for it; returns the message id, or null when not subscribed. */
  async event(
    record: VideoRecord,
    event: WebhookEvent,
    options: { progress?: number; occurredAt?: number } = {},
  ): Promise<string | null> {
    if (!record.webhookUrl || !record.webhookEvents.includes(event)) return null;
    const id = messageId(record.id, event, options.progress);
    const data: WebhookJobData = {
      tenant: record.tenant,
      videoId: record.id,
      event,
      messageId: id,
      occurredAt: options.occurredAt ?? Date.now(),
    };
    await this.queue.add(event, data, { ...WEBHOOK_JOB_OPTIONS, jobId: id });
    return id;
  }

  /** For a terminal video on step `notify`: enqueue its event, then mark the step done. */
  async terminal(tenant: string, videoId: string): Promise<void> {
    const record = await this.store.get(tenant, videoId);
    if (record?.step !== 'notify') return;
    const event = TERMINAL_EVENT[record.status];
    if (event) await this.event(record, event, { occurredAt: record.completedAt ?? record.updatedAt });
    await this.store.patch(tenant, videoId, { step: 'done' });
  }

  /**
   * Sends a message again, with its original id (receivers dedupe on it) and a fresh attempt count.
   * The BullMQ job id differs per resend so a finished delivery does not swallow it.
   */
  async resend(data: WebhookJobData, reason: 'resend' | 'recover'): Promise<string> {
    const jobId = `${data.messageId}:${reason}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    await this.queue.add(data.event, { ...data, resend: true }, { ...WEBHOOK_JOB_OPTIONS, jobId });
    return jobId;
  }
}

/** The terminal event of a status, for resends that name none. */
export function terminalEvent(status: VideoStatus): WebhookEvent | null {
  return TERMINAL_EVENT[status] ?? null;
}
