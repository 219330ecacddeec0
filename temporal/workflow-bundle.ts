import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from './connection';

/** Bundles workflows/ once; the supervisor and the test setup write it to a file all workers load. */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: path.join(__dirname, '..', 'workflows', 'index.ts'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as never,
  });
}

export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflows();
  await writeFile(file, code);
}
