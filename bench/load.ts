// The load generator: autocannon in this (parent) process, driving one scenario at a time
// against a server child. A scenario is a flow of one or more HTTP steps; multi-step flows
// (authorize → token, the sign-in form) are chained per connection through autocannon's
// request pipeline, so the generator stays as cheap as it is for single requests.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[]>;   // names in lower case
  body: string;
}

/** Per-iteration state of one connection; cleared when an iteration starts over. */
export type FlowContext = Record<string, any>;

export interface Step {
  /** The request to send; null gives up on this iteration (it is counted as failed by the step before). */
  request: HttpRequest | ((ctx: FlowContext) => HttpRequest | null);
  /** Whether the response is what a working server answers; default: status below 400. */
  check?: (response: HttpResponse, ctx: FlowContext) => boolean;
}

export interface Flow { steps: Step[] }

export interface Measurement {
  /** Successful iterations (requests, for one-step flows) per second. */
  rate: number;
  ok: number;
  failed: number;
  /** failed / (ok + failed), in percent. */
  errorPercent: number;
  /** Latency of one iteration, ms. */
  p50: number;
  p99: number;
  /** HTTP requests per second, all steps counted. */
  httpRate: number;
  durationSeconds: number;
  statuses: Record<string, number>;
  timeouts: number;
  connectionErrors: number;
}

export interface LoadOptions { connections: number; seconds: number }

/** BENCH_DEBUG=1 prints the first failed responses of each scenario. */
const debug = process.env.BENCH_DEBUG === '1';

function lowerCase(headers: Record<string, unknown> | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value as string | string[];
  return out;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs one flow for `seconds` against `base` and measures it. */
export async function runFlow(base: string, flow: Flow, options: LoadOptions): Promise<Measurement> {
  let ok = 0;
  let failed = 0;
  const iterationMs: number[] = [];
  const single = flow.steps.length === 1;
  const last = flow.steps.length - 1;

  // An explicit Host header: autocannon's own is not always what a server builds its URLs from.
  const host = new URL(base).host;
  const withHost = (request: HttpRequest): autocannon.Request => ({ ...request, headers: { host, ...request.headers } });
  const requests = flow.steps.map((step, index) => {
    const dynamic = typeof step.request === 'function';
    const entry: autocannon.Request = {
      onResponse: (status, body, context, headers) => {
        const ctx = context as FlowContext;
        if (ctx.failed) return;
        const response: HttpResponse = { status, body, headers: lowerCase(headers as Record<string, unknown>) };
        const good = step.check ? step.check(response, ctx) : status < 400;
        if (!good) {
          if (debug && failed < 3) process.stderr.write(`  failed step ${index + 1}/${flow.steps.length}: ${status} ${JSON.stringify(response.headers.location ?? '')} ${body.slice(0, 300)}\n`);
          failed++;
          ctx.failed = true;
          return;
        }
        if (index === last) {
          ok++;
          if (!single) iterationMs.push(performance.now() - ctx.t0);
        }
      },
    };
    if (dynamic) {
      const build = step.request as (ctx: FlowContext) => HttpRequest | null;
      entry.setupRequest = (_request, context) => {
        const ctx = context as FlowContext;
        if (index === 0) ctx.t0 = performance.now();
        if (ctx.failed) return null as unknown as autocannon.Request;
        const next = build(ctx);
        return (next ? withHost(next) : null) as unknown as autocannon.Request;
      };
    } else {
      Object.assign(entry, withHost(step.request as HttpRequest));
      if (index === 0 && !single) entry.setupRequest = (request, context) => { (context as FlowContext).t0 = performance.now(); return request; };
    }
    return entry;
  });

  const result = await autocannon({
    url: base, connections: options.connections, pipelining: 1, duration: options.seconds, timeout: 10, requests,
  });
  const duration = result.duration || options.seconds;
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count ?? 0;
  // A request that never got an answer (timeout, reset connection) failed too.
  failed += result.errors;
  const sorted = iterationMs.sort((a, b) => a - b);
  return {
    rate: ok / duration,
    ok,
    failed,
    errorPercent: ok + failed === 0 ? 100 : (100 * failed) / (ok + failed),
    p50: single ? result.latency.p50 : percentile(sorted, 50),
    p99: single ? result.latency.p99 : percentile(sorted, 99),
    httpRate: result.requests.total / duration,
    durationSeconds: duration,
    statuses,
    timeouts: result.timeouts,
    connectionErrors: result.errors,
  };
}

/** Reads a process's resident set size (VmRSS) or peak (VmHWM) in MiB from /proc. */
export function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (clock ticks of
 * 10 ms). Unlike a rate, CPU time per request hardly moves when other work shares the machine.
 */
export function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may contain spaces, so split after its closing parenthesis).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * Samples a process's RSS while `work` runs; returns the work's result, the highest RSS seen and the
 * CPU time the process used meanwhile.
 */
export async function whileSamplingRss<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; maxRss: number; cpuMs: number }> {
  let maxRss = rssMiB(pid);
  const cpuBefore = cpuMs(pid);
  const timer = setInterval(() => { maxRss = Math.max(maxRss, rssMiB(pid)); }, 100);
  try {
    const value = await work();
    return { value, maxRss: Math.max(maxRss, rssMiB(pid)), cpuMs: cpuMs(pid) - cpuBefore };
  } finally {
    clearInterval(timer);
  }
}
