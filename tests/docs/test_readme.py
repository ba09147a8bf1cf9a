"""The README quotes what the tests produced: every output block marked
`<!-- sample: docs/samples/NAME -->` is that file as a test wrote it (`make samples` runs the
tests that write docs/samples/ and docs/img/), every sample file is quoted and is written by a
test, and every image the README shows exists. The tour has samples of the CLI, the Python
client and the dashboard. Standard library only; no server needed."""

import os
import re
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKER = re.compile(r"^<!-- sample: (docs/samples/[\w.-]+) -->\n```[\w-]*\n(.*?)^```$", re.M | re.S)


def read(*parts):
    with open(os.path.join(REPO, *parts), encoding="utf-8") as f:
        return f.read()


def lines(text):
    """The text's lines without trailing blanks (editors strip them) or a trailing empty line."""
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def test_sources():
    """The text of every Python and JavaScript test source (what writes the samples)."""
    texts = []
    for top in ("tests", "python/tests"):
        for folder, dirs, files in os.walk(os.path.join(REPO, top)):
            dirs[:] = [d for d in dirs if d not in ("node_modules", "node-runtime", "docs")]
            texts += [read(folder, f) for f in files if f.endswith((".py", ".js"))]
    return "\n".join(texts)


class ReadmeSamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.readme = read("README.md")
        cls.quoted = {path: body for path, body in MARKER.findall(cls.readme)}

    def test_every_marker_is_followed_by_a_block(self):
        markers = re.findall(r"^<!-- sample: (\S+) -->$", self.readme, re.M)
        self.assertEqual(sorted(markers), sorted(self.quoted), "a marker not right above a ``` block")

    def test_each_quoted_sample_is_the_file_a_test_wrote(self):
        self.assertGreaterEqual(len(self.quoted), 4)
        for path, body in self.quoted.items():
            with self.subTest(sample=path):
                self.assertTrue(os.path.isfile(os.path.join(REPO, path)),
                                f"{path} is missing: run `make samples`")
                self.assertEqual(lines(body), lines(read(path)),
                                 f"the README's copy of {path} differs from the file: paste the "
                                 "file (after `make samples`) into the README")

    def test_every_sample_file_is_quoted_and_written_by_a_test(self):
        sources = test_sources()
        folder = os.path.join(REPO, "docs", "samples")
        for name in sorted(os.listdir(folder)):
            with self.subTest(sample=name):
                self.assertIn(f"docs/samples/{name}", sorted(self.quoted), "not quoted in the README")
                self.assertIn(f'"{name}"', sources, "no test writes it (save_sample)")

    def test_the_tour_shows_the_cli_the_python_client_and_the_dashboard(self):
        bodies = list(self.quoted.values())
        self.assertTrue(any(b.startswith("$ fastgpu ") for b in bodies), "no CLI sample")
        self.assertTrue(any(b.startswith("$ python3 ") for b in bodies), "no Python sample")
        images = re.findall(r"!\[[^\]]+\]\((docs/img/dashboard-[\w-]+\.png)\)", self.readme)
        self.assertTrue(images, "no dashboard screenshot")
        for path in images:
            with self.subTest(image=path):
                with open(os.path.join(REPO, path), "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", path)


if __name__ == "__main__":
    unittest.main()
