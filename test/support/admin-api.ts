/** What an API call answered: the status, the raw text, and the text parsed as JSON when there is any. */
export interface ApiAnswer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape the route answers
  body: any;
}

/**
 * Calls Meridian's HTTP API at `base()` (read at each call: servers start in `beforeAll`) with a
 * bearer token. A body that is a string goes as is, under `contentType` (a CSV upload); anything
 * else as JSON.
 */
export function bearerCaller(base: () => string) {
  return async (
    token: string,
    method: string,
    url: string,
    body?: unknown,
    contentType?: string,
  ): Promise<ApiAnswer> => {
    const res = await fetch(`${base()}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': contentType ?? 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };
}
