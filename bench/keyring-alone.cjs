// The floor under any Secret Service read through @napi-rs/keyring: a bare Node script that loads
// the platform binding directly (as src/keyring.ts does) and reads one entry with the synchronous
// API, printing its length. No bridge code at all. Args: service account.
const binding = `@napi-rs/keyring-linux-${process.arch}-gnu`;
let keyring;
try {
  keyring = require(binding);
} catch {
  keyring = require('@napi-rs/keyring');
}
const [service, account] = process.argv.slice(2);
const value = new keyring.Entry(service, account, { linux: { store: 'secret-service' } }).getPassword();
process.stdout.write(String(value === null ? 0 : value.length));
