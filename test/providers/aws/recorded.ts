// Recorded EC2 responses for the aws provider's unit tests. The fixtures are JSON in the shape the SDK
// returns (the EC2 API's field names); timestamps the SDK turns into Date objects are revived here, so the
// mapping sees exactly what it sees at run time. RecordedEc2 answers the provider's one seam (Ec2Api.call)
// from a script of handlers and keeps every call, so a test can assert what was asked of EC2.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ec2Api } from '../../../source/providers/aws/index.js';

/** Fields the SDK deserialises as Date (EC2's xsd:dateTime "timestamp" members); others stay strings. */
const DATE_FIELDS = new Set(['LaunchTime', 'CreateTime', 'ImpairedSince', 'NotBefore', 'NotAfter', 'NotBeforeDeadline', 'AttachTime', 'Timestamp', 'UsageOperationUpdateTime']);

export function fixture<T = any>(name: string): T {
  const text = readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8');
  return JSON.parse(text, (key, value) => (DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value)) as T;
}

export interface Call {
  action: string;
  input: any;
}

export type Handler = (input: any, calls: Call[]) => unknown;

/** An SDK-shaped service error, as the SDK throws it (name = the EC2 error code). */
export function ec2Error(code: string, message = `${code} (recorded)`, status = 400): Error {
  return Object.assign(new Error(message), {
    name: code,
    Code: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'b0d2f1e4-0000-4000-8000-000000000000', attempts: 1 },
  });
}

export class RecordedEc2 implements Ec2Api {
  readonly calls: Call[] = [];
  closed = false;

  constructor(
    private readonly handlers: Record<string, Handler | unknown>,
    private readonly regionName = 'eu-west-1',
    private readonly offsetMs = 0,
  ) {}

  async call<T>(action: string, input: object): Promise<T> {
    const copy = structuredClone(input);
    this.calls.push({ action, input: copy });
    const handler = this.handlers[action];
    if (handler === undefined) throw new Error(`RecordedEc2: no recorded answer for ${action}`);
    // An Error is thrown as recorded (structuredClone would drop the SDK's $metadata and name).
    const answer = typeof handler === 'function' ? (handler as Handler)(copy, this.calls) : handler instanceof Error ? handler : structuredClone(handler);
    if (answer instanceof Error) throw answer;
    return answer as T;
  }

  async region(): Promise<string> {
    return this.regionName;
  }

  clockOffsetMs(): number {
    return this.offsetMs;
  }

  close(): void {
    this.closed = true;
  }

  of(action: string): Call[] {
    return this.calls.filter((c) => c.action === action);
  }
}
