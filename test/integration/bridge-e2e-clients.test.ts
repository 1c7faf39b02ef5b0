import { BRIDGE_COMMAND } from '../support/bridge.js';
import { useBridgeWithKeyring } from '../support/bridge-keyring.js';
import { clientFlowsMissing, clientSuite } from '../support/client-flows.js';
import { describeIntegration } from '../support/integration.js';
import { secretServiceMissing } from '../support/secret-service.js';

// Real skopeo and docker CLI against a real registry through the built bridge, with no config:
// credentials land in the default store (a private gnome-keyring here).
describeIntegration('e2e clients with docker-credential-bridge', clientFlowsMissing() ?? secretServiceMissing(), () => {
  const { env } = useBridgeWithKeyring();
  clientSuite('bridge', BRIDGE_COMMAND, env);
});
