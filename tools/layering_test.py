"""//tools:layering_test: the tree's dependencies and #includes run down the
layers of tools/layers.bzl, and the check fails on a planted upward one."""

import os
import shutil
import tempfile
import unittest

import layering

ROOT = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
LAYERS_BZL = os.path.join(ROOT, "tools", "layers.bzl")


def load_list(name):
    return layering.load_list(LAYERS_BZL, name)


def real_graph():
    texts = []
    for package in load_list("CHECKED_PACKAGES"):
        path = os.path.join(ROOT, package, "layer_deps")
        with open(path, encoding="utf-8") as f:
            texts.append(f.read())
    return "\n".join(texts)


def tree_layers():
    return layering.Layers(layering.load_layers(LAYERS_BZL),
                           layering.load_list(LAYERS_BZL, "TEST_HELPERS"))


class TreeTest(unittest.TestCase):
    def setUp(self):
        self.layers = tree_layers()

    def test_dependencies_run_down(self):
        graph = real_graph()
        self.assertIn('"//core:reactor_without_backends"', graph)  # the query ran
        self.assertEqual(layering.check_edges(self.layers, graph), [])

    def test_every_dependency_is_in_a_checked_package(self):
        checked = set(load_list("CHECKED_PACKAGES"))
        packages = {used for _, used in layering.edges(real_graph())}
        self.assertEqual(sorted(packages - checked), [])

    def test_includes_run_down(self):
        self.assertEqual(layering.check_includes(self.layers, ROOT), [])

    def test_sources_of_every_layer_are_read(self):
        tops = {path.split(os.sep)[0] for path in layering.source_files(ROOT)}
        for names in self.layers.layers:
            for name in names:
                if name and name != "testing" and name != "tools":
                    self.assertIn(name, tops)


class PlantedTest(unittest.TestCase):
    """The check fails on an upward dependency or include planted in the tree."""

    def setUp(self):
        self.layers = tree_layers()

    def test_planted_upward_dependency_fails(self):
        planted = real_graph() + '\n  "//deferred:deferred_core" -> "//core:reactor"\n'
        problems = layering.check_edges(self.layers, planted)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("core is in a higher layer than deferred", problems[0])

    def test_planted_sibling_dependency_fails(self):
        problems = layering.check_edges(
            self.layers, '"//backends:registry" -> "//deferred:deferred_core"')
        self.assertIn("siblings", problems[0])

    def test_planted_upward_include_fails(self):
        tree = tempfile.mkdtemp()
        try:
            shutil.copytree(os.path.join(ROOT, "deferred"), os.path.join(tree, "deferred"))
            self.assertEqual(layering.check_includes(self.layers, tree), [])
            with open(os.path.join(tree, "deferred", "deferred.h"), "a") as f:
                f.write('\n#include "core/reactor.h"\n')
            problems = layering.check_includes(self.layers, tree)
            self.assertEqual(len(problems), 1, problems)
            self.assertIn('deferred.h', problems[0])
            self.assertIn('includes "core/..."', problems[0])
        finally:
            shutil.rmtree(tree)

    def test_downward_and_own_package_are_allowed(self):
        self.assertIsNone(self.layers.why_not("net/iocp", "net"))
        self.assertIsNone(self.layers.why_not("net/iocp", "backends"))
        self.assertIsNone(self.layers.why_not("tests/task", "task"))
        self.assertIsNone(self.layers.why_not("", "core"))

    def test_test_helpers_serve_every_layer_and_nothing_else_does(self):
        self.assertIsNone(self.layers.why_not("backends", "testing"))
        self.assertIsNone(self.layers.why_not("testing", "task"))
        self.assertIn("higher layer", self.layers.why_not("backends", "tests"))

    def test_package_in_no_layer_fails(self):
        self.assertIn("in no layer", self.layers.why_not("core", "newpkg"))


if __name__ == "__main__":
    unittest.main()
