"""A job scheduler: jobs run by deadline; a job may wait on others."""
from .heap import PriorityQueue


class Scheduler:
    def __init__(self):
        self.jobs = {}  # name -> (deadline, set of dependencies)

    def add(self, name, deadline, after=()):
        if name in self.jobs:
            raise ValueError(f"job {name} exists")
        if deadline < 0:
            raise ValueError("deadline must not be negative")
        self.jobs[name] = (deadline, set(after))

    def order(self):
        """Run order: among jobs whose dependencies are done, the earliest deadline first."""
        for name, (_, deps) in self.jobs.items():
            missing = deps - self.jobs.keys()
            if missing:
                raise KeyError(f"{name} waits on unknown jobs {sorted(missing)}")
        waiting = {name: set(deps) for name, (_, deps) in self.jobs.items()}
        ready = PriorityQueue()
        for name, deps in waiting.items():
            if not deps:
                ready.push(name, self.jobs[name][0])
        done = []
        while ready:
            name, _ = ready.pop()
            done.append(name)
            for other, deps in waiting.items():
                if name in deps:
                    deps.discard(name)
                    if not deps:
                        ready.push(other, self.jobs[other][0])
        if len(done) != len(self.jobs):
            raise ValueError("dependency cycle")
        return done

    def late_jobs(self, durations):
        """Jobs that finish after their deadline when run in order, each taking durations[name]."""
        clock = 0
        late = []
        for name in self.order():
            clock += durations.get(name, 1)
            if clock > self.jobs[name][0]:
                late.append(name)
        return late
