// A reader that goes away (`ipcae-run --help | head`) closes the pipe: writes then fail with EPIPE.
// That is the reader's choice, not an error of ours: stop quietly, as other command-line tools do.
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}
