/**
 * What an error handler may log about an unexpected error: its class, its code (a SQLSTATE, a
 * Node or SMTP error code), the HTTP status it carries and the line that threw — never its
 * message, which can quote a value (a database error names the value it refused, an SMTP reply
 * the address, a parser the text it choked on).
 */
export interface LoggableError {
  class: string;
  code?: string;
  statusCode?: number;
  /** The top stack frame: where to look, with no value in it. */
  at?: string;
}

export function loggableError(error: unknown): LoggableError {
  const e = (error ?? {}) as {
    name?: unknown;
    code?: unknown;
    statusCode?: unknown;
    stack?: unknown;
    constructor?: { name?: string };
  };
  const className =
    (typeof e.constructor?.name === 'string' && e.constructor.name !== 'Object' ? e.constructor.name : undefined) ??
    (typeof e.name === 'string' ? e.name : typeof error);
  const found: LoggableError = { class: /^[\w$.]{1,80}$/.test(className) ? className : 'Error' };
  if ((typeof e.code === 'string' && /^[\w.-]{1,40}$/.test(e.code)) || typeof e.code === 'number')
    found.code = String(e.code);
  if (typeof e.statusCode === 'number') found.statusCode = e.statusCode;
  // Frames start with "at "; the lines before them are the message, which may span several lines.
  const frame = typeof e.stack === 'string' ? e.stack.split('\n').find((line) => /^\s+at /.test(line)) : undefined;
  if (frame) found.at = frame.trim().slice(0, 300);
  return found;
}
