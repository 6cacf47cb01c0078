import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The gateway serves dist/ at `/`; in `vite dev`, API and relay calls go to a gateway on :3000.
const gateway = process.env.APIGPT_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The app's own entry is ~55 kB; what exceeds Vite's default 500 kB is the antd vendor chunk
    // (every antd component the console uses, ~1.1 MB, 350 kB gzipped) and echarts (dashboard only).
    // Vendor chunks of one library each are the expected large ones; the limit guards against growth.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Charts and Markdown get chunks of their own: only the pages that draw them load them, and
        // they stay cached across console releases. React and antd are vendor chunks loaded with the
        // app (the frame needs them), split so each stays cached across releases and under the limit.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (/[\\/]node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom|cookie|set-cookie-parser)[\\/]/.test(id)) return 'react';
          if (/[\\/]node_modules[\\/](@ant-design[\\/]icons|@ant-design[\\/]icons-svg)[\\/]/.test(id)) return 'antd-icons';
          if (/[\\/]node_modules[\\/](antd|@rc-component|@ant-design|rc-[^\\/]+|dayjs|@emotion|stylis|classnames|clsx|throttle-debounce|compute-scroll-into-view|scroll-into-view-if-needed|json2mq|string-convert|resize-observer-polyfill)[\\/]/.test(id)) return 'antd';
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
