import { afterAll, beforeAll } from 'vitest';
import { BridgeHome } from './bridge.js';
import { type SecretService, startSecretService } from './secret-service.js';

/**
 * A BridgeHome whose default store is a private gnome-keyring, started and stopped with the
 * enclosing describe. `env()` is what the helper process gets.
 */
export function useBridgeWithKeyring(): { home: BridgeHome; env: () => Record<string, string | undefined>; secrets: () => SecretService } {
  const home = new BridgeHome();
  let secrets: SecretService | undefined;
  beforeAll(async () => {
    secrets = await startSecretService();
  });
  afterAll(async () => {
    await secrets?.stop();
    home.remove();
  });
  const started = (): SecretService => {
    if (secrets === undefined) throw new Error('secret service not started');
    return secrets;
  };
  return { home, env: () => home.env({ DBUS_SESSION_BUS_ADDRESS: started().env.DBUS_SESSION_BUS_ADDRESS }), secrets: started };
}
