/**
 * How Meridian's processes (web, workers) write their logs: JSON lines by default, the production
 * format log collectors read; short human lines under `npm start`, which sets
 * MERIDIAN_LOG_FORMAT=pretty for the processes it supervises (the variable also picks either
 * format by hand). A request line carries what the JSON carries: method, route, status and ms,
 * never a query string, body or header (they may hold emails, write keys or tokens).
 */

import type { MeridianConfig } from '../domain/config';

export type LogFormat = MeridianConfig['logFormat'];

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

// Fields every pino record has that a person reading the line needs not see.
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'ms', 'err']);

function clock(time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

function levelName(level: unknown): string {
  if (typeof level === 'number') return LEVEL_NAMES[level] ?? String(level);
  return typeof level === 'string' ? level.toUpperCase() : 'INFO';
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * One log record (a pino record, or a record of ours) as one short line: `14:03:07 POST
 * /v1/batch 200 3 ms` for a request, `14:03:07 worker ready region=eu taskQueue=meridian-eu` for
 * the rest; the level is named when it is not INFO, and an error's stack follows on indented lines.
 */
export function prettyLogLine(record: Record<string, unknown>): string {
  const level = levelName(record.level);
  const parts = [clock(record.time)];
  if (level !== 'INFO') parts.push(level);
  const req = record.req as { method?: string; route?: string } | undefined;
  const res = record.res as { statusCode?: number } | undefined;
  if (req?.method && res?.statusCode !== undefined) {
    parts.push(req.method, req.route ?? '?', String(res.statusCode));
    if (typeof record.ms === 'number') parts.push(`${record.ms} ms`);
  } else if (typeof record.msg === 'string') {
    parts.push(record.msg);
  }
  for (const [key, value] of Object.entries(record)) {
    if (!HIDDEN.has(key) && value !== undefined) parts.push(`${key}=${fieldValue(value)}`);
  }
  let line = parts.join(' ');
  const err = record.err as { message?: string; stack?: string } | undefined;
  if (err) {
    const stack = err.stack ?? err.message ?? '';
    line += `\n${stack
      .split('\n')
      .map((l) => `    ${l.trim()}`)
      .join('\n')}`;
  }
  return line;
}

/** A pino destination (fastify's `logger.stream`) that writes each JSON record as a pretty line. */
export function prettyStream(out: { write(text: string): unknown } = process.stdout): { write(line: string): void } {
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line.endsWith('\n') ? line : `${line}\n`);
        return;
      }
      out.write(`${prettyLogLine(record)}\n`);
    },
  };
}

/** Writes one record of a process's own (not pino's) in the process's format. */
export function writeLog(
  format: LogFormat,
  record: { msg: string } & Record<string, unknown>,
  out: { write(text: string): unknown } = process.stdout,
): void {
  out.write(`${format === 'pretty' ? prettyLogLine({ time: Date.now(), ...record }) : JSON.stringify(record)}\n`);
}
