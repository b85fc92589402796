// Joining several Prometheus text expositions into one. BullMQ's exporter writes HELP/TYPE for each
// queue it is called on; the text format allows one HELP/TYPE per family and wants a family's samples
// together, so the pieces are regrouped by family before they are appended to the registry's output.

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/** Regroups the samples of `texts` by family, each family once with its HELP and TYPE. */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { samples: [] };
      families.set(name, found);
    }
    return found;
  };
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)/.exec(line);
      if (meta) {
        const target = family(meta[2]!);
        if (meta[1] === 'HELP') target.help ??= line;
        else target.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (name) family(name).samples.push(line);
    }
  }
  const lines: string[] = [];
  for (const { help, type, samples } of families.values()) {
    if (samples.length === 0) continue;
    if (help) lines.push(help);
    if (type) lines.push(type);
    lines.push(...samples);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** One sample of a scrape. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads Prometheus' text format back into samples (tests, tools); comments are skipped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}
