import type { z } from 'zod';

/**
 * zod's issues as one sentence, written once for every boundary (connector records and settings,
 * configuration, inputs): "field.path: rule; …". zod's messages name the rule and the type received,
 * never the value, so the sentence is safe to show and to log.
 */

export interface DescribeOptions {
  /** Start every path with `what` ("settings.shopUrl: …"), as when the input is one part of a larger one. */
  prefixed?: boolean;
  /** Only the first issue (a form that shows one problem at a time). */
  first?: boolean;
  /** Between the field and the rule: ": " by default; " " reads "properties must be an object". */
  separator?: string;
}

/** "field.path: rule; …", with `what` naming the whole input when an issue has no path. */
export function describeIssues(error: z.ZodError, what: string, options: DescribeOptions = {}): string {
  const issues = options.first ? error.issues.slice(0, 1) : error.issues;
  return issues
    .map((issue) => {
      const path = issue.path.map(String);
      const where = options.prefixed ? [what, ...path].join('.') : path.length === 0 ? what : path.join('.');
      return where === '' ? issue.message : `${where}${options.separator ?? ': '}${issue.message}`;
    })
    .join('; ');
}
