// log.txt: the console output of one run, kept in its folder. Lines logged before the folder is
// claimed (the backend line) wait in memory; each process start adds a header, so a resumed run's
// file reads as one history.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { appendToFile, assertWritableFile } from '../files/safeWrite.js';

export const LOG_FILE = 'log.txt';

export interface ConsoleLog {
  /** Writes to the console and (once opened) to log.txt. */
  readonly log: (line: string) => void;
  /** Writes to log.txt only: what the console shows another way (live progress bars). */
  readonly fileOnly: (line: string) => void;
  /** Starts writing into the run folder: the header, then the lines held back so far. */
  open(runDir: string, how: string, command: readonly string[]): void;
}

/**
 * A tee of `console` into the run folder's log.txt. A failed write to log.txt is not worth
 * failing a run for (metrics.csv and the checkpoint are the results): it stops the file copy and
 * says so once on the console.
 */
export function consoleLog(console: (line: string) => void): ConsoleLog {
  let path: string | undefined;
  let broken = false;
  let held: string[] = [];
  const toFile = (line: string) => {
    if (broken) return;
    if (path === undefined) {
      held.push(line);
      return;
    }
    try {
      appendToFile(path, `${line}\n`);
    } catch (error) {
      broken = true;
      console(`${LOG_FILE} not written further: ${(error as Error).message}`);
    }
  };
  return {
    log(line) {
      console(line);
      toFile(line);
    },
    fileOnly: (line) => toFile(line),
    open(runDir, how, command) {
      path = join(runDir, LOG_FILE);
      // A link or FIFO planted at log.txt refuses the run (one line naming it); it is not a write error.
      assertWritableFile(path);
      const lines = held;
      held = [];
      toFile(`==== ${new Date().toISOString()} ${how}: ${command.join(' ')} (pid ${process.pid} on ${hostname()}) ====`);
      lines.forEach(toFile);
    },
  };
}
