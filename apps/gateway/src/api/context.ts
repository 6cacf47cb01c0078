import type { User } from '../accounts/users.js';
import type { Services } from '../services.js';
import type { Db } from '../storage/database.js';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import type { Principal } from './principal.js';
import type { KeyContext } from '../apps/keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The relay caller's key, set by the dialect's onRequest hook. */
    apiKey: KeyContext | null;
  }
  interface FastifyContextConfig {
    /** Who may call a management route; defaults to `user`. */
    auth?: 'public' | 'user' | 'admin';
    /** An App key (`Bearer sk-…`) may call this route as its owner: the SDKs' account calls. */
    keys?: boolean;
    /** Error shape for the route: a relay dialect or the management API's. */
    dialect?: string;
  }
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new GatewayError('authentication', 'Log in first.', { code: 'not_logged_in' });
  return req.principal;
}

export function userId(req: FastifyRequest): string {
  return principal(req).user.id;
}

/** Runtime settings an admin may change (later issues keep them in the database). */
export interface ApiSettings {
  signupEnabled: boolean;
}

export interface ApiHooks {
  /**
   * Opens a new account (the trial credit grant): in the sign-up transaction, or — with mail on — in
   * the transaction that confirms its address (accounts/account-mail.ts).
   */
  onUserCreated?: (trx: Db, user: User) => Promise<void>;
}

export interface ApiContext {
  services: Services;
  settings: () => ApiSettings;
  hooks: ApiHooks;
}

