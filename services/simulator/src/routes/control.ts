import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { invalid } from '../errors.ts';
import { faultSpecSchema } from '../faults.ts';

// The test-control API under `/_sim` (no auth: the simulator is a local test double, never exposed).
//   GET    /_sim/stats[?hash=0]  counters per op and key, per-job timings, bytes and sha256
//   POST   /_sim/faults          queue scripted faults: one spec or an array (see faults.ts)
//   GET    /_sim/faults          the faults still pending
//   DELETE /_sim/faults          drop pending faults
//   POST   /_sim/reset           forget jobs, counters, faults and rate buckets

export const controlRoutes: FastifyPluginAsync = async (app) => {
  const sim = app.sim;

  app.get('/stats', async (request) => {
    // Hashing reads every completed video once (then caches); `?hash=0` skips the ones not yet known.
    return sim.report((request.query as Record<string, unknown>).hash !== '0');
  });

  app.post('/faults', async (request) => {
    // One spec or an array of them; parsed separately so an error names the offending field.
    const schema = Array.isArray(request.body) ? z.array(faultSpecSchema).max(1000) : faultSpecSchema;
    const parsed = schema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join('.') || null;
      throw invalid(param, `Invalid fault spec: ${issue?.message ?? 'unreadable'}.`);
    }
    sim.faults.add(Array.isArray(parsed.data) ? parsed.data : [parsed.data]);
    return { pending: sim.faults.pending() };
  });

  app.get('/faults', async () => ({ pending: sim.faults.pending() }));

  app.delete('/faults', async () => {
    sim.faults.clear();
    return { pending: [] };
  });

  app.post('/reset', async () => {
    sim.reset();
    return { reset: true };
  });
};
