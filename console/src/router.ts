import { useEffect, useState } from 'react';

/**
 * The console's routes are paths under /console (the server answers each with index.html).
 * History API only: seven screens do not need a router library.
 */

export const BASE = '/console';

export function navigate(path: string): void {
  window.history.pushState(null, '', `${BASE}${path}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The path after /console, e.g. "/market/JP". */
export function usePath(): string {
  const read = () => window.location.pathname.slice(BASE.length) || '/';
  const [path, setPath] = useState(read);
  useEffect(() => {
    const update = () => setPath(read());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return path;
}
