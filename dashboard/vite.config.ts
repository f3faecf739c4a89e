// Builds the dashboard into api/assets/dashboard, which the server embeds with include_bytes!.
// File names are fixed (no content hash): the server sends an ETag and `Cache-Control:
// no-cache`, so browsers revalidate cheaply and the Rust side lists a fixed set of files.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/dashboard/",
  build: {
    outDir: "../api/assets/dashboard",
    emptyOutDir: true,
    target: "es2022",
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    rollupOptions: {
      output: {
        entryFileNames: "dashboard.js",
        chunkFileNames: "dashboard-[name].js",
        assetFileNames: "dashboard[extname]",
        inlineDynamicImports: true,
      },
    },
  },
});
