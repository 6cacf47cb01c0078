import type { Db } from '../storage/database.js';
import type { OnboardingState, UserOnboardingTable } from '../storage/schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';

/**
 * The manual's onboarding: after sign-up the console offers a short profile step once (name,
 * organisation, what they build, the services they want). Submitting it makes the account's first
 * App (`api/onboarding-routes.ts`); skipping it ends it too. Either answer is final: the step is
 * claimed by a conditional update (`state = 'pending'`), so two tabs submitting at once make one App.
 */

/**
 * The services a new user may tick, and the provider kinds of channels that serve each (a channel's
 * `provider`). OpenAI includes the OpenAI-compatible kind: the demo channel and most resellers
 * speak OpenAI's API.
 */
export const ONBOARDING_SERVICES: readonly { id: string; kinds: readonly string[] }[] = [
  { id: 'openai', kinds: ['openai', 'openai-compatible'] },
  { id: 'azure', kinds: ['azure'] },
  { id: 'claude', kinds: ['anthropic'] },
  { id: 'gemini', kinds: ['gemini'] },
  { id: 'chatglm', kinds: ['zhipu', 'chatglm'] },
  { id: 'deepseek', kinds: ['deepseek'] },
  { id: 'ernie', kinds: ['ernie'] },
  { id: 'stable-diffusion', kinds: ['sd-webui', 'stability'] },
  { id: 'cohere', kinds: ['cohere'] },
  { id: 'jina', kinds: ['jina'] },
];

export const SERVICE_IDS = ONBOARDING_SERVICES.map((s) => s.id);

export interface OnboardingProfile {
  organisation: string | null;
  building: string | null;
  services: string[];
}

/** Opens the step for a new account (in its sign-up transaction). */
export async function startOnboarding(trx: Db, userId: string): Promise<void> {
  const now = Date.now();
  await trx.insertInto('user_onboarding').values({ user_id: userId, state: 'pending', organisation: null, building: null, services: null, app_id: null, created_at: now, updated_at: now }).execute();
}

/** The account's step, or null when it was never offered one (older accounts, admin-made ones). */
export async function onboardingOf(db: Db, userId: string): Promise<UserOnboardingTable | null> {
  return (await db.selectFrom('user_onboarding').selectAll().where('user_id', '=', userId).executeTakeFirst()) ?? null;
}

export async function onboardingPending(db: Db, userId: string): Promise<boolean> {
  return (await onboardingOf(db, userId))?.state === 'pending';
}

/** Checks what the form sent: known service ids (each once), bounded texts. */
export function checkProfile(input: { organisation?: string | null; building?: string | null; services?: string[] }): OnboardingProfile {
  const text = (v: string | null | undefined, max: number, param: string) => {
    const t = (v ?? '').trim();
    if (t.length > max) throw invalidRequest(`At most ${max} characters.`, param);
    return t || null;
  };
  const services = [...new Set(input.services ?? [])];
  for (const s of services) if (!SERVICE_IDS.includes(s)) throw invalidRequest(`Unknown service "${s}"; one of ${SERVICE_IDS.join(', ')}.`, 'services');
  return { organisation: text(input.organisation, 200, 'organisation'), building: text(input.building, 1000, 'building'), services };
}

/**
 * Ends the pending step as `done` (with the profile) or `skipped`, inside the caller's transaction;
 * a step already ended is refused (`onboarding_done`), so the first App is made once.
 */
export async function finishOnboarding(trx: Db, userId: string, state: Exclude<OnboardingState, 'pending'>, profile?: OnboardingProfile): Promise<void> {
  const r = await trx
    .updateTable('user_onboarding')
    .set({
      state,
      updated_at: Date.now(),
      ...(profile ? { organisation: profile.organisation, building: profile.building, services: JSON.stringify(profile.services) } : {}),
    })
    .where('user_id', '=', userId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new GatewayError('conflict', 'The welcome step is already done for this account; create more apps on the Integration page.', { code: 'onboarding_done' });
}

export async function recordFirstApp(trx: Db, userId: string, appId: string): Promise<void> {
  await trx.updateTable('user_onboarding').set({ app_id: appId }).where('user_id', '=', userId).execute();
}

/**
 * The account made an App by hand while the welcome step was still pending (the Integration page,
 * the API): it found its way without the step, so the step is not offered again at the next log-in.
 * It ends as `skipped`, with that App recorded as the first.
 */
export async function appMadeByHand(db: Db, userId: string, appId: string): Promise<void> {
  await db.updateTable('user_onboarding').set({ state: 'skipped', app_id: appId, updated_at: Date.now() }).where('user_id', '=', userId).where('state', '=', 'pending').execute();
}
