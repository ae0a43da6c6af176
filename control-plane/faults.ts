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
}

/**
 * What to do with one request. "drop-after-apply" handles the request, then
 * drops it: the client cannot tell whether its write happened.
 */
export type Fault = "rate-limit" | "fail" | "drop" | "drop-after-apply" | undefined;

const NO_FAULTS: Faults = { failRate: 0, failStatus: 500, rateLimitEvery: 0, latencyMs: 0, dropRate: 0 };

const BOUNDS: Record<keyof Faults, { min: number; max: number; integer: boolean }> = {
  failRate: { min: 0, max: 1, integer: false },
  failStatus: { min: 400, max: 599, integer: true },
  rateLimitEvery: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  latencyMs: { min: 0, max: 60_000, integer: true },
  dropRate: { min: 0, max: 1, integer: false },
};

export class FaultInjector {
  private faults: Faults = { ...NO_FAULTS };
  private requests = 0;
  private drops = 0;

  current(): Faults {
    return { ...this.faults };
  }

  /** Merges into the current faults; 400 (nothing changed) when any value is out of bounds. */
  set(update: Record<string, unknown>): void {
    const problems = Object.entries(update).flatMap(([name, value]) => faultProblems(name, value));
    if (problems.length > 0) throw badRequest(problems.join("; "));
    this.faults = { ...this.faults, ...(update as Partial<Faults>) };
    // "Every Nth" counts from the moment faults change, so tests can predict it.
    this.requests = 0;
  }

  reset(): void {
    this.faults = { ...NO_FAULTS };
    this.requests = 0;
    this.drops = 0;
  }

  /** Decides the fate of the next API request. */
  next(): Fault {
    const { rateLimitEvery, failRate, dropRate } = this.faults;
    this.requests += 1;
    if (rateLimitEvery > 0 && this.requests % rateLimitEvery === 0) return "rate-limit";
    if (Math.random() < failRate) return "fail";
    if (Math.random() < dropRate) {
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
