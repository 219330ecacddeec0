import { describe } from 'vitest';
import { browserRequired, findChromium, INSTALL_CHROMIUM_HINT } from './chromium';

/**
 * A `describe` for tests that need Chromium: skipped (visibly) without one, unless
 * MERIDIAN_REQUIRE_BROWSER is set, when they run and fail saying what is missing.
 */
export function describeInBrowser(name: string, body: (chromiumPath: () => string) => void): void {
  const lookup = findChromium();
  const chromiumPath = () => {
    if (!lookup.found) throw new Error(`${lookup.reason}; ${INSTALL_CHROMIUM_HINT} (MERIDIAN_REQUIRE_BROWSER is set)`);
    return lookup.path;
  };
  describe.skipIf(!lookup.found && !browserRequired())(name, () => body(chromiumPath));
}
