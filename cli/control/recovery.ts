/**
 * The command that finishes a migration interrupted after its switchover.
 * It names the source daemon with --connect: the recovery is asked of the
 * source, and without it the command would go to the default daemon — the
 * wrong one whenever the source is not 127.0.0.1:7480.
 */
export function recoveryCommand(name: string, source: string, to: string): string {
  return `typevisor migrate ${name} --recover --to ${to} --connect ${source}`;
}
