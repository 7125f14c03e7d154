// Uses every export of clients/js/gentrack.mjs, as a TypeScript front end
// would: tsc --noEmit checks it against gentrack.d.ts (tests/clients/typescript.sh).
import { watch, cancel, isTerminal, backoffMs, GentrackError } from '../../../clients/js/gentrack.mjs';
import type {
  GenerationRequest, GenerationStatus, Entity, Problem, WatchOptions, CancelOptions, Credentials,
  BackoffOptions, EventSourceConstructor, FailureReason,
} from '../../../clients/js/gentrack.mjs';

const base = 'https://gen.example.com';

export async function follow(id: string, token: string, bar: { value: number }): Promise<Entity[]> {
  const controller = new AbortController();
  const options: WatchOptions = {
    token,
    onUpdate: (r: GenerationRequest) => { bar.value = r.progress; },
    signal: controller.signal,
    timeoutMs: 10 * 60 * 1000,
  };
  try {
    const done = await watch(base, id, options);
    const status: GenerationStatus = done.status;
    const reason: FailureReason | string | null = done.failure_reason;
    if (status === 'failed') throw new Error(`failed: ${reason ?? 'unknown'}`);
    return done.entities ?? [];
  } catch (err) {
    if (err instanceof GentrackError) {
      const problem: Problem | null = err.problem;
      console.error(err.status, problem?.detail, problem?.existing_request_id);
    }
    throw err;
  }
}

export async function stop(id: string, key: string): Promise<boolean> {
  const creds: Credentials = { key };
  const options: CancelOptions = { ...creds, reason: 'no longer needed' };
  const r: GenerationRequest = await cancel(base, id, options);
  return isTerminal(r);
}

export function pollingOnly(id: string, token: string, ES: EventSourceConstructor | null = null) {
  const b: BackoffOptions = { baseMs: 250, capMs: 5000, random: Math.random };
  const firstWait: number = backoffMs(3, b);
  return { firstWait, done: watch(base, id, { token, EventSource: ES }) };
}

// Mistakes the types must catch.
// @ts-expect-error: credentials are required
void watch(base, 'id', {});
// @ts-expect-error: status is one of the six states
const bad: GenerationStatus = 'done';
void bad;
// @ts-expect-error: a GentrackError's status is a number
const s: string = new GentrackError('x', { status: 500 }).status;
void s;
