import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The gateway serves dist/ at `/`; in `vite dev`, API and relay calls go to a gateway on :3000.
const gateway = process.env.APIGPT_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Charts and Markdown get chunks of their own: only the pages that draw them load them, and
        // they stay cached across console releases.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (/[\\/]node_modules[\\/](echarts|zrender)[\\/]/.test(id)) return 'echarts';
          if (/[\\/]node_modules[\\/](react-markdown|rehype-|remark-|highlight\.js|lowlight|micromark|mdast-|hast-|unified|vfile)/.test(id)) return 'markdown';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: Object.fromEntries(['/api', '/v1', '/v1beta', '/sdapi'].map((p) => [p, { target: gateway, changeOrigin: false }])),
  },
});
