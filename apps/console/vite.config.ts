import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { precompress } from './precompress';

// The gateway serves dist/ at `/`; in `vite dev`, API and relay calls go to a gateway on :3000.
const gateway = process.env.APIGPT_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  // Brotli and gzip copies of every text file, written once here and sent by the gateway as is.
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The entry (~650 kB, ~175 kB as Brotli) is React's app frame with the antd core every page
    // draws in (theme, layout, menu, drawer, dropdown, forms' base); both languages' texts are a
    // chunk of their own beside it (loaded at once, in parallel). The chart library (dashboards
    // only) and Markdown with highlight.js (chat and docs only) come next; the limit guards against
    // a page pulling one of them, or all of antd, into the first load. Splitting the frame into a
    // lazy chunk was tried: 30 more small files cost ~45 KB more on the wire (Brotli compresses
    // small files worse), so the frame stays in the entry.
    chunkSizeWarningLimit: 720,
    rollupOptions: {
      output: {
        // antd is not one vendor chunk: Rollup splits it along the lazy pages (routes.tsx), so the
        // first load carries only the components of the frame and the page opened (the table,
        // form and date-picker code come with the pages that use them). One antd chunk of 1.1 MB,
        // and an icons chunk beside it, also imported each other ("Circular chunk: antd-icons ->
        // antd"): icons need antd's colour utilities and antd's components need icons.
        // React is one chunk of its own: every page needs it and it changes least often.
        // Charts and Markdown get chunks of their own: only the pages that draw them load them.
        manualChunks(id) {
          // The dictionaries (data; not console-quality.ts, a hook): one chunk, fetched beside the entry.
          if (/[\\/]src[\\/]i18n[\\/](?!index\.tsx|console-quality\.ts)[^\\/]+\.ts$/.test(id)) return 'i18n';
          if (!id.includes('node_modules')) return undefined;
          if (/[\\/]node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom|cookie|set-cookie-parser)[\\/]/.test(id)) return 'react';
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
