/**
 * What a daemon that belongs to a fleet (serve --cluster) asks of the fleet,
 * at the moments only the daemon sees: a VM's name taken here, a VM gone from
 * here, and a migration's commit point. A daemon alone has no hooks and does
 * none of this. The fleet's side is hypervisor/cluster/ (above control: the
 * daemon never imports it; the CLI hands the hooks in).
 */
export interface FleetHooks {
  /**
   * A VM named `name` is about to be started or restored here: claim the name
   * fleet-wide. Throws a ControlError (name-taken, unreachable) to refuse.
   */
  claim(vm: { readonly name: string; readonly kernel: string; readonly memSize: number; readonly share: number }): Promise<void>;
  /** The VM was stopped here (or failed to start after its claim). */
  released(name: string): void;
  /**
   * A migration of `name` to the daemon at `to` is about to begin: check the
   * destination is a host of the fleet and read what the commit will swap, so
   * the commit point costs one round trip to the store. Throws to refuse.
   */
  prepare(name: string, to: string): Promise<void>;
  /**
   * A migration of `name` to the daemon at `to` reached its commit point
   * (STATE_ACK received, GO not sent): move its directory entry, or throw to
   * abort — the guest then resumes here and the destination discards its copy.
   */
  commit(name: string, migrationId: string, to: string): Promise<void>;
}
