/**
 * `typevisor … | head` closes the pipe early: that is the reader saying it
 * has enough, not an error worth a stack trace. An EPIPE on stdout or stderr
 * ends the process quietly with the exit status it had; any other stream
 * error is thrown as before.
 *
 * The handler joins each stream when something first uses it, not at
 * startup. Node makes process.stdout and process.stderr on first use, and
 * making one loads Node's tty module (a terminal) or net (a pipe) and its
 * streams — ~4 ms of CPU per run (process.resourceUsage, median of 20) that
 * a command writing with fs.writeSync alone, as `run` does, never needs.
 */

function onStreamError(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
}

/** Install the EPIPE handler on process.stdout and process.stderr, each as it is made. */
export function exitQuietlyOnClosedPipe(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const make = Object.getOwnPropertyDescriptor(process, name)?.get;
    if (make === undefined) {
      process[name].on('error', onStreamError); // already a plain value: nothing to wait for
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: true,
      get(): NodeJS.WriteStream {
        const stream = make.call(process) as NodeJS.WriteStream;
        Object.defineProperty(process, name, { configurable: true, enumerable: true, writable: false, value: stream });
        stream.on('error', onStreamError);
        return stream;
      },
    });
  }
}
