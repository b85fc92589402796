import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BULLMQ_METRICS, METRICS, type MetricDefinition, seriesNames } from './definitions.ts';
import { createMetrics } from './metrics.ts';

// The Grafana dashboard and the Prometheus alert rules in infra/ may only name metrics that exist:
// every series name in their expressions must come from definitions.ts (or BullMQ's exporter, or Node's
// default process metrics), with labels the family has.

const dashboard = JSON.parse(
  readFileSync(join(REPO_ROOT, 'infra/grafana/reelay-dashboard.json'), 'utf8'),
) as {
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};
const alerts = parse(readFileSync(join(REPO_ROOT, 'infra/prometheus/alerts.yml'), 'utf8')) as {
  groups: { name: string; rules: Rule[] }[];
};

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const METRIC_NAME = /\b(?:reelay|bullmq|process|nodejs)_[a-z0-9_]+\b/g;
const SELECTOR = /\b((?:reelay|bullmq)_[a-z0-9_]+)\s*\{([^}]*)\}/g;

/** Series name -> the labels it may carry. */
async function knownSeries(): Promise<Map<string, Set<string>>> {
  const known = new Map<string, Set<string>>();
  for (const definition of Object.values(METRICS) as MetricDefinition[]) {
    for (const name of seriesNames(definition)) {
      const labels = new Set(definition.labelNames);
      if (name.endsWith('_bucket')) labels.add('le');
      known.set(name, labels);
    }
  }
  for (const name of BULLMQ_METRICS) known.set(name, new Set(['queue', 'state']));
  // Node's process metrics, as this prom-client version names them.
  const text = await createMetrics({ service: 'worker' }).registry.metrics();
  for (const [, name, type] of text.matchAll(/^# TYPE ((?:process|nodejs)_\S+) (\S+)$/gm)) {
    const suffixes =
      type === 'histogram'
        ? ['_bucket', '_sum', '_count']
        : type === 'summary'
          ? ['', '_sum', '_count']
          : [''];
    for (const suffix of suffixes) known.set(`${name}${suffix}`, new Set());
  }
  return known;
}

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])]);
}

const expressions = [
  ...panelsOf(dashboard.panels).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
  ),
  ...alerts.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr ?? '' }))),
];

/** Base family names used (histogram suffixes stripped). */
function familiesIn(exprs: string[]): Set<string> {
  return new Set(
    exprs.flatMap((e) => [...e.matchAll(METRIC_NAME)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))),
  );
}

describe('infra/ against the metric catalog', () => {
  it('uses only metrics that Reelay, BullMQ or Node export, with labels they have', async () => {
    const known = await knownSeries();
    expect(expressions.length).toBeGreaterThan(20);
    for (const { where, expr } of expressions) {
      expect(expr.trim(), where).not.toBe('');
      const names = [...expr.matchAll(METRIC_NAME)].map((m) => m[0]);
      expect(names.length, `${where} names no metric`).toBeGreaterThan(0);
      for (const name of names) expect(known.has(name), `${where}: unknown metric ${name}`).toBe(true);
      for (const [, name, matchers] of expr.matchAll(SELECTOR)) {
        for (const [, label] of matchers!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
          expect(known.get(name!)?.has(label!), `${where}: ${name} has no label ${label}`).toBe(true);
        }
      }
    }
  });

  it('shows every family of the issue on the dashboard', () => {
    const used = familiesIn(panelsOf(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr)));
    for (const key of [
      'queueJobs',
      'queueOldestAge',
      'queueOverdue',
      'stepDuration',
      'providerDuration',
      'providerRequests',
      'providerRateLimited',
      'providerInFlight',
      'providerCap',
      'webhookAttempts',
      'webhookDuration',
      'storedBytes',
      'uploadDuration',
      'cost',
      'httpRequests',
      'httpDuration',
      'redisNoEviction',
    ] as const) {
      expect(used.has(METRICS[key].name), METRICS[key].name).toBe(true);
    }
    const ids = panelsOf(dashboard.panels).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.some((v) => v.type === 'datasource')).toBe(true);
  });

  it('has alert rules with the fields Prometheus and on-call need, covering the issue', () => {
    const rules = alerts.groups.flatMap((g) => g.rules);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Reelay[A-Za-z0-9]+$/);
      expect(rule.expr, rule.alert).toBeTruthy();
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
    const used = familiesIn(rules.map((r) => r.expr ?? ''));
    for (const key of [
      'queueOverdue', // stalled: due jobs nobody takes
      'queueOldestAge',
      'queueStalled',
      'providerRateLimited', // 429 rate
      'providerRequests', // provider error rate
      'webhookAttempts', // webhook failure rate
      'redisNoEviction',
    ] as const) {
      expect(used.has(METRICS[key].name), METRICS[key].name).toBe(true);
    }
  });
});
