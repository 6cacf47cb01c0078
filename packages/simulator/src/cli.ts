#!/usr/bin/env node
// `apigpt-simulator [--port 4010] [--host 127.0.0.1] [--api-key KEY] [--basic-auth user:pass]
//  [--ttft-ms N] [--chunk-delay-ms N] [--chunks N] [--models a,b] [--ernie-token-ttl SECONDS]
//  [--epay-pid ID] [--epay-key KEY] [--stripe-key sk_…] [--stripe-webhook-secret whsec_…]`: run the simulator standalone
// (offline demo channel, manual testing, benchmarks).
import { startSimulator } from './index.js';
import type { SimulatorOptions } from './types.js';

function parseArgs(argv: string[]): SimulatorOptions {
  const opts: SimulatorOptions = { port: 4010, defaults: {} };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port': opts.port = Number(value()); break;
      case '--host': opts.host = value(); break;
      case '--api-key': opts.apiKey = value(); break;
      case '--basic-auth': opts.basicAuth = value(); break;
      case '--models': opts.models = value().split(',').filter(Boolean); break;
      case '--ernie-token-ttl': opts.ernieTokenExpiresIn = Number(value()); break;
      case '--ttft-ms': opts.defaults!.ttftMs = Number(value()); break;
      case '--chunk-delay-ms': opts.defaults!.chunkDelayMs = Number(value()); break;
      case '--chunks': opts.defaults!.chunks = Number(value()); break;
      case '--epay-pid': opts.payments = { ...opts.payments, epay: { ...opts.payments?.epay, pid: value() } }; break;
      case '--epay-key': opts.payments = { ...opts.payments, epay: { ...opts.payments?.epay, key: value() } }; break;
      case '--stripe-key': opts.payments = { ...opts.payments, stripe: { ...opts.payments?.stripe, secretKey: value() } }; break;
      case '--stripe-webhook-secret': opts.payments = { ...opts.payments, stripe: { ...opts.payments?.stripe, webhookSecret: value() } }; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return opts;
}

const sim = await startSimulator(parseArgs(process.argv.slice(2)));
process.stdout.write(`APIGPT simulator listening on ${sim.url}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
