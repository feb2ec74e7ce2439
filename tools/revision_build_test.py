"""revision_build.checkout: the fixed slot a revision is built in is reused
when it is a worktree of this repository, and replaced when it is not (a
slot left by a clone that was deleted and made again at the same path, as
CI's checkout is)."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import revision_build  # noqa: E402


def run(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True)


def makeRepository(path):
    """A repository at `path` with one commit; returns the commit."""
    os.makedirs(path)
    run("git", "init", "--quiet", cwd=path)
    with open(os.path.join(path, "file.txt"), "w") as f:
        f.write("one\n")
    run("git", "add", "file.txt", cwd=path)
    run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet",
        "-m", "one", cwd=path)
    return revision_build.resolve(path, "HEAD")


class CheckoutTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.repo = os.path.join(self.dir.name, "repo")
        self.sha = makeRepository(self.repo)
        self.slot = os.path.join(self.dir.name, "slots", "base")

    def tearDown(self):
        self.dir.cleanup()

    def checkedOut(self):
        return revision_build.resolve(self.slot, "HEAD")

    def test_anEmptySlotGetsAWorktree(self):
        revision_build.checkout(self.repo, self.sha, self.slot)
        self.assertEqual(self.checkedOut(), self.sha)

    def test_aWorktreeOfThisRepositoryIsReusedWithItsTrackedFilesReset(self):
        revision_build.checkout(self.repo, self.sha, self.slot)
        with open(os.path.join(self.slot, "file.txt"), "w") as f:
            f.write("edited\n")
        revision_build.checkout(self.repo, self.sha, self.slot)
        with open(os.path.join(self.slot, "file.txt")) as f:
            self.assertEqual(f.read(), "one\n")

    def test_aSlotLeftByADeletedCloneIsReplaced(self):
        revision_build.checkout(self.repo, self.sha, self.slot)
        # The clone goes and a new one is made at the same path: the slot's
        # .git now names worktree metadata the new clone does not have.
        subprocess.run(["rm", "-rf", self.repo], check=True)
        sha = makeRepository(self.repo)
        revision_build.checkout(self.repo, sha, self.slot)
        self.assertEqual(self.checkedOut(), sha)

    def test_aSlotThatIsAnotherRepositorysWorktreeIsReplaced(self):
        other = os.path.join(self.dir.name, "other")
        makeRepository(other)
        revision_build.checkout(other, revision_build.resolve(other, "HEAD"), self.slot)
        revision_build.checkout(self.repo, self.sha, self.slot)
        self.assertEqual(revision_build.common_dir(self.slot),
                         revision_build.common_dir(self.repo))

    def test_aPlainDirectoryInTheSlotIsReplaced(self):
        os.makedirs(self.slot)
        with open(os.path.join(self.slot, "stray"), "w") as f:
            f.write("x")
        revision_build.checkout(self.repo, self.sha, self.slot)
        self.assertEqual(self.checkedOut(), self.sha)
        self.assertFalse(os.path.exists(os.path.join(self.slot, "stray")))


if __name__ == "__main__":
    unittest.main()
