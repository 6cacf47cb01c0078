export { startGateway, type Gateway, type StartOptions } from './gateway.js';
export { loadConfig, ConfigError, type Config } from './config/config.js';
export { FIELDS } from './config/fields.js';
export { createServices, openStorage, type Services, type Storage } from './services.js';
export { buildServer } from './http/server.js';
export { createLogger, type Logger } from './core/logger.js';
export { GatewayError } from './core/errors.js';
