import { openaiStyleBackend } from '../openai/images.js';

/**
 * Azure OpenAI's image deployments speak OpenAI's image bodies; the Azure adapter supplies the
 * deployment URL, api-version and `api-key`. Rules are looked up by the deployment's name and by the
 * caller's model name, since deployment names are the operator's own.
 */
export const azureImageBackend = openaiStyleBackend('azure');
