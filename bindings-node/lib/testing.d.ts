import { PassFort, PassFortOptions } from './index'

export interface EmulatorOptions {
  apiKey?: string
  webhookSecret?: string
  syncTimeoutMs?: number
  providerLatencyMs?: number
}

export interface FaultRule {
  method: string
  /** `*` matches one segment, e.g. '/4.0/profiles/*\/checks'. */
  path: string
  action: 'status' | 'delay' | 'drop_before' | 'drop_after_commit'
  times?: number
  status?: number
  delayMs?: number
  headers?: Record<string, string>
}

/** The Rust PassFort emulator, inside this process. */
export declare class Emulator {
  /** Use `Emulator.start()`. */
  private constructor()
  static start(options?: EmulatorOptions): Promise<Emulator>
  readonly url: string
  readonly baseUrl: string
  readonly apiKey: string
  readonly webhookSecret: string | undefined
  client(options?: PassFortOptions): PassFort
  script(profileId: string, checkType: string, results: string[], options?: { latencyMs?: number }): void
  fault(rule: FaultRule): Record<string, unknown>
  clearFaults(): void
  checks(): Array<Record<string, unknown>>
  requests(): Array<Record<string, unknown>>
  webhookDeliveries(): Array<Record<string, unknown>>
  setWebhook(url: string | null, options?: { secret?: string; batching?: boolean }): void
  configure(options?: { syncTimeoutMs?: number; providerLatencyMs?: number }): void
  reset(): void
  close(): Promise<void>
}
