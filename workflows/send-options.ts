import type { ActivityOptions } from '@temporalio/workflow';

/*
 * The options of every send through the gate (`sendMessage`), shared by messageSend, journeyRun and
 * broadcast. A module of its own, importing nothing at run time: a journey run created in the
 * worker's workflow context evaluates what its workflow imports, and ./message-send validates its
 * input with zod and the send gate's schemas (which reach the holiday calendars).
 */

export const SEND_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['BadSendRequest', 'ChannelNotConfigured', 'ChannelRefused', 'TemplateNotRendered'],
  },
};

/** A gate deferring again and again (a holiday season) still ends: after this many deferrals the send is left. */
export const MAX_DEFERRALS = 20;
