import { afterAll, describe } from 'vitest';
import { protocolSuite } from '../protocol/suite.js';
import { BRIDGE_COMMAND, BridgeHome } from '../support/bridge.js';
import { useBridgeWithKeyring } from '../support/bridge-keyring.js';
import { describeIntegration } from '../support/integration.js';
import { secretServiceMissing } from '../support/secret-service.js';

/**
 * The same protocol suite the reference helper passes (reference-secretservice.test.ts), run against
 * the built bridge: once on the encrypted file store (no D-Bus) and once on a real gnome-keyring.
 */
describe('docker-credential-bridge, default store without a keychain (age file)', () => {
  const home = new BridgeHome();
  afterAll(() => home.remove());
  protocolSuite(home.helper());
});

describeIntegration('docker-credential-bridge, default store in a real Secret Service', secretServiceMissing(), () => {
  const { env } = useBridgeWithKeyring();
  protocolSuite({ name: 'bridge', command: BRIDGE_COMMAND, env, bridge: true });
});
