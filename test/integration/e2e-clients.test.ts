import { afterAll, beforeAll } from 'vitest';
import { clientFlowsMissing, clientSuite } from '../support/client-flows.js';
import { describeIntegration } from '../support/integration.js';
import { missingCommands } from '../support/processes.js';
import { type SecretService, secretServiceMissing, startSecretService } from '../support/secret-service.js';

// Real clients against a real registry through the reference helper: proves the flows themselves.
const missing = clientFlowsMissing() ?? secretServiceMissing() ?? missingCommands('docker-credential-secretservice');

describeIntegration('e2e clients with docker-credential-secretservice', missing, () => {
  let secretService: SecretService | undefined;
  beforeAll(async () => {
    secretService = await startSecretService();
  });
  afterAll(async () => {
    await secretService?.stop();
  });
  clientSuite('secretservice', ['docker-credential-secretservice'], () => {
    if (secretService === undefined) throw new Error('secret service not started');
    return secretService.env;
  });
});
