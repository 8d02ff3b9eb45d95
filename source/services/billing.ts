// Groups and billing codes, on every provider: the form offers the ones known (the config file's, the
// ones used in launches before, the ones seen on servers), or a new one. Where the provider holds tags
// they travel as tags (the provider writes them from the launch spec); otherwise they live in the local
// store (launch records). A billing code may carry a hard quota in the config file — a number of servers,
// or a monthly cost — and a launch that would pass it is refused with the figures.
import type { ProviderDescription } from '../core/capabilities.js';
import { needsSanitising } from '../core/sanitize.js';
import { BILLING_TAG, GROUP_TAG } from '../core/tags.js';
import type { Product, Server } from '../core/types.js';
import type { ProviderService } from '../providers/provider.js';
import type { Store } from '../store/db.js';
import type { ServerRecord } from '../store/launches.js';
import { DEFAULT_CURRENCY, HOURS_PER_MONTH, type BillingQuota, type StrataConfig } from './config.js';
import { withRetry, type RetryOptions, type RetryPolicy } from './retry.js';
import { plural } from '../core/sentence.js';

export type NameSource = 'config' | 'used' | 'server';

export interface KnownName {
  name: string;
  /** Where strata knows it from, in this order of precedence. */
  sources: NameSource[];
  /** Billing codes: the quota from the config file, where there is one. */
  quota?: BillingQuota;
}

export interface KnownNames {
  groups: KnownName[];
  billingCodes: KnownName[];
}

/** The figures of a billing code's quota, for the review and for a refusal. */
export interface QuotaFigures {
  code: string;
  servers?: { current: number; adding: number; max: number };
  monthlyCost?: { current: number; adding: number; max: number; currency: string };
}

export interface QuotaCheck {
  /** Absent where the launch has no billing code, or the code has no quota. */
  quota?: QuotaFigures;
  /** One sentence per quota the launch would pass, with the figures (field "billingCode"). */
  problems: { field: string; message: string }[];
}

export interface BillingDeps {
  provider: ProviderService;
  description: ProviderDescription;
  store: Store;
  providerId: string;
  region: string;
  config: StrataConfig;
  /** The one retry policy (retry.ts) unless told otherwise. */
  retry?: RetryPolicy;
}

export class Billing {
  private readonly deps: BillingDeps;

  constructor(deps: BillingDeps) {
    this.deps = deps;
  }

  /** Whether group and billing code travel as tags at this provider (else they live in the local store). */
  get tagsAtProvider(): boolean {
    return this.deps.description.capabilities.images.tags;
  }

  /** The groups and billing codes strata knows, for the form's choices (servers: listed if not given). */
  async known(servers?: Server[], options: RetryOptions = {}): Promise<KnownNames> {
    const list = servers ?? (await this.listServers(options));
    const local = this.deps.store.launches().servers(this.deps.providerId, this.deps.region);
    const used = this.deps.store.launches().usedNames();
    const groups = new Names();
    const codes = new Names();
    for (const g of this.deps.config.groups) groups.add(g, 'config');
    for (const c of Object.keys(this.deps.config.billingCodes)) codes.add(c, 'config');
    for (const g of used.groups) groups.add(g, 'used');
    for (const c of used.billingCodes) codes.add(c, 'used');
    for (const s of list) {
      const g = groupOf(s, local);
      const c = billingCodeOf(s, local);
      // A name with control characters (a hostile provider) is not offered: it could not be chosen anyway.
      if (g && !needsSanitising(g) && g.length <= 256) groups.add(g, 'server');
      if (c && !needsSanitising(c) && c.length <= 256) codes.add(c, 'server');
    }
    return {
      groups: groups.list(),
      billingCodes: codes.list().map((k) => {
        const quota = this.deps.config.billingCodes[k.name];
        return quota && Object.keys(quota).length ? { ...k, quota } : k;
      }),
    };
  }

  /** The quota of a billing code, from the config file. */
  quotaOf(code: string | undefined): BillingQuota | undefined {
    if (!code) return undefined;
    const quota = this.deps.config.billingCodes[code];
    return quota && (quota.maxServers !== undefined || quota.maxMonthlyCost !== undefined) ? quota : undefined;
  }

  /**
   * Checks a launch against its billing code's hard quota. Counts the code's servers that are not
   * terminated in this provider's region (the provider's list; the code from the server, its tag, or the
   * local store where the provider holds none), and their monthly cost (hourly price x 730).
   */
  async check(
    launch: { billingCode?: string; count: number; productId: string },
    context: { servers?: Server[]; products?: Product[] } = {},
  ): Promise<QuotaCheck> {
    const code = launch.billingCode || undefined;
    const quota = this.quotaOf(code);
    if (!code || !quota) return { problems: [] };
    const servers = context.servers ?? (await this.listServers());
    const products = context.products ?? (await this.retry(() => this.deps.provider.listProducts(), { operation: 'listing sizes' }));
    const local = this.deps.store.launches().servers(this.deps.providerId, this.deps.region);
    const mine = servers.filter((s) => s.phase !== 'terminated' && billingCodeOf(s, local) === code);
    const priceOf = (productId: string, serverId?: string): number | undefined =>
      products.find((p) => p.id === productId)?.hourlyPrice ?? (serverId ? local.get(serverId)?.hourlyPrice : undefined);

    const figures: QuotaFigures = { code };
    const problems: QuotaCheck['problems'] = [];
    const count = Math.max(0, Math.floor(launch.count) || 0);
    if (quota.maxServers !== undefined) {
      const current = mine.length;
      figures.servers = { current, adding: count, max: quota.maxServers };
      if (current + count > quota.maxServers) {
        problems.push({
          field: 'billingCode',
          message:
            `Billing code ${code} allows ${plural(quota.maxServers, 'server')}; ${current} ${current === 1 ? 'is' : 'are'} running ` +
            `and this launch adds ${count} (${current + count}).`,
        });
      }
    }
    if (quota.maxMonthlyCost !== undefined) {
      const currency = quota.currency ?? DEFAULT_CURRENCY;
      const price = priceOf(launch.productId);
      const current = round2(mine.reduce((sum, s) => sum + (priceOf(s.productId, s.id) ?? 0) * HOURS_PER_MONTH, 0));
      if (price === undefined) {
        problems.push({
          field: 'billingCode',
          message: `Billing code ${code} allows ${money(quota.maxMonthlyCost, currency)} a month, and size ${launch.productId} has no known price, so the launch cannot be checked against it.`,
        });
      } else {
        const adding = round2(price * HOURS_PER_MONTH * count);
        figures.monthlyCost = { current, adding, max: quota.maxMonthlyCost, currency };
        if (current + adding > quota.maxMonthlyCost + 1e-9) {
          problems.push({
            field: 'billingCode',
            message:
              `Billing code ${code} allows ${money(quota.maxMonthlyCost, currency)} a month; its servers cost ${money(current, currency)} ` +
              `and this launch adds ${money(adding, currency)} (${money(current + adding, currency)}).`,
          });
        }
      }
    }
    return { quota: figures, problems };
  }

  private listServers(options: RetryOptions = {}): Promise<Server[]> {
    return this.retry(() => this.deps.provider.listServers(), { operation: 'listing servers', ...options });
  }

  private retry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
    return withRetry(call, this.deps.retry, options);
  }
}

/** A server's billing code: the provider's field, its tag, or the local store's record. */
export function billingCodeOf(server: Server, local?: Map<string, ServerRecord>): string | undefined {
  return server.billingCode || server.tags?.[BILLING_TAG] || local?.get(server.id)?.billingCode || undefined;
}

/** A server's group: the provider's field, its tag, or the local store's record. */
export function groupOf(server: Server, local?: Map<string, ServerRecord>): string | undefined {
  return server.group || server.tags?.[GROUP_TAG] || local?.get(server.id)?.group || undefined;
}

export function monthlyCost(hourlyPrice: number, count = 1): number {
  return round2(hourlyPrice * HOURS_PER_MONTH * count);
}

export function money(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

class Names {
  private readonly map = new Map<string, NameSource[]>();
  add(name: string, source: NameSource): void {
    const sources = this.map.get(name) ?? [];
    if (!sources.includes(source)) sources.push(source);
    this.map.set(name, sources);
  }
  list(): KnownName[] {
    return [...this.map.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, sources]) => ({ name, sources }));
  }
}
