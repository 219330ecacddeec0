import { writeWorkflowBundle } from '../temporal/workflow-bundle';
import { exitWithError } from '../startup/fatal';

/** `tsx scripts/bundle-workflows.ts OUT.js`: bundles workflows once (the Docker image does this at build time). */
const out = process.argv[2];
if (!out)
  exitWithError(
    'bundle-workflows',
    new Error('give the output file: tsx scripts/bundle-workflows.ts dist/workflow-bundle.js'),
  );
writeWorkflowBundle(out)
  .then(() => console.log(`workflows bundled into ${out}`))
  .catch((error) => exitWithError('bundle-workflows', error));
