import { describe, it } from 'vitest';

/**
 * Set by `.ci/run`: every integration suite whose servers are missing fails instead of skipping,
 * so a green CI proves the integration tests really ran.
 */
export const REQUIRE_INTEGRATION = process.env.BRIDGE_REQUIRE_INTEGRATION === '1';

/**
 * Declares an integration suite. `missing` is the reason it cannot run here (undefined when it can).
 * On a laptop without the servers the suite is skipped with that reason in its name; under CI it fails.
 */
export function describeIntegration(name: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  if (REQUIRE_INTEGRATION) {
    describe(name, () => {
      it('has what it needs to run (BRIDGE_REQUIRE_INTEGRATION=1)', () => {
        throw new Error(`integration suite cannot run: ${missing}`);
      });
    });
    return;
  }
  // Reached only when something is missing and CI did not ask for it: skip, with the reason in the name.
  describe.skipIf(true)(`${name} [skipped: ${missing}]`, body);
}
