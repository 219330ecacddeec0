import type {
  Client,
  WorkflowHandle,
  WorkflowHandleWithFirstExecutionRunId,
  WorkflowStartOptions,
} from '@temporalio/client';
import type * as workflows from '../workflows';

/**
 * Meridian's workflows by their registered names, typed from workflows/index.ts without loading
 * workflow code: outside workflows/ they are imported only as types (test/unit/architecture.test.ts).
 * A name that is not an exported workflow, or arguments that do not fit it, do not compile, so a
 * name here is as safe as starting by function reference. The handles in ./processes use these.
 */

type Exported = typeof workflows;

/** The names workflows/index.ts exports a workflow function under (its Temporal workflow type). */
export type WorkflowName = {
  [K in keyof Exported]: Exported[K] extends (...args: any[]) => Promise<unknown> ? K : never;
}[keyof Exported] &
  string;
export type WorkflowOf<K extends WorkflowName> = Exported[K];

export function startWorkflow<K extends WorkflowName>(
  client: Client,
  name: K,
  options: WorkflowStartOptions<WorkflowOf<K>>,
): Promise<WorkflowHandleWithFirstExecutionRunId<WorkflowOf<K>>> {
  return client.workflow.start<WorkflowOf<K>>(name, options);
}

/** A handle to a running (or finished) workflow of this type; `name` only types it. */
export function workflowHandle<K extends WorkflowName>(
  client: Client,
  name: K,
  workflowId: string,
): WorkflowHandle<WorkflowOf<K>> {
  void name;
  return client.workflow.getHandle<WorkflowOf<K>>(workflowId);
}
