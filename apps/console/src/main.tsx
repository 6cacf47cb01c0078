import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App as AntApp } from 'antd';
import { BrowserRouter } from 'react-router-dom';
import { I18nProvider } from './i18n';
import { ThemeProvider } from './theme';
import { SessionProvider } from './auth/session';
import { AppRoutes } from './routes';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      {/* Inside the language's ConfigProvider: antd merges the theme into it, the locale stays. */}
      <ThemeProvider>
        <AntApp>
          <SessionProvider>
            <BrowserRouter>
              <AppRoutes />
            </BrowserRouter>
          </SessionProvider>
        </AntApp>
      </ThemeProvider>
    </I18nProvider>
  </StrictMode>,
);
