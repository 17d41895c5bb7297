// What the Kubernetes API accepts as names and quantities, checked before a manifest is written
// (a manifest `kubectl apply` refuses is found out too late), and the Job names vdm gives.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { UsageError } from '../errors.js';

/** RFC 1123 label: namespaces, and pod host names (`<job>-<completion index>`). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_MAX = 63;

export const isDnsLabel = (name: string) => name.length <= LABEL_MAX && DNS_LABEL.test(name);

/** RFC 1123 subdomain: dot-separated labels, at most 253 characters (claim names). */
export const isDnsSubdomain = (name: string) => name.length <= 253 && name.split('.').every(isDnsLabel);

/**
 * A resource quantity as io.k8s.apimachinery.pkg.api.resource.Quantity parses it: a positive
 * decimal and one suffix, binary (Ki..Ei), decimal (n, u, m, k, M..E) or an exponent (e3).
 */
const QUANTITY = /^\+?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
export const isQuantity = (text: string) => QUANTITY.test(text) && Number.parseFloat(text.replace(/^\+/, '')) > 0;
/** The CPU quantities people write (4, 1.5, 500m); the API takes any quantity, but 2Gi CPUs is a slip. */
export const isCpuQuantity = (text: string) => /^(\d+\.?\d*|\.\d+|\d+m)$/.test(text) && Number.parseFloat(text) > 0;

export interface KubernetesFlags {
  /** Container image with vdm installed (its entry point: `vdm`). */
  readonly image?: string;
  readonly namespace?: string;
  /** PersistentVolumeClaim holding the results; mounted where the experiment writes them. */
  readonly pvc?: string;
  /** A Kubernetes quantity, e.g. 8Gi. */
  readonly memory?: string;
  /** CPUs: a whole number, a decimal (1.5) or millicores (500m); a string from the command line. */
  readonly cpus?: number | string;
  /** Failed pods tolerated per index before the index counts as failed. */
  readonly retries?: number;
  /** Folder in the container that relative paths (experiment file, output) resolve against. */
  readonly workdir?: string;
}

/** Every flag the manifest carries, as the API would check it; the first problem is a UsageError. */
export function checkKubernetesFlags(flags: KubernetesFlags): void {
  const fail = (message: string): never => {
    throw new UsageError(message);
  };
  if (!flags.image) fail('--on k8s needs --image <image with vdm installed>');
  if (/\s/.test(flags.image!)) fail(`--image '${flags.image}': an image reference has no spaces`);
  if (flags.namespace !== undefined && !isDnsLabel(flags.namespace)) {
    fail(`--namespace '${flags.namespace}' is not a Kubernetes namespace name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`);
  }
  if (flags.pvc !== undefined && !isDnsSubdomain(flags.pvc)) {
    fail(`--pvc '${flags.pvc}' is not a PersistentVolumeClaim name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters`);
  }
  if (flags.memory !== undefined && !isQuantity(flags.memory)) {
    fail(`--memory '${flags.memory}' is not a Kubernetes quantity: a number and a suffix such as 512Mi, 16Gi or 16G (not 16GB)`);
  }
  if (flags.cpus !== undefined && !isCpuQuantity(String(flags.cpus))) {
    fail(`--cpus '${flags.cpus}' is not a Kubernetes CPU quantity: a whole number (4), a decimal (1.5) or millicores (500m), above 0`);
  }
  if (flags.retries !== undefined && !(Number.isInteger(flags.retries) && flags.retries >= 0)) {
    fail(`--retries must be a whole number >= 0 (failed pods tolerated per run), got ${flags.retries}`);
  }
  if (flags.workdir !== undefined && !posix.isAbsolute(flags.workdir)) {
    fail(`--workdir '${flags.workdir}' must be an absolute path in the container, e.g. /work`);
  }
}

/** 6 hex digits of what the runs train: two experiments whose resolved configs differ never share a Job name. */
export function configHash(configs: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(configs)).digest('hex').slice(0, 6);
}

/** The suffix of the controls' Job name (README: "Running on a cluster"). */
export const CONTROLS_SUFFIX = 'controls';

export interface JobNames {
  /** The plain runs' Job. */
  readonly runs: string;
  /** The controls' Job (same stem). */
  readonly controls: string;
  /** The stem without `vdm-`: the `vdm/experiment` label. */
  readonly label: string;
}

/**
 * `vdm-<experiment>-<hash>` and `...-<hash>-controls`, the experiment part cut so that every pod
 * host name, `<job name>-<largest completion index>`, is a DNS label too.
 */
export function jobNames(experiment: string, hash: string, largestIndex: number): JobNames {
  const room = LABEL_MAX - `vdm--${hash}-${CONTROLS_SUFFIX}-${largestIndex}`.length;
  const cleaned = experiment.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '');
  const stem = cleaned.slice(0, room).replace(/-+$/, '');
  const label = stem ? `${stem}-${hash}` : hash;
  return { runs: `vdm-${label}`, controls: `vdm-${label}-${CONTROLS_SUFFIX}`, label };
}
