/**
 * Rows for a timeline: each running episode takes the lowest free lane and gives it back when it
 * ends, so a timeline has as many rows as episodes ever ran at once, and a gap in a row is an
 * episode slot left idle.
 */
export class EpisodeLanes {
  private readonly busy: boolean[] = [];

  acquire(): number {
    let lane = this.busy.indexOf(false);
    if (lane === -1) lane = this.busy.length;
    this.busy[lane] = true;
    return lane;
  }

  release(lane: number): void {
    this.busy[lane] = false;
  }
}
