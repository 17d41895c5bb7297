// Exit-time callbacks: the few synchronous writes that must happen even when the process is
// made to quit at once (a second Ctrl-C), such as marking run.json 'interrupted'.

type ExitCallback = () => void;

const callbacks = new Set<ExitCallback>();

/** Registers a synchronous callback for an immediate exit; returns its unregistration. */
export function onImmediateExit(callback: ExitCallback): () => void {
  callbacks.add(callback);
  return () => void callbacks.delete(callback);
}

/**
 * Runs every registered callback once, newest first, and forgets them. A failing callback must not
 * stop the others or the exit that follows, so its error is only reported.
 */
export function runImmediateExitCallbacks(report: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): void {
  const pending = [...callbacks].reverse();
  callbacks.clear();
  for (const callback of pending) {
    try {
      callback();
    } catch (error) {
      report(`vdm: warning: while quitting: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
