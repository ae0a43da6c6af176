/** Fault injection: what the emulator does wrong on purpose, so clients can be tested against it. */
import { badRequest } from "./errors";

export interface Faults {
  /** Share (0..1) of API requests answered `failStatus` without being applied. */
  failRate: number;
  failStatus: number;
  /** Every Nth API request is answered 429; 0 turns it off. */
  rateLimitEvery: number;
  /** Delay before handling each API request. */
  latencyMs: number;
  /** Share (0..1) of API requests whose connection is dropped with no answer. */
  dropRate: number;
  /**
   * Seeds the draws of failRate and dropRate. Every change of the faults
   * starts the draws again from this seed, so the same faults set before the
   * same sequence of requests give the same fates.
   */
  seed: number;
}

/**
 * What to do with one request. "drop-after-apply" handles the request, then
 * drops it: the client cannot tell whether its write happened.
 */
export type Fault = "rate-limit" | "fail" | "drop" | "drop-after-apply" | undefined;

const NO_FAULTS: Faults = { failRate: 0, failStatus: 500, rateLimitEvery: 0, latencyMs: 0, dropRate: 0, seed: 1 };

const BOUNDS: Record<keyof Faults, { min: number; max: number; integer: boolean }> = {
  failRate: { min: 0, max: 1, integer: false },
  failStatus: { min: 400, max: 599, integer: true },
  rateLimitEvery: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  latencyMs: { min: 0, max: 60_000, integer: true },
  dropRate: { min: 0, max: 1, integer: false },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
};

export class FaultInjector {
  private faults: Faults = { ...NO_FAULTS };
  private requests = 0;
  private drops = 0;
  private random = seeded(NO_FAULTS.seed);

  current(): Faults {
    return { ...this.faults };
  }

  /** Merges into the current faults; 400 (nothing changed) when any value is out of bounds. */
  set(update: Record<string, unknown>): void {
    const problems = Object.entries(update).flatMap(([name, value]) => faultProblems(name, value));
    if (problems.length > 0) throw badRequest(problems.join("; "));
    this.faults = { ...this.faults, ...(update as Partial<Faults>) };
    this.restart();
  }

  reset(): void {
    this.faults = { ...NO_FAULTS };
    this.restart();
  }

  /** "Every Nth", the draws and the drop alternation count from the moment faults change, so tests can predict them. */
  private restart(): void {
    this.requests = 0;
    this.drops = 0;
    this.random = seeded(this.faults.seed);
  }

  /** Decides the fate of the next API request. */
  next(): Fault {
    const { rateLimitEvery, failRate, dropRate } = this.faults;
    this.requests += 1;
    if (rateLimitEvery > 0 && this.requests % rateLimitEvery === 0) return "rate-limit";
    // Both draws are made for every request, so one rate does not shift the other's sequence.
    const fail = this.random() < failRate;
    const drop = this.random() < dropRate;
    if (fail) return "fail";
    if (drop) {
      this.drops += 1;
      return this.drops % 2 === 0 ? "drop-after-apply" : "drop";
    }
    return undefined;
  }
}

function faultProblems(name: string, value: unknown): string[] {
  if (!Object.hasOwn(BOUNDS, name)) return [`unknown fault ${JSON.stringify(name)}`];
  const { min, max, integer } = BOUNDS[name as keyof Faults];
  const ok = typeof value === "number" && value >= min && value <= max && (!integer || Number.isInteger(value));
  return ok ? [] : [`${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`];
}

/** mulberry32: a small, fast generator of numbers in [0, 1), the same sequence for the same seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
