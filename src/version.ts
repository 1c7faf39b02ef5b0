// Injected at build time by scripts/build.mjs and by vitest.config.ts (the same values from
// package.json): importing package.json would put the whole file into the hot bundle.
declare const __BRIDGE_PACKAGE__: string;
declare const __BRIDGE_VERSION__: string;

export const PACKAGE_NAME: string = __BRIDGE_PACKAGE__;
export const VERSION: string = __BRIDGE_VERSION__;
