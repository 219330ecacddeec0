/**
 * One vocabulary for where a privacy request, and each system's part in it, stands: the statuses the
 * saga and the stores write, which of them end a request or settle a system, and how each is shown
 * to the requester. The workflow, the stores, the portal and the pages all read it from here, so a
 * status added in one place cannot be shown as something else in another.
 */

// ---- requests ---------------------------------------------------------------------------------

/** Every status a request row can hold (the saga writes all but the first two and the last two). */
export const REQUEST_STATUSES = [
  'awaiting-verification',
  'verified',
  'suppressed',
  'cooling-off',
  'in-progress',
  'waiting-on-operator',
  'completed',
  'completed-with-failures',
  'cancelled',
  'duplicate',
  'expired',
  'rejected',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses after which a request is over. */
export const FINISHED_REQUEST_STATUSES = [
  'completed',
  'completed-with-failures',
  'cancelled',
  'duplicate',
  'expired',
  'rejected',
] as const satisfies readonly RequestStatus[];
export type FinishedRequestStatus = (typeof FINISHED_REQUEST_STATUSES)[number];

/** Statuses in which the requester may still cancel a deletion (before the point of no return). */
export const CANCELLABLE_REQUEST_STATUSES = ['suppressed', 'cooling-off'] as const satisfies readonly RequestStatus[];

export const isFinished = (status: string): status is FinishedRequestStatus =>
  (FINISHED_REQUEST_STATUSES as readonly string[]).includes(status);
export const isCancellable = (status: string) => (CANCELLABLE_REQUEST_STATUSES as readonly string[]).includes(status);

/** Where a request stands, as the requester sees it (each has its words in domain/messages/privacy/). */
export const PUBLIC_REQUEST_STATUSES = [
  'awaiting-verification',
  'verified',
  'suppressed',
  'cooling-off',
  'in-progress',
  'waiting-on-vendor',
  'completed',
  'cancelled',
  'rejected',
  'duplicate',
] as const;
export type PublicRequestStatus = (typeof PUBLIC_REQUEST_STATUSES)[number];

const PUBLIC_REQUEST: Record<RequestStatus, PublicRequestStatus> = {
  'awaiting-verification': 'awaiting-verification',
  verified: 'verified',
  suppressed: 'suppressed',
  'cooling-off': 'cooling-off',
  'in-progress': 'in-progress',
  'waiting-on-operator': 'in-progress',
  completed: 'completed',
  // The certificate names the systems that failed; the requester's answer is given.
  'completed-with-failures': 'completed',
  cancelled: 'cancelled',
  duplicate: 'duplicate',
  expired: 'rejected',
  rejected: 'rejected',
};

/** The requester's view of a stored status; one not in the vocabulary (a newer writer's) reads as in progress. */
export function publicRequestStatus(status: string): PublicRequestStatus {
  return PUBLIC_REQUEST[status as RequestStatus] ?? 'in-progress';
}

// ---- systems ----------------------------------------------------------------------------------

/** Every status a system's row can hold (a request's erase/suppress/export, or a consent change's push). */
export const SYSTEM_STATUSES = [
  'pending',
  'in-progress',
  'retrying',
  'waiting-on-vendor',
  'waiting-on-operator',
  'done',
  /** The system holds nothing of the person. */
  'not-found',
  /** Kept under a legal hold. */
  'held',
  /** The system has no way to take the operation (no API, no operator task). */
  'not-supported',
  /** The vendor accepted the job and offers no way to check it. */
  'submitted-unverifiable',
  /** A consent change that does not concern the system. */
  'not-applicable',
  'failed',
] as const;
export type SystemStatus = (typeof SYSTEM_STATUSES)[number];

/** A system in one of these is finished with for the request: anything else at the end is a failure. */
export const SETTLED_SYSTEM_STATUSES = [
  'done',
  'not-found',
  'held',
  'not-supported',
  'submitted-unverifiable',
] as const satisfies readonly SystemStatus[];
export const isSettled = (status: string) => (SETTLED_SYSTEM_STATUSES as readonly string[]).includes(status);

/** Where the work stands in one system, as the person sees it. */
export const PUBLIC_SYSTEM_STATUSES = [
  'pending',
  'in-progress',
  'retrying',
  'waiting-on-vendor',
  'done',
  'nothing-held',
  'not-supported',
  'failed',
  'waiting-on-operator',
] as const;
export type PublicSystemStatus = (typeof PUBLIC_SYSTEM_STATUSES)[number];

const PUBLIC_SYSTEM: Record<SystemStatus, PublicSystemStatus> = {
  pending: 'pending',
  'in-progress': 'in-progress',
  retrying: 'retrying',
  'waiting-on-vendor': 'waiting-on-vendor',
  'waiting-on-operator': 'waiting-on-operator',
  done: 'done',
  'not-found': 'nothing-held',
  // Kept under a legal hold or confirmed without a way to check: settled for this request.
  held: 'done',
  'submitted-unverifiable': 'done',
  // Not "nothing held": we do not know what a system without an API holds, only that we could not act in it.
  'not-supported': 'not-supported',
  'not-applicable': 'not-supported',
  failed: 'failed',
};

/** The person's view of a system's stored status; one not in the vocabulary reads as in progress. */
export function publicSystemStatus(status: string): PublicSystemStatus {
  return (
    PUBLIC_SYSTEM[status as SystemStatus] ??
    (PUBLIC_SYSTEM_STATUSES.includes(status as PublicSystemStatus) ? (status as PublicSystemStatus) : 'in-progress')
  );
}
