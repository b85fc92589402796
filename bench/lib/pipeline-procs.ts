import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root (this file is bench/lib/). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** A JSON log line of a Reelay service (pino): `msg`, `level` (30 info, 40 warn, 50 error), `time` ISO. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Child {
  name: string;
  pid: number;
  /** Resolves with the first log line whose `msg` is `msg`; rejects if the process exits first or on timeout. */
  waitFor(msg: string, timeoutMs: number): Promise<LogLine>;
  /** Lines at warn and above (kept, for the report), and the non-JSON output (a crash's stack trace). */
  problems(): string[];
  /** Called for every JSON line. */
  onLine(listener: (line: LogLine) => void): void;
  /** False once the process has exited (for whatever reason). */
  alive(): boolean;
  /** CPU seconds used so far (/proc), 0 where unknown. */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAX_PROBLEMS = 50;

/**
 * Runs a service entry point (`node <entry>`) with exactly `env` (plus PATH): nothing of the bench's own
 * environment leaks in, so a stray variable in the caller's shell cannot change what is measured.
 * Output is read line by line and not kept, apart from warnings and errors: a worker at `info` logs two
 * lines per job, which must not pile up in memory on long runs.
 */
export function spawnService(name: string, entry: string, env: Record<string, string>): Child {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', resolve(REPO_ROOT, entry)],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_PRETTY: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const listeners = new Set<(line: LogLine) => void>();
  const problems: string[] = [];
  const keep = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text.slice(0, 2000));
  };
  const read = (stream: NodeJS.ReadableStream) => {
    createInterface({ input: stream }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        if (text.trim() !== '') keep(text);
        return;
      }
      if ((line.level ?? 0) >= 40) keep(text);
      for (const listener of listeners) listener(line);
    });
  };
  read(child.stdout!);
  read(child.stderr!);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  let stopping: Promise<void> | undefined;
  const pid = child.pid ?? -1;
  return {
    name,
    pid,
    waitFor(msg, timeoutMs) {
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name}: no '${msg}' within ${timeoutMs} ms\n${problems.join('\n')}`)),
          timeoutMs,
        );
        const listener = (line: LogLine) => {
          if (line.msg !== msg) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolveLine(line);
        };
        listeners.add(listener);
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code ?? signal}) before '${msg}'\n${problems.join('\n')}`));
        });
      });
    },
    problems: () => [...problems],
    onLine: (listener) => {
      listeners.add(listener);
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    cpuSeconds: () => processCpuSeconds(pid),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
    exited,
  };
}

/** utime + stime of a process from /proc/<pid>/stat, in seconds; 0 when it cannot be read. */
export function processCpuSeconds(pid: number | null): number {
  if (pid === null || pid <= 0) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14, 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // USER_HZ is 100 on every mainstream kernel.
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return 0;
  }
}
