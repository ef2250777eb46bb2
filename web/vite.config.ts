import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The gateway serves dist/ at "/"; `npm run dev` proxies the API to a local `ballast up`.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: { "/api": { target: process.env.BALLAST_GATEWAY_URL ?? "http://127.0.0.1:8080", ws: true } },
  },
});
