import { unlessOutage } from '../../core/dependency-errors.js';
import type { ChannelStore } from '../../channels/channels.js';
import type { ChannelEvents } from '../../channels/events.js';
import { probeChannel } from './probe.js';
import type { Logger } from '../../core/logger.js';
import type { UpstreamClient } from '../upstream.js';
import type { CircuitBreaker } from './circuit.js';

export interface MonitorOptions {
  /** How often the background probe runs (0 turns it off). */
  intervalMs: number;
  /** A channel whose circuit opens this many times in a row, without a passing probe, is disabled. */
  autoDisableAfterTrips: number;
}

/**
 * Channel health beyond single calls. A circuit that keeps re-opening gets its channel disabled
 * "by health"; a periodic probe re-enables such channels (and closes open circuits) when it passes.
 * Channels an admin disabled are never touched.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly channels: ChannelStore,
    private readonly circuit: CircuitBreaker,
    private readonly events: ChannelEvents,
    private readonly upstream: UpstreamClient,
    private readonly log: Logger,
    private readonly opts: MonitorOptions,
  ) {}

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    // A round that cannot list the channels (the database is out) is skipped; the next one runs as usual.
    this.timer = setInterval(() => void this.tick().catch(unlessOutage), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Called when a circuit opened: disables the channel once it has tripped too often. */
  async onCircuitOpened(channelId: string): Promise<void> {
    const trips = await this.circuit.trips(channelId);
    if (trips < this.opts.autoDisableAfterTrips) return;
    const ch = await this.channels.get(channelId).catch(() => null);
    if (!ch || !ch.enabled) return;
    await this.channels.update(channelId, { enabled: false, disabledBy: 'health' });
    this.events.record(channelId, 'auto_disabled', `circuit opened ${trips} times in a row; the background probe re-enables it when it passes`);
  }

  /** One round of probes; also what the admin API's "check now" runs. */
  tick(): Promise<void> {
    if (!this.running) this.running = this.round().finally(() => (this.running = null));
    return this.running;
  }

  private async round(): Promise<void> {
    for (const view of await this.channels.list()) {
      try {
        const healthDisabled = !view.enabled && view.disabledBy === 'health';
        const state = view.enabled ? (await this.circuit.view(view.id)).state : 'closed';
        if (!healthDisabled && state !== 'half_open') continue; // healthy, or still cooling down, or an admin's choice
        if (state === 'half_open' && !(await this.circuit.tryProbe(view.id))) continue; // live traffic is probing it
        const result = await probeChannel(await this.channels.open(view.id), this.upstream);
        if (result.gatewayFault) {
          // The gateway could not make the probe (out of descriptors, …): the channel was not tried,
          // so its circuit and its health stay as they were, and the next round probes it again.
          if (state === 'half_open') await this.circuit.releaseProbe(view.id);
          this.log.warn(`health probe of channel ${view.id} not made: ${result.message}`);
          continue;
        }
        if (result.ok) {
          await this.circuit.reset(view.id);
          this.events.record(view.id, 'probe_ok', `background probe passed in ${result.latencyMs} ms`);
          if (healthDisabled) {
            await this.channels.update(view.id, { enabled: true, disabledBy: null });
            this.events.record(view.id, 'auto_enabled', 'background probe passed');
          } else this.events.record(view.id, 'circuit_closed', 'background probe passed');
        } else {
          this.events.record(view.id, 'probe_failed', result.message);
          // A failed probe re-opens the circuit: one more trip, which may disable the channel.
          if (!healthDisabled && (await this.circuit.onFailure(view.id, { allowed: [view.id], probes: new Set([view.id]), failures: new Map() }, `background probe: ${result.message}`)))
            await this.onCircuitOpened(view.id);
        }
      } catch (err) {
        this.log.error(`health probe of channel ${view.id} failed`, err);
      }
    }
  }
}
