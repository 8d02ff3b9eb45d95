// EC2 (and AWS SDK) errors as the typed errors of the provider contract. Pure: no SDK import, so it is
// cheap to load and test; SDK errors are recognised by shape (name, $fault, $metadata), not by class.
//
// What never goes into a message: request or response bodies. An EC2 error message is text from the
// response body and can quote what the request carried (a tag value, a key, user data), so every message
// here is strata's own sentence. The provider's code, HTTP status and request id go to `detail`; the
// provider's message goes there too, shortened and with long base64-like runs cut out (key material,
// encoded authorization messages). The SDK error is not attached as `cause` either: it carries the raw
// HTTP response.
import { StrataError, type ErrorKind } from '../../core/errors.js';
import { KNOWN_REGIONS } from './mapping.js';

export interface AwsErrorContext {
  /** The EC2 action that was refused, e.g. "RunInstances" (named in AuthFailed messages as ec2:RunInstances). */
  action: string;
  /** What strata was doing, in words: "listing images". */
  doing?: string;
  /** The profile in use, for the `aws sso login --profile …` advice. */
  profile?: string;
  region?: string;
  /**
   * Per call: error codes (exact, or a prefix ending in ".") that mean a bad field of the caller's input.
   * They become Invalid with that field, e.g. { 'InvalidAMIID.': 'imageId' } for a launch.
   */
  fields?: Record<string, string>;
  /** Per call: error codes that mean the thing already exists, e.g. InvalidGroup.Duplicate. */
  conflicts?: string[];
  /** The EC2-compatible endpoint in use and where it was set, so a connection that fails there is named. */
  endpoint?: { url: string; from: string };
}

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException', 'SlowDown']);
const AUTH = new Set(['UnauthorizedOperation', 'AuthFailure', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'SignatureDoesNotMatch', 'OptInRequired', 'Blocked', 'InvalidAccessKeyId', 'MissingAuthenticationToken', 'UnrecognizedClientException']);
const NOT_FOUND_PREFIXES = ['InvalidAMIID.', 'InvalidInstanceID.', 'InvalidGroupId.'];
const NOT_FOUND = new Set(['InvalidKeyPair.NotFound', 'InvalidGroup.NotFound', 'InvalidSnapshot.NotFound', 'InvalidVolume.NotFound', 'InvalidInstanceType']);
const INVALID = new Set(['InvalidParameterValue', 'InvalidParameterCombination', 'MissingParameter', 'InvalidParameter', 'ValidationError', 'InvalidInput', 'InvalidAMIName.Malformed', 'InvalidKey.Format', 'InvalidUserData.Malformed', 'InvalidBlockDeviceMapping', 'InvalidPermission.Malformed', 'InvalidTagKey.Malformed', 'TagLimitExceeded', 'InstanceLimitExceeded', 'VcpuLimitExceeded', 'MaxSpotInstanceCountExceeded', 'InvalidGroup.Reserved', 'IncorrectInstanceState', 'IncorrectState', 'InvalidState', 'InvalidAMIName.Duplicate', 'InvalidClientToken']);
const CONFLICT = new Set(['IdempotentParameterMismatch', 'InvalidKeyPair.Duplicate', 'InvalidGroup.Duplicate', 'InvalidPermission.Duplicate', 'DependencyViolation', 'ResourceInUse']);
const UNSUPPORTED = new Set(['UnsupportedOperation', 'Unsupported', 'OperationNotPermitted', 'InvalidRequest']);
const TRANSIENT = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'InsufficientInstanceCapacity', 'InsufficientAddressCapacity', 'InsufficientCapacity', 'RequestExpired', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError', 'PriorRequestNotComplete']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

interface ErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  /** Node's network errors: the host that did not resolve, the address that refused. */
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The provider's message for a detail view: one line, at most 300 characters, long opaque runs cut out. */
export function scrubProviderMessage(message: string): string {
  return message
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[A-Za-z0-9+/=_-]{40,}/g, '[…]')
    .slice(0, 300);
}

function codeOf(error: ErrorShape): string | undefined {
  return str(error.Code) ?? str(error.name) ?? str(error.code);
}

/** The EC2 error code of an SDK error ("DryRunOperation", "UnauthorizedOperation", …), where it has one. */
export function awsErrorCode(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' ? codeOf(error as ErrorShape) : undefined;
}

/** The SSO advice: SSO sessions expire (typically after 8 to 12 hours) and are renewed in a browser. */
function isSsoExpiry(message: string): boolean {
  return /\bSSO\b/i.test(message) && /(expired|invalid|not found|refresh|sso login)/i.test(message);
}

function ssoProfile(message: string, context: AwsErrorContext): string {
  const fromMessage = /profile[= ]"?([A-Za-z0-9._@+-]+)/.exec(message)?.[1];
  return context.profile ?? fromMessage ?? process.env.AWS_PROFILE ?? 'default';
}

function matches(code: string, keys: Iterable<string>): string | undefined {
  for (const key of keys) {
    if (key.endsWith('.') ? code.startsWith(key) : code === key) return key;
  }
  return undefined;
}

/** Maps any error from the SDK (or the network below it) to a StrataError. A StrataError passes through. */
export function mapAwsError(error: unknown, context: AwsErrorContext): StrataError {
  if (error instanceof StrataError) return error;
  const shape: ErrorShape = error !== null && typeof error === 'object' ? (error as ErrorShape) : { message: String(error) };
  const code = codeOf(shape) ?? 'Error';
  const rawMessage = str(shape.message) ?? '';
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  const requestId = str(shape.$metadata?.requestId);
  const detail = [
    `ec2:${context.action}`,
    code,
    status !== undefined ? `HTTP ${status}` : undefined,
    requestId ? `request ${requestId}` : undefined,
    rawMessage ? scrubProviderMessage(rawMessage) : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const doing = context.doing ? `${context.doing[0].toUpperCase()}${context.doing.slice(1)}` : `Calling ec2:${context.action}`;
  const where = context.region ? ` in ${context.region}` : '';
  const make = (kind: ErrorKind, message: string, field?: string) => new StrataError(kind, message, { detail, field });

  // Credentials that never reached AWS: the SDK's own providers (SSO, profiles, the default chain).
  if (code === 'TokenProviderError' || code === 'CredentialsProviderError' || isSsoExpiry(rawMessage)) {
    if (isSsoExpiry(rawMessage)) {
      const profile = ssoProfile(rawMessage, context);
      return make('AuthFailed', `the AWS SSO session of profile "${profile}" has expired or is missing; run \`aws sso login --profile ${profile}\` and try again.`);
    }
    return make('AuthFailed', noCredentials(context));
  }

  // A region EC2 does not have, or an endpoint that does not answer: said as such, not as "try again".
  const regionProblem = unknownRegion(shape, code, rawMessage, status, context);
  if (regionProblem) return make('Invalid', regionProblem, 'region');
  const errno = str(shape.code) ?? code;
  const fromService = shape.$fault !== undefined || status !== undefined;
  if (NETWORK_CODES.has(errno) || (!fromService && /socket|network|timed? ?out|ECONN|ENOTFOUND/i.test(`${code} ${rawMessage}`))) {
    return networkProblem(errno, shape, context, make);
  }

  const fieldKey = context.fields ? matches(code, Object.keys(context.fields)) : undefined;
  if (fieldKey !== undefined) {
    return make('Invalid', invalidSentence(code, context, doing, where), context.fields![fieldKey]);
  }
  if (context.conflicts?.includes(code) || CONFLICT.has(code)) {
    if (code === 'IdempotentParameterMismatch') {
      return make('Conflict', `${doing} was refused: its client token was already used for a different request${where}; a new launch needs a new token.`);
    }
    return make('Conflict', `${doing} was refused: it already exists${where} (${code}).`);
  }
  if (THROTTLING.has(code) || status === 429) {
    return make('Throttled', `AWS is throttling ec2:${context.action}${where}.`);
  }
  if (AUTH.has(code)) {
    switch (code) {
      case 'UnauthorizedOperation':
        return make('AuthFailed', `the credentials${profileText(context)} are not allowed to call ec2:${context.action}${where}; ask for that permission in the IAM policy.`);
      case 'ExpiredToken':
      case 'ExpiredTokenException':
        return make('AuthFailed', `the session token${profileText(context)} has expired (refused ec2:${context.action}); renew the credentials and try again.`);
      case 'InvalidClientTokenId':
      case 'InvalidAccessKeyId':
        return make('AuthFailed', `AWS does not know the access key${profileText(context)} (refused ec2:${context.action}); check the profile's credentials.`);
      case 'OptInRequired':
        return make('AuthFailed', `the account is not subscribed to ec2:${context.action}${where} (the region may need to be enabled).`);
      default:
        return make('AuthFailed', `AWS refused the credentials${profileText(context)} for ec2:${context.action}${where} (${code}).`);
    }
  }
  if (matches(code, NOT_FOUND_PREFIXES) !== undefined || NOT_FOUND.has(code)) {
    return make('NotFound', `${doing} failed: ${notFoundWhat(code)} does not exist${where}.`);
  }
  if (INVALID.has(code)) {
    return make('Invalid', invalidSentence(code, context, doing, where));
  }
  if (UNSUPPORTED.has(code)) {
    return make('Unsupported', `${doing} is not possible${where}: AWS does not support it here (${code}).`);
  }
  if (TRANSIENT.has(code) || shape.$fault === 'server' || (status !== undefined && status >= 500)) {
    return make('Transient', `AWS could not complete ec2:${context.action}${where} just now (${code}); it can be retried.`);
  }
  if (shape.$fault === 'client' || (status !== undefined && status >= 400)) {
    return make('Invalid', invalidSentence(code, context, doing, where));
  }
  return make('Transient', `ec2:${context.action}${where} failed unexpectedly (${code}).`);
}

/** Where the SDK reads profiles from (its own defaults, or the files the environment names). */
function profileFiles(): { config: string; credentials: string } {
  return { config: process.env.AWS_CONFIG_FILE || '~/.aws/config', credentials: process.env.AWS_SHARED_CREDENTIALS_FILE || '~/.aws/credentials' };
}

/** No credentials anywhere the SDK looks (its default chain), or none for the profile asked for. */
function noCredentials(context: AwsErrorContext): string {
  const files = profileFiles();
  const profile = context.profile ?? (process.env.AWS_PROFILE || undefined);
  if (profile !== undefined) {
    return `no AWS credentials were found for profile "${profile}" in ${files.config} or ${files.credentials}; see \`aws configure list-profiles\`, or run \`aws configure --profile ${profile}\` (or \`aws sso login --profile ${profile}\`).`;
  }
  return `no AWS credentials were found (the SDK looked at AWS_ACCESS_KEY_ID, ${files.credentials}, ${files.config}, SSO, instance role); run \`aws configure\`, or \`aws sso login --profile NAME\` and use --profile NAME or AWS_PROFILE.`;
}

/** The closest region strata knows, when the given one looks like a typo of it. */
function closestRegion(region: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN_REGIONS) {
    const distance = editDistance(region.toLowerCase(), known);
    if (distance < bestDistance) [best, bestDistance] = [known, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

const LIST_REGIONS = '`aws ec2 describe-regions --output table` lists them';

/**
 * A region EC2 does not have: its endpoint name does not resolve (ec2.eu-westt-1.amazonaws.com), the SDK
 * refuses the name, or an EC2-compatible endpoint fails every call in a region strata does not know.
 */
function unknownRegion(shape: ErrorShape, code: string, message: string, status: number | undefined, context: AwsErrorContext): string | undefined {
  const region = context.region;
  if (/Region not accepted|not a valid hostname component/i.test(message)) {
    return `"${scrubProviderMessage(region ?? /region="([^"]*)"/.exec(message)?.[1] ?? '').slice(0, 40)}" is not a region name (e.g. eu-west-1); pass --region with a real one (${LIST_REGIONS}).`;
  }
  if (region === undefined || KNOWN_REGIONS.includes(region)) return undefined;
  const guess = closestRegion(region);
  const named = scrubProviderMessage(region).slice(0, 40);
  const meant = guess ? ` Did you mean ${guess}?` : '';
  const hostname = str(shape.hostname);
  if (!context.endpoint && str(shape.code) === 'ENOTFOUND' && hostname?.includes(`.${region}.`)) {
    return `EC2 has no region "${named}": ${hostname} does not resolve.${meant} Pass --region with a real one; ${LIST_REGIONS}.`;
  }
  if (context.endpoint && (shape.$fault === 'server' || (status !== undefined && status >= 500))) {
    return `${shownUrl(context.endpoint.url)} fails in "${named}" (HTTP ${status ?? code}), a region strata does not know.${meant} Pass --region with one the endpoint has.`;
  }
  return undefined;
}

/** An endpoint as shown in a sentence: scheme, host, port and path, never a user:password part. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return scrubProviderMessage(`${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`);
  } catch {
    return scrubProviderMessage(url.replace(/\/\/[^/@]*@/, '//')).slice(0, 80);
  }
}

/** A request that never reached EC2: the endpoint strata was pointed at, or the network on the way. */
function networkProblem(errno: string, shape: ErrorShape, context: AwsErrorContext, make: (kind: ErrorKind, message: string, field?: string) => StrataError): StrataError {
  const where = context.region ? ` in ${context.region}` : '';
  if (context.endpoint) {
    const at = `${shownUrl(context.endpoint.url)} (${context.endpoint.from})`;
    if (errno === 'ECONNREFUSED') return make('Transient', `nothing answers at ${at}: connection refused; start the EC2 endpoint there, or fix the URL.`);
    if (errno === 'ENOTFOUND') return make('Invalid', `the host of ${at} does not resolve (ENOTFOUND); fix the URL.`, 'endpoint');
    return make('Transient', `${at} did not answer ec2:${context.action} (${errno}); is the endpoint up, and the URL right?`);
  }
  const hostname = str(shape.hostname);
  const address = str(shape.address);
  const host = hostname ?? (address ? `${address}${typeof shape.port === 'number' ? `:${shape.port}` : ''}` : undefined);
  if (errno === 'ENOTFOUND' && host) return make('Transient', `${host} does not resolve (ENOTFOUND): is this machine online, and its DNS working? It can be retried.`);
  if (errno === 'ECONNREFUSED' && host) return make('Transient', `${host} refused the connection (ECONNREFUSED): is a proxy or firewall in the way? It can be retried.`);
  return make('Transient', `ec2:${context.action}${where} did not get through the network (${errno}); it can be retried.`);
}

function profileText(context: AwsErrorContext): string {
  return context.profile ? ` of profile "${context.profile}"` : '';
}

function notFoundWhat(code: string): string {
  if (code.startsWith('InvalidAMIID.')) return 'the image';
  if (code.startsWith('InvalidInstanceID.')) return 'the server';
  if (code === 'InvalidKeyPair.NotFound') return 'the keypair';
  if (code === 'InvalidGroup.NotFound' || code.startsWith('InvalidGroupId.')) return 'the firewall (security group)';
  if (code === 'InvalidSnapshot.NotFound') return 'the snapshot';
  if (code === 'InvalidVolume.NotFound') return 'the volume';
  if (code === 'InvalidInstanceType') return 'the size (instance type)';
  return 'the resource';
}

const INVALID_SENTENCES: Record<string, string> = {
  'InvalidAMIName.Duplicate': 'an image with this name already exists; image names are unique per account and region',
  'InvalidAMIName.Malformed': 'the image name is not one EC2 accepts',
  'InvalidKey.Format': 'the public key is not in a format EC2 accepts (OpenSSH ssh-rsa, ssh-ed25519 or ecdsa)',
  'InvalidUserData.Malformed': 'the user data is not accepted',
  InstanceLimitExceeded: 'the account has reached its limit of servers',
  VcpuLimitExceeded: 'the account has reached its vCPU limit for this kind of size; ask AWS for a higher limit',
  TagLimitExceeded: 'a resource can hold at most 50 tags',
  IncorrectInstanceState: 'the server is not in a state that allows it',
  IncorrectState: 'the resource is not in a state that allows it',
};

function invalidSentence(code: string, context: AwsErrorContext, doing: string, where: string): string {
  const known = INVALID_SENTENCES[code];
  if (known) return `${doing} was refused${where}: ${known}.`;
  if (code.startsWith('InvalidAMIID.')) return `${doing} was refused${where}: the image does not exist or cannot be used.`;
  if (code === 'InvalidKeyPair.NotFound') return `${doing} was refused${where}: the keypair does not exist.`;
  if (code === 'InvalidGroup.NotFound' || code.startsWith('InvalidGroupId.')) return `${doing} was refused${where}: a firewall (security group) does not exist.`;
  return `${doing} was refused by ec2:${context.action}${where}: a value was not accepted (${code}).`;
}

/** Runs an SDK call and maps whatever it throws. */
export async function withAwsErrors<T>(context: AwsErrorContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapAwsError(error, context);
  }
}
