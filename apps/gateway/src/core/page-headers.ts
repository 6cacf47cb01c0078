/**
 * Headers for the pages a browser renders (the console and the API docs): a content security policy
 * that lets them load only their own scripts, no framing by another site (clickjacking), no full
 * URLs leaking in the Referer, and no content sniffing.
 *
 * Scripts come only from the gateway's own files (the console's build has no inline script; Swagger
 * UI's initializer is a file too). Styles allow 'unsafe-inline': antd and Swagger UI set style
 * attributes and inject <style> elements at run time. Images may be data: and blob: URLs (generated
 * images, Swagger UI's logo) and, when the public URL is another origin, images stored behind it.
 */
export function pageSecurityHeaders(publicUrl?: string): Record<string, string> {
  const extra = foreignOrigin(publicUrl);
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${extra}`,
    "font-src 'self' data:",
    `connect-src 'self'${extra}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-content-type-options': 'nosniff',
  };
}

/** ` https://gw.example.com` when a public URL is configured (it may differ from the page's host). */
function foreignOrigin(publicUrl?: string): string {
  if (!publicUrl) return '';
  try {
    return ` ${new URL(publicUrl).origin}`;
  } catch {
    return '';
  }
}

