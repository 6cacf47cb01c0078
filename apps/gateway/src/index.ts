export { startGateway, type Gateway, type StartOptions } from './gateway.js';
export { loadConfig, ConfigError, type Config } from './config/config.js';
export { FIELDS } from './config/fields.js';
export { createServices, type Services } from './services.js';
export { openStorage, type Storage } from './storage-handle.js';
export { buildServer } from './http/server.js';
export { createLogger, type Logger } from './core/logger.js';
export { holdYoungGeneration, tuneHeap } from './core/heap.js';
export { GatewayError } from './core/errors.js';
