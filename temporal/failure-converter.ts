import { DefaultFailureConverter } from '@temporalio/common';

// Failure messages and stack traces are payloads too: encode them with the payload codec
// (DESIGN.md, rule 2). Loaded by path, inside the workflow bundle and by clients.
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
