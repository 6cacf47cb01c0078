import { call } from './client';
import type { BodyOf, ResponseOf } from '@apigpt/sdk/management';

/** The welcome step after sign-up: the gateway's own shapes, generated into @apigpt/sdk. */
export type OnboardingOffer = ResponseOf<'GET /api/onboarding'>;
export type OnboardingResult = ResponseOf<'POST /api/onboarding'>;

export const onboarding = {
  offer: () => call('GET /api/onboarding'),
  submit: (body: BodyOf<'POST /api/onboarding'>) => call('POST /api/onboarding', { body }),
  skip: () => call('POST /api/onboarding/skip'),
};
