import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; version: string };

export default defineConfig({
  // The same build-time constants scripts/build.mjs injects (src/version.ts).
  define: { __BRIDGE_PACKAGE__: JSON.stringify(pkg.name), __BRIDGE_VERSION__: JSON.stringify(pkg.version) },
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests spawn real servers and the built helper; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files share machine-wide tools (dbus, registries on random ports); two workers keep CI steady.
    maxWorkers: 2,
  },
});
