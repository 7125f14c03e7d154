// gentrack.d.ts: the types of gentrack.mjs (watch and cancel a generation
// request from a browser or Node 18+). gentrack.d.mts re-exports them, for
// TypeScript's resolution of `import ... from './gentrack.mjs'`.
// Checked by tests/clients/typescript.sh (tsc --noEmit on an example that
// uses every export).

/** The states of SPEC §2; the last four are final. */
export type GenerationStatus = 'pending' | 'processing' | 'completed' | 'partial' | 'failed' | 'cancelled';

/** Why a request failed (`failure_reason`). */
export type FailureReason =
  | 'lease_expired' | 'max_runtime_exceeded' | 'never_started' | 'generator_failed' | 'operator_failed';

/** One generated entity: the JSON object its worker recorded. */
export type Entity = Record<string, unknown>;

/**
 * A generation request as the API shows it. `entities` in a GET's answer
 * (not in stream events); `version` in stream events (the ETag's number);
 * `metadata` absent from a status token's view; `status_token` only in the
 * answer of a create.
 */
export interface GenerationRequest {
  request_id: string;
  entity_type: string;
  subject_key: string | null;
  status: GenerationStatus;
  requested_count: number;
  generated_count: number;
  failed_count: number;
  /** (generated + failed) / requested, 0..1 */
  progress: number;
  attempt: number;
  requested_at: string;
  started_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  failure_reason: FailureReason | string | null;
  error_message: string | null;
  constraints?: Record<string, unknown> | null;
  metadata?: Record<string, unknown> | null;
  entities?: Entity[];
  version?: number;
  status_token?: string;
  /** Fields a later server adds. */
  [field: string]: unknown;
}

/** An RFC 9457 problem+json body. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** 409 of a create: the active request of the same subject. */
  existing_request_id?: string;
  [field: string]: unknown;
}

/** A status token (`token`, one request) or an API key (`key`); one is needed. */
export type Credentials =
  | { token: string; key?: string }
  | { key: string; token?: string };

/** The EventSource constructor (the browser's, or a Node implementation). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: any, ev: any) => any) | null;
  onmessage: ((this: any, ev: { data: string }) => any) | null;
  onerror: ((this: any, ev: any) => any) | null;
  close(): void;
}
export interface EventSourceConstructor {
  new (url: string): EventSourceLike;
  readonly CLOSED: number;
}

export type WatchOptions = Credentials & {
  /** Each newer state (stream events have no entities). */
  onUpdate?: (resource: GenerationRequest) => void;
  /** abort() ends every connection and timer of the watch, which rejects with an AbortError. */
  signal?: AbortSignal;
  /** Give up after this long without a final state (default 30 min). */
  timeoutMs?: number;
  /** A fetch to use instead of globalThis.fetch. */
  fetch?: typeof fetch;
  /** An EventSource to use; null: never stream, poll. */
  EventSource?: EventSourceConstructor | null;
};

export type CancelOptions = Credentials & {
  reason?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
};

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

/** An HTTP error (status, and the problem+json body when there was one), a network error or a timeout (status 0). */
export class GentrackError extends Error {
  constructor(message: string, options?: { status?: number; problem?: Problem | null });
  readonly name: 'GentrackError';
  status: number;
  problem: Problem | null;
}

/** True for a final state (completed, partial, failed, cancelled). */
export function isTerminal(resource: Pick<GenerationRequest, 'status'> | null | undefined): boolean;

/** Full jitter: a random wait in [0, min(capMs, baseMs * 2^failures)) ms. */
export function backoffMs(failures: number, options?: BackoffOptions): number;

/** Waits for the final state (stream, else polling); resolves with the final resource, entities included. */
export function watch(baseUrl: string, id: string, options: WatchOptions): Promise<GenerationRequest>;

/** Cancels the request: the resource as cancelled; a GentrackError (409 when it had already finished). */
export function cancel(baseUrl: string, id: string, options: CancelOptions): Promise<GenerationRequest>;
