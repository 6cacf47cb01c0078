/**
 * Stripe's request bodies are `application/x-www-form-urlencoded` with nested keys in brackets:
 * `line_items[0][price_data][currency]=usd`, `metadata[order_id]=…`. Undefined values are left out.
 */
export type FormValue = string | number | boolean | undefined | FormValue[] | { [k: string]: FormValue };

export function stripeForm(params: Record<string, FormValue>): string {
  const out = new URLSearchParams();
  const walk = (prefix: string, v: FormValue) => {
    if (v === undefined) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(`${prefix}[${i}]`, x));
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(`${prefix}[${k}]`, x);
    else out.append(prefix, String(v));
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out.toString();
}
