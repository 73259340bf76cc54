import { defineConfig } from 'vite';

// The console is served by aimledger itself under /console; everything it needs is bundled, so
// it makes no request to another host.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, chunkSizeWarningLimit: 1000 },
  logLevel: 'warn',
});
