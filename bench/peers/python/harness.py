"""How every peer script in this folder runs. Each script defines
checksum(*params) and calls main(checksum, defaults) when run as a program:

    python3 fib.py [PARAM ...]          print the checksum (default sizes
                                        unless PARAMs are given)
    python3 fib.py [PARAM ...] --time WARMUPS RUNS MIN_RUNS BUDGET
                                        WARMUPS untimed runs (0 or 1, the
                                        first run's time decides whether it
                                        went over BUDGET), then up to RUNS timed
                                        runs (time.perf_counter around each;
                                        stop early once they add up to more
                                        than BUDGET seconds and MIN_RUNS are
                                        done, or 1 if the warm-up alone took
                                        longer); print the checksum, then
                                        "times T1 T2 ..." in seconds. The
                                        same policy as bench/timing.ts.

Process start and imports stay outside the timed region.
"""

import sys
import time


def main(checksum, defaults):
    args = sys.argv[1:]
    timing = None
    if "--time" in args:
        at = args.index("--time")
        timing = (int(args[at + 1]), int(args[at + 2]), int(args[at + 3]), float(args[at + 4]))
        args = args[:at] + args[at + 5:]
    params = [int(a) for a in args] + list(defaults[len(args):])

    if timing is None:
        print(checksum(*params))
        return
    warmups, runs, min_runs, budget = timing
    result = None
    for _ in range(warmups):
        t0 = time.perf_counter()
        result = checksum(*params)
        if time.perf_counter() - t0 > budget:
            min_runs = 1
    times = []
    for r in range(1, runs + 1):
        t0 = time.perf_counter()
        result = checksum(*params)
        times.append(time.perf_counter() - t0)
        if r >= min_runs and sum(times) > budget:
            break
    print(result)
    print("times " + " ".join(f"{t:.6f}" for t in times))
