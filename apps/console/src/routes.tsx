import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { useSession } from './auth/session';
import { useT } from './i18n';
import { AppLayout } from './layout/AppLayout';

// Every page loads on demand: the frame (menu, header) paints first, and a page's own code (the
// chart library for the dashboard, Markdown and highlight.js for the docs) comes with it, so the
// login page does not wait for charts and a user who never opens the admin pages never downloads them.
const AuthPage = lazy(() => import('./pages/AuthPage').then((m) => ({ default: m.AuthPage })));
const Dashboard = lazy(() => import('./pages/Dashboard').then((m) => ({ default: m.Dashboard })));
const Integration = lazy(() => import('./pages/Integration'));
const Usage = lazy(() => import('./pages/Usage'));
const Topup = lazy(() => import('./pages/Topup'));
const Recharge = lazy(() => import('./pages/Recharge'));
const TopupOrders = lazy(() => import('./pages/admin/TopupOrders'));
const Docs = lazy(() => import('./pages/Docs'));
const ModelsPrices = lazy(() => import('./pages/ModelsPrices'));
const Chat = lazy(() => import('./pages/playground/Chat'));
const ImagePlayground = lazy(() => import('./pages/playground/ImagePlayground'));
const Channels = lazy(() => import('./pages/admin/Channels'));
const Models = lazy(() => import('./pages/admin/Models'));
const Users = lazy(() => import('./pages/admin/Users'));
const Codes = lazy(() => import('./pages/admin/Codes'));
const AllLogs = lazy(() => import('./pages/admin/AllLogs'));
const Audit = lazy(() => import('./pages/admin/Audit'));
const Overview = lazy(() => import('./pages/admin/Overview'));
const Safety = lazy(() => import('./pages/admin/Safety'));
const Settings = lazy(() => import('./pages/admin/Settings'));
const Tickets = lazy(() => import('./pages/support/Tickets'));
const Ticket = lazy(() => import('./pages/support/Ticket'));
const Invite = lazy(() => import('./pages/Invite'));
const Welcome = lazy(() => import('./pages/Welcome'));
const SupportDesk = lazy(() => import('./pages/admin/SupportDesk'));
const SupportTicket = lazy(() => import('./pages/admin/SupportTicket'));
const Announcements = lazy(() => import('./pages/admin/Announcements'));
const Referrals = lazy(() => import('./pages/admin/Referrals'));
const Privacy = lazy(() => import('./pages/admin/Privacy'));
const MyData = lazy(() => import('./pages/account/MyData'));
const ForgotPassword = lazy(() => import('./pages/account/ForgotPassword'));
const ResetPassword = lazy(() => import('./pages/account/ResetPassword'));
const VerifyEmail = lazy(() => import('./pages/account/VerifyEmail'));
const TwoFactor = lazy(() => import('./pages/account/TwoFactor'));

export const TWO_FACTOR_PATH = '/account/two-factor';

export const loading = (
  <div style={{ display: 'flex', justifyContent: 'center', padding: 80 }}>
    <Spin size="large" />
  </div>
);

export function AppRoutes() {
  const { user } = useSession();
  if (user === undefined) return loading;
  return (
    <Suspense fallback={loading}>
      <Routes>
        <Route path="/login" element={user ? <SignedIn /> : <AuthPage mode="login" />} />
        <Route path="/signup" element={user ? <SignedIn welcome /> : <AuthPage mode="signup" />} />
        {/* Mailed links open these, logged in or not. */}
        <Route path="/forgot-password" element={user ? <SignedIn /> : <ForgotPassword />} />
        <Route path="/reset-password" element={<ResetPassword />} />
        <Route path="/verify-email" element={<VerifyEmail />} />
        <Route element={<RequireUser />}>
          <Route path="/" element={<Dashboard />} />
          <Route path="/integration" element={<Integration />} />
          <Route path="/usage" element={<Usage />} />
          <Route path="/topup" element={<Topup />} />
          <Route path="/recharge" element={<Recharge />} />
          <Route path="/playground/chat" element={<Chat />} />
          <Route path="/playground/image" element={<ImagePlayground />} />
          <Route path="/docs" element={<Docs />} />
          <Route path="/support" element={<Tickets />} />
          <Route path="/support/:id" element={<Ticket />} />
          <Route path="/invite" element={<Invite />} />
          <Route path="/welcome" element={<Welcome />} />
          <Route path="/account/data" element={<MyData />} />
          <Route path="/admin/privacy" element={<AdminOnly><Privacy /></AdminOnly>} />
          <Route path="/admin/support" element={<AdminOnly><SupportDesk /></AdminOnly>} />
          <Route path="/admin/support/:id" element={<AdminOnly><SupportTicket /></AdminOnly>} />
          <Route path="/admin/announcements" element={<AdminOnly><Announcements /></AdminOnly>} />
          <Route path="/admin/referrals" element={<AdminOnly><Referrals /></AdminOnly>} />
          <Route path="/account/two-factor" element={<TwoFactor />} />
          <Route path="/admin/overview" element={<AdminOnly><Overview /></AdminOnly>} />
          <Route path="/models" element={<ModelsPrices />} />
          <Route path="/admin/channels" element={<AdminOnly><Channels /></AdminOnly>} />
          <Route path="/admin/models" element={<AdminOnly><Models /></AdminOnly>} />
          <Route path="/admin/users" element={<AdminOnly><Users /></AdminOnly>} />
          <Route path="/admin/codes" element={<AdminOnly><Codes /></AdminOnly>} />
          <Route path="/admin/topups" element={<AdminOnly><TopupOrders /></AdminOnly>} />
          <Route path="/admin/logs" element={<AdminOnly><AllLogs /></AdminOnly>} />
          <Route path="/admin/audit" element={<AdminOnly><Audit /></AdminOnly>} />
          <Route path="/admin/safety" element={<AdminOnly><Safety /></AdminOnly>} />
          <Route path="/admin/settings" element={<AdminOnly><Settings /></AdminOnly>} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

/**
 * Where a visitor goes once the session exists: back to the page that sent them to log in, or (new
 * accounts) the dashboard with its welcome note.
 */
function SignedIn({ welcome }: { welcome?: boolean }) {
  const location = useLocation();
  const { onboarding } = useSession();
  const from = (location.state as { from?: string } | null)?.from;
  // A new account starts with the welcome step (profile, services, first App); skipping it leads
  // to the dashboard's welcome note. An account that left the step unanswered (the tab was closed)
  // meets it again at its next sign-in, unless the sign-in came from a page it asked for.
  if (welcome) return <Navigate to="/welcome" replace />;
  if (from) return <Navigate to={from} replace />;
  if (onboarding === undefined) return null;
  return <Navigate to={onboarding ? '/welcome' : '/'} replace />;
}

/** Logged-out visitors go to the login page and come back where they were after signing in. */
function RequireUser() {
  const { user, twoFactorRequired } = useSession();
  const location = useLocation();
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  // An administrator the server holds to two-factor sign-in reaches nothing else until enrolled.
  if (twoFactorRequired && location.pathname !== TWO_FACTOR_PATH) return <Navigate to={TWO_FACTOR_PATH} replace />;
  return <AppLayout />;
}

/** The API refuses non-admins anyway; this only spares them a page of permission errors. */
function AdminOnly({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const t = useT();
  if (user?.role !== 'admin') return <Result status="403" title="403" subTitle={t('error.adminOnly')} />;
  return <>{children}</>;
}

function NotFound() {
  const t = useT();
  return <Result status="404" title="404" subTitle={t('error.pageNotFound')} />;
}
