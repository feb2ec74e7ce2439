"""Builds the benchmark binaries of one git revision in a worktree of its own,
for tools/bench-compare --base REV --head REV.

Each side gets a fixed slot (DIR/base, DIR/head): a `git worktree` checked
out at the revision, with its own Bazel output base that stays between runs,
so comparing the next pair of revisions rebuilds only what changed (and
--config=ci's disk cache, shared by every checkout on the machine, serves
what another checkout already built).
"""
import fcntl
import os
import re
import shutil
import subprocess
import sys
import time


class BuildError(Exception):
    pass


def git(repo, *args, check=True):
    proc = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True,
                          check=False)
    if check and proc.returncode != 0:
        raise BuildError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip() if proc.returncode == 0 else None


def resolve(repo, rev):
    """The commit a revision names, or BuildError saying it names none."""
    sha = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    if not sha:
        raise BuildError(f"{rev!r} names no commit in {repo}")
    return sha


def has_path(repo, sha, path):
    return git(repo, "cat-file", "-e", f"{sha}:{path}", check=False) is not None


def has_target(repo, sha, package, name):
    """Whether the revision's BUILD file of `package` defines `name`."""
    text = git(repo, "show", f"{sha}:{package}/BUILD.bazel", check=False) or ""
    return re.search(r'name\s*=\s*"' + re.escape(name) + '"', text) is not None


def default_workdir(repo):
    common = os.path.realpath(git(repo, "rev-parse", "--git-common-dir"))
    if not os.path.isabs(common):
        common = os.path.realpath(os.path.join(repo, common))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    tag = re.sub(r"[^A-Za-z0-9]+", "_", common).strip("_")[-80:]
    return os.path.join(cache, "torsion-bench-compare", tag)


class Workdir:
    """DIR, locked for one bench-compare at a time."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)
        self._lock = open(os.path.join(path, ".lock"), "w")

    def __enter__(self):
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"bench-compare: waiting for another bench-compare using {self.path}",
                  file=sys.stderr, flush=True)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()


def common_dir(path):
    """The repository a checkout belongs to (its git common directory), or
    None when `path` is no usable checkout."""
    common = git(path, "rev-parse", "--path-format=absolute", "--git-common-dir",
                 check=False)
    return os.path.realpath(common) if common else None


def checkout(repo, sha, path):
    """A detached worktree of `repo` at `sha` in `path`, reusing it if it is
    one of `repo` already (untracked build symlinks stay; tracked files are
    reset)."""
    if os.path.lexists(os.path.join(path, ".git")) and common_dir(path) == common_dir(repo):
        git(path, "checkout", "--quiet", "--detach", "--force", sha)
        git(path, "clean", "-fdq")
        return path
    if os.path.lexists(path):
        # A slot left by another repository, or by a clone since deleted and
        # made again at the same place (a CI checkout): its .git names a
        # repository that does not know it, so git can neither reuse it nor
        # add a worktree over it. Its Bazel output base is keyed by the path
        # and survives, so the next build is still incremental.
        shutil.rmtree(path)
    git(repo, "worktree", "prune")
    git(repo, "worktree", "add", "--quiet", "--detach", "--force", path, sha)
    return path


def bazel(path):
    wrapper = os.path.join(path, "tools", "bazelw")
    return [wrapper] if os.access(wrapper, os.X_OK) else ["bazel"]


def build(path, targets, label, log_path, extra_packages=""):
    """`bazel build --config=ci --config=opt --keep_going` of
    //benchmarks:<target>... in the worktree, printing Bazel's progress lines
    as they come. Returns ({target: binary, or None when it did not build},
    the binaries' directory, Bazel's exit status)."""
    env = dict(os.environ)
    if extra_packages:
        env["TORSION_EXTRA_PACKAGES"] = (env.get("TORSION_EXTRA_PACKAGES", "") + " " +
                                         extra_packages).strip()
    labels = [f"//benchmarks:{t}" for t in targets]
    bep = log_path + ".bep.json"
    cmd = bazel(path) + ["build", "--config=ci", "--config=opt", "--keep_going",
                         "--show_progress_rate_limit=20", "--build_event_json_file=" + bep
                         ] + labels
    start = time.time()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            # Bazel's progress ("[12 / 80] Compiling ...") and errors, so a
            # long cold build is visibly alive.
            if re.match(r"^\[[\d,]+ / [\d,]+\]", line) or line.startswith("ERROR"):
                print(f"   {label}: {line.rstrip()[:150]}", file=sys.stderr, flush=True)
        proc.wait()
    succeeded = completed_targets(bep)
    bin_dir = os.path.join(path, ".bazel", "bin", "benchmarks")
    built = {t: os.path.join(bin_dir, t) if succeeded.get(f"//benchmarks:{t}") else None
             for t in targets}
    print(f"   {label}: built in {time.time() - start:.0f} s"
          + ("" if proc.returncode == 0 else f" (Bazel exited {proc.returncode}; "
             f"see {log_path})"), file=sys.stderr, flush=True)
    return built, bin_dir, proc.returncode


def completed_targets(bep_path):
    """{label: built successfully} from a build-event file."""
    import json
    done = {}
    try:
        with open(bep_path, encoding="utf-8") as f:
            for line in f:
                event = json.loads(line)
                target = event.get("id", {}).get("targetCompleted")
                if target:
                    done[target["label"]] = bool(event.get("completed", {}).get("success"))
    except (OSError, ValueError):
        pass
    return done


def shutdown(path):
    subprocess.run(bazel(path) + ["shutdown"], cwd=path, capture_output=True, check=False)
