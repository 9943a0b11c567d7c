import { z } from 'zod';
import { SECRET_REF, secretRefSchema } from '../secrets/secret-ref.js';
import { DEFAULT_HIGH_RISK_TOOLS } from './anomaly.js';

const severity = z.enum(['info', 'warning', 'critical']);
const burst = (count: number, windowSeconds: number) =>
  z
    .strictObject({
      /** Events inside the window that make an alert. */
      count: z.number().int().positive().default(count),
      windowSeconds: z.number().positive().default(windowSeconds),
    })
    .prefault({});

const webhookSchema = z.strictObject({
  /** The webhook URL, or a secret reference to it (Slack webhook URLs are secrets). */
  url: z.union([secretRefSchema, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or a secret reference' })]),
  format: z.enum(['json', 'slack']).default('json'),
  minSeverity: severity.default('warning'),
  /** Header values are secret references. */
  headers: z.record(z.string().min(1), secretRefSchema).default({}),
});

/** The `telemetry:` section of clawguard.yaml. */
export const telemetryConfigSchema = z
  .strictObject({
    metrics: z
      .strictObject({
        /** Serve Prometheus metrics on the admin listener. */
        enabled: z.boolean().default(true),
        path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/).default('/metrics'),
        /** Node.js process metrics (CPU, memory, event loop). */
        defaultMetrics: z.boolean().default(true),
        /** Distinct principals as label values before the rest count as `other`. */
        principalLabelLimit: z.number().int().positive().default(1000),
        /** Require the admin key for /metrics (off: scrapers on a private network need no key). */
        requireAuth: z.boolean().default(false),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        webhooks: z.array(webhookSchema).default([]),
        dedupWindowSeconds: z.number().positive().default(300),
        maxPerMinute: z.number().int().positive().default(20),
        rules: z
          .strictObject({
            injectionBurst: burst(5, 60),
            authFailureBurst: burst(20, 60),
            guardFailures: burst(3, 300),
          })
          .prefault({}),
      })
      .prefault({}),
    anomaly: z
      .strictObject({
        enabled: z.boolean().default(true),
        bucketSeconds: z.number().int().positive().default(60),
        alpha: z.number().gt(0).lt(1).default(0.05),
        warmupBuckets: z.number().int().positive().default(30),
        zThreshold: z.number().positive().default(6),
        minRatio: z.number().min(1).default(5),
        minimums: z
          .strictObject({
            requests: z.number().nonnegative().optional(),
            tokens: z.number().nonnegative().optional(),
            blockRate: z.number().min(0).max(1).optional(),
            errorRate: z.number().min(0).max(1).optional(),
            distinctTools: z.number().nonnegative().optional(),
          })
          .prefault({}),
        highRiskTools: z.array(z.string().min(1)).default([...DEFAULT_HIGH_RISK_TOOLS]),
      })
      .prefault({}),
  })
  .prefault({});

export type TelemetryConfig = z.output<typeof telemetryConfigSchema>;

export const isSecretRef = (value: string): boolean => SECRET_REF.test(value);
