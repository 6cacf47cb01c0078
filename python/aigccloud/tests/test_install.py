"""`pip install ./python/aigccloud` works with no package index, and the installed package runs."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class InstallTest(unittest.TestCase):
    def test_the_wheel_holds_the_package_and_its_type_marker(self) -> None:
        sys.path.insert(0, HERE)
        try:
            import build_backend
        finally:
            sys.path.remove(HERE)
        out = tempfile.mkdtemp()
        name = build_backend.build_wheel(out)
        self.assertEqual(name, "aigccloud-0.1.0-py3-none-any.whl")
        with zipfile.ZipFile(os.path.join(out, name)) as z:
            names = set(z.namelist())
            self.assertIn("aigccloud/py.typed", names)
            self.assertIn("aigccloud/__main__.py", names)
            self.assertIn("Requires-Python: >=3.9", z.read("aigccloud-0.1.0.dist-info/METADATA").decode())
            self.assertIn("aigccloud = aigccloud._cli:main", z.read("aigccloud-0.1.0.dist-info/entry_points.txt").decode())

    @unittest.skipUnless(subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0, "pip is not installed")
    def test_pip_install_without_an_index(self) -> None:
        target = tempfile.mkdtemp()
        env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", target, HERE], capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        v = subprocess.run([sys.executable, "-m", "aigccloud", "--version"], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": target}, cwd=target, timeout=60)
        self.assertEqual(v.stdout.strip(), "aigccloud 0.1.0")
        self.assertTrue(os.path.exists(os.path.join(target, "aigccloud", "py.typed")))


if __name__ == "__main__":
    unittest.main()
