import { expect } from 'vitest';
import { ConnectorError } from '../../connectors/errors';
import type { ConnectorSession, Cursor, StreamName, SyncPage } from '../../connectors/framework';
import type { CanonicalCustomer, CanonicalOrder, RejectedRecord } from '../../domain/commerce';

/** A pass over one stream of a connector session, page by page, as the sync activity walks it. */
export interface Pass {
  pages: SyncPage[];
  customers: CanonicalCustomer[];
  orders: CanonicalOrder[];
  rejected: RejectedRecord[];
  highWater: string | undefined;
  /** Failures a retry got past, as the activity layer would retry them. */
  retried: ConnectorError[];
  /** Where the pass stopped: null when it completed, else the cursor after maxPages. */
  next: Cursor | null;
}

export interface PassOptions {
  stream?: StreamName;
  since?: string;
  /** Continue from this cursor instead of starting a pass. */
  from?: Cursor;
  maxPages?: number;
  /** Retryable failures retried per page (as Temporal would retry the activity). */
  retries?: number;
  /** Called after each page (e.g. to change the vendor's data mid-pass). */
  between?: (pages: number) => void;
}

/** Every page of a pass; each cursor goes through JSON on the way, as a workflow checkpoint does. */
export async function walkPass(session: ConnectorSession, options: PassOptions = {}): Promise<Pass> {
  const pass: Pass = {
    pages: [],
    customers: [],
    orders: [],
    rejected: [],
    highWater: undefined,
    retried: [],
    next: null,
  };
  let cursor: Cursor | null = options.from ?? null;
  do {
    let page: SyncPage | undefined;
    for (let attempt = 0; page === undefined; attempt++) {
      try {
        page = await session.fetchPage(options.stream ?? 'orders', cursor, options.since);
      } catch (error) {
        if (!(error instanceof ConnectorError) || !error.retryable || attempt >= (options.retries ?? 0)) throw error;
        pass.retried.push(error);
      }
    }
    pass.pages.push(page);
    pass.customers.push(...page.customers);
    pass.orders.push(...page.orders);
    pass.rejected.push(...page.rejected);
    if (page.highWater && (!pass.highWater || page.highWater > pass.highWater)) pass.highWater = page.highWater;
    const checkpoint = JSON.stringify(page.next);
    expect(JSON.parse(checkpoint)).toEqual(page.next);
    cursor = JSON.parse(checkpoint) as Cursor | null;
    options.between?.(pass.pages.length);
  } while (cursor && pass.pages.length < (options.maxPages ?? Infinity));
  return { ...pass, next: cursor };
}

/** The error a promise rejects with, or a failed expectation when it resolves. */
export async function connectorFailure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}
