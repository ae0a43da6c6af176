/** Small statistics and process helpers shared by the benchmark's parts. */
import { spawn } from "child_process";

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(samples: number[]): Spread {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, n: s.length };
}

/** Milliseconds as seconds with 2 decimals, or ms when small. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** "median (min–max)"; just the median when there is one sample. */
export function fmtSpread(s: Spread | undefined): string {
  if (!s || s.n === 0) return "n/a";
  return s.n === 1 ? fmtMs(s.median) : `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})`;
}

export interface Timed {
  code: number;
  ms: number;
  output: string;
}

/**
 * Runs a command to completion and times it from spawn to exit. Output is
 * drained (a full pipe would stall the child) and kept for counting lines.
 */
export function timedRun(cmd: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; keepOutput?: boolean }): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => {
      if (opts.keepOutput !== false) output += d;
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, ms: performance.now() - started, output }));
  });
}
