// Indexes an image-folder data set (torchvision's ImageFolder layout: <split>/<class>/<image>),
// with class index = position of the folder name in the sorted training folders.
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DataError } from '../../errors.js';

/** What sharp can decode among torchvision's image extensions, compared case-insensitively. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

export interface FolderSplit {
  readonly dir: string;
  readonly files: string[];
  readonly labels: Int32Array;
}

export interface FolderIndex {
  readonly classNames: string[];
  readonly train: FolderSplit;
  readonly test: FolderSplit;
}

/** Plain code-point order, as Python's sorted() gives torchvision. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A link to a plain file (a README beside the classes) is no class; one to a folder, or to nowhere, may be. */
function linksToFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function classFolders(dir: string): Promise<string[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataError(`${dir} not found; expected the layout ${dir}/<class>/<image>.JPEG`);
  }
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  // A link is not followed (it could lead anywhere, or round in a loop), and skipping it quietly
  // would drop a class: it is reported.
  const link = entries.find((e) => e.isSymbolicLink() && !linksToFile(join(dir, e.name)));
  if (link) {
    throw new DataError(`${join(dir, link.name)}: class folder is a symbolic link; vdm reads only real folders here (move or copy the folder in place of the link)`);
  }
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(byCodePoint);
}

async function imagesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => !e.isDirectory() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(dir, e.name))
    .sort(byCodePoint);
  if (files.length === 0) {
    throw new DataError(`${dir}: class folder has no images (${[...IMAGE_EXTENSIONS].join(' ')})`);
  }
  return files;
}

async function scanSplit(dir: string, classNames: string[]): Promise<FolderSplit> {
  const folders = await classFolders(dir);
  const unknown = folders.filter((f) => !classNames.includes(f));
  if (unknown.length > 0) {
    throw new DataError(`${dir}: class folders ${unknown.slice(0, 5).join(', ')} are not among the training classes`);
  }
  if (folders.length === 0) throw new DataError(`${dir}: no class folders; expected ${dir}/<class>/<image>.JPEG`);
  const files: string[] = [];
  const labels: number[] = [];
  for (const folder of folders) {
    const images = await imagesIn(join(dir, folder));
    const label = classNames.indexOf(folder);
    for (const image of images) {
      files.push(image);
      labels.push(label);
    }
  }
  return { dir, files, labels: Int32Array.from(labels) };
}

export async function scanImageFolder(root: string, trainDir: string, testDir: string): Promise<FolderIndex> {
  const trainPath = join(root, trainDir);
  const classNames = await classFolders(trainPath);
  if (classNames.length === 0) throw new DataError(`${trainPath}: no class folders; expected ${trainPath}/<class>/<image>.JPEG`);
  if (classNames.length === 1) {
    throw new DataError(`${trainPath}: only one class folder (${classNames[0]}); a classifier needs at least two, as ${trainPath}/<class>/<image>.JPEG`);
  }
  const train = await scanSplit(trainPath, classNames);
  const test = await scanSplit(join(root, testDir), classNames);
  return { classNames, train, test };
}
