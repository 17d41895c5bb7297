// Image folders that used to lose data without a word or hang: a class folder that is a link
// (skipped silently), a single class (exit 13, no message), images that are FIFOs or /dev/zero
// (hung, or grew without bound). Each is one line naming the folder or file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_CONFIG, corpus } from './harness.js';

const config = BASE_CONFIG.replace(/dataset: \{[^}]*\}/, 'dataset: { name: image_folder, root: imgs, image_size: 8, workers: 1, batch_size: 2 }');
const images = (split: string, classes: readonly string[]): Record<string, string> =>
  Object.fromEntries(classes.flatMap((cls) => [0, 1].map((i) => [`imgs/${split}/${cls}/${i}.JPEG`, 'not an image'])));

corpus('image folders (links and special files)', [
  {
    title: 'a class folder that is a symbolic link (was skipped without a word)',
    files: { ...images('train', ['cat']), ...images('val', ['cat', 'dog']), ...images('elsewhere', ['dog']), 'c.yaml': config },
    setup: (dir) => {
      symlinkSync(join(dir, 'imgs', 'elsewhere', 'dog'), join(dir, 'imgs', 'train', 'dog'));
      return ['train', '-c', 'c.yaml'];
    },
    message: /^imgs\/train\/dog: class folder is a symbolic link; vdm reads only real folders here/,
  },
  {
    title: 'an image folder with one class (exit 13, no message)',
    files: { ...images('train', ['cat']), ...images('val', ['cat']), 'c.yaml': config },
    args: ['train', '-c', 'c.yaml'],
    message: /^imgs\/train: only one class folder \(cat\); a classifier needs at least two/,
  },
  {
    title: 'images that are FIFOs or /dev/zero (hung, or grew without bound)',
    files: { ...images('val', ['cat', 'dog']), 'c.yaml': config },
    setup: (dir) => {
      for (const cls of ['cat', 'dog']) mkdirSync(join(dir, 'imgs', 'train', cls), { recursive: true });
      execFileSync('mkfifo', [join(dir, 'imgs/train/cat/0.JPEG'), join(dir, 'imgs/train/dog/0.JPEG')]);
      symlinkSync('/dev/zero', join(dir, 'imgs/train/cat/1.JPEG'));
      symlinkSync('/dev/zero', join(dir, 'imgs/train/dog/1.JPEG'));
      writeFileSync(join(dir, 'keep'), '');
      return ['train', '-c', 'c.yaml'];
    },
    mayChange: ['results'],
    warnings: /^warning: skipping unreadable image imgs\/train\/.*(FIFO|character device)/,
    message: /none of the 4 images in imgs\/train could be read/,
  },
]);
