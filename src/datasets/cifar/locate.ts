// Finds a CIFAR copy under a root folder (unpacked folder or the archive itself, binary or
// python format) and reads its files; when there is none, says what was looked for and how to get it.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataError } from '../../errors.js';
import { readTarMembers } from '../tarball.js';
import type { NamedBuffer } from './binary.js';
import { CIFAR_LAYOUTS, CIFAR_MAX_UNPACKED_BYTES, cifarUrl, type CifarFormat, type CifarLayout, type CifarName } from './layout.js';

export type CifarFormatChoice = CifarFormat | 'auto';

export interface CifarLocation {
  readonly layout: CifarLayout;
  readonly kind: 'folder' | 'archive';
  readonly path: string;
}

export interface CifarFiles {
  readonly location: CifarLocation;
  readonly train: NamedBuffer[];
  readonly test: NamedBuffer[];
  readonly meta: Map<string, NamedBuffer>;
}

/** Binary first: it needs no unpickling and is the format `vdm data fetch` gets. */
export function formatsToTry(format: CifarFormatChoice): CifarFormat[] {
  return format === 'auto' ? ['binary', 'python'] : [format];
}

function candidates(root: string, layout: CifarLayout): CifarLocation[] {
  const found: CifarLocation[] = [{ layout, kind: 'folder', path: join(root, layout.folder) }];
  if (basename(root) === layout.folder) found.push({ layout, kind: 'folder', path: root });
  found.push({ layout, kind: 'archive', path: join(root, layout.archive) });
  return found;
}

function exists(location: CifarLocation): boolean {
  if (!existsSync(location.path)) return false;
  const stat = statSync(location.path);
  return location.kind === 'folder' ? stat.isDirectory() : stat.isFile();
}

export function findCifar(root: string, name: CifarName, format: CifarFormatChoice): CifarLocation | undefined {
  for (const f of formatsToTry(format)) {
    const hit = candidates(root, CIFAR_LAYOUTS[name][f]).find(exists);
    if (hit) return hit;
  }
  return undefined;
}

export function missingCifarError(root: string, name: CifarName, format: CifarFormatChoice): DataError {
  const layouts = formatsToTry(format).map((f) => CIFAR_LAYOUTS[name][f]);
  const lookedFor = layouts.flatMap((l) => [`${join(root, l.folder)}/`, join(root, l.archive)]).join(', ');
  const fetchFormat = format === 'python' ? ' --format python' : '';
  return new DataError(
    `${name} not found: looked for ${lookedFor}; get it from ${cifarUrl(layouts[0])} with ` +
      `\`vdm data fetch ${name} --root ${root}${fetchFormat}\` or set dataset.download: true`,
  );
}

async function readFolder(location: CifarLocation, names: readonly string[]): Promise<Map<string, NamedBuffer>> {
  const paths = names.map((n) => join(location.path, n));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new DataError(`${location.path}: incomplete ${location.layout.name} folder, missing ${missing.join(', ')}`);
  }
  const buffers = await Promise.all(paths.map((p) => readCapped(p, location.layout.maxMemberBytes)));
  return new Map(names.map((n, i) => [n, { name: paths[i], data: buffers[i] }]));
}

/** A CIFAR file from a folder, refused before reading when it is not a plain file of a CIFAR file's size. */
async function readCapped(path: string, maxBytes: number): Promise<Buffer> {
  const stat = statSync(path);
  if (!stat.isFile()) throw new DataError(`${path}: not a regular file; expected a CIFAR data file`);
  if (stat.size > maxBytes) {
    throw new DataError(`${path}: ${stat.size} bytes, more than a CIFAR file can be (${maxBytes}); is it the right file?`);
  }
  return readFile(path);
}

async function readArchive(location: CifarLocation, names: readonly string[], signal?: AbortSignal): Promise<Map<string, NamedBuffer>> {
  const members = names.map((n) => `${location.layout.folder}/${n}`);
  const contents = await readTarMembers(location.path, members, {
    memberBytes: location.layout.maxMemberBytes,
    totalBytes: CIFAR_MAX_UNPACKED_BYTES,
  }, signal);
  return new Map(names.map((n, i) => [n, { name: `${location.path}:${members[i]}`, data: contents.get(members[i])! }]));
}

export async function readCifarFiles(location: CifarLocation, signal?: AbortSignal): Promise<CifarFiles> {
  const { trainFiles, testFiles, metaFiles } = location.layout;
  const all = [...trainFiles, ...testFiles, ...metaFiles];
  const files = location.kind === 'folder' ? await readFolder(location, all) : await readArchive(location, all, signal);
  return {
    location,
    train: trainFiles.map((n) => files.get(n)!),
    test: testFiles.map((n) => files.get(n)!),
    meta: new Map(metaFiles.map((n) => [n, files.get(n)!])),
  };
}
