import { afterAll, beforeAll, describe } from 'vitest';
import { protocolSuite } from '../protocol/suite.js';
import { BridgeHome } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { type SecretService, secretServiceMissing, startSecretService } from '../support/secret-service.js';

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
  const home = new BridgeHome();
  let secrets: SecretService | undefined;
  beforeAll(async () => {
    secrets = await startSecretService();
  });
  afterAll(async () => {
    await secrets?.stop();
    home.remove();
  });
  protocolSuite(home.helper(() => ({ DBUS_SESSION_BUS_ADDRESS: secrets?.env.DBUS_SESSION_BUS_ADDRESS })));
});
