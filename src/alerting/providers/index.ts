import type { Dispatcher } from 'undici';
import type { ChannelSpec } from '../../config/channels.ts';
import type { Notifier } from '../types.ts';
import { alertmanager } from './alertmanager.ts';
import { discord } from './discord.ts';
import { slack } from './slack.ts';
import { teams } from './teams.ts';
import { webhook } from './webhook.ts';

export type { ChannelSpec };

/** The one place providers are registered. */
const PROVIDERS: Record<ChannelSpec['type'], (c: ChannelSpec, d: Dispatcher) => Notifier> = {
  slack,
  discord,
  teams,
  webhook: (c, d) => webhook(c, d),
  alertmanager: (c, d) => alertmanager(c, d),
};

export function createNotifier(c: ChannelSpec, dispatcher: Dispatcher): Notifier {
  return PROVIDERS[c.type](c, dispatcher);
}
