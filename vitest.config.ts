import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests spawn real servers and the built helper; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files share machine-wide tools (dbus, registries on random ports); two workers keep CI steady.
    maxWorkers: 2,
  },
});
