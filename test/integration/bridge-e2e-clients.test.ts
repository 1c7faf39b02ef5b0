import { afterAll, beforeAll } from 'vitest';
import { BRIDGE_COMMAND, BridgeHome } from '../support/bridge.js';
import { clientFlowsMissing, clientSuite } from '../support/client-flows.js';
import { describeIntegration } from '../support/integration.js';
import { type SecretService, secretServiceMissing, startSecretService } from '../support/secret-service.js';

// Real skopeo and docker CLI against a real registry through the built bridge, with no config:
// credentials land in the default store (a private gnome-keyring here).
describeIntegration('e2e clients with docker-credential-bridge', clientFlowsMissing() ?? secretServiceMissing(), () => {
  const home = new BridgeHome();
  let secrets: SecretService | undefined;
  beforeAll(async () => {
    secrets = await startSecretService();
  });
  afterAll(async () => {
    await secrets?.stop();
    home.remove();
  });
  clientSuite('bridge', BRIDGE_COMMAND, () => home.env({ DBUS_SESSION_BUS_ADDRESS: secrets?.env.DBUS_SESSION_BUS_ADDRESS }));
});
