"""The engines run without Flask (a Celery worker, a notebook): none of them imports it."""

from __future__ import annotations

import subprocess
import sys


def test_engines_do_not_import_flask() -> None:
    code = (
        "import sys\n"
        "import kitodeck.engines.image, kitodeck.engines.imagefile, kitodeck.engines.text\n"
        "import kitodeck.engines.signals, kitodeck.engines.scoring, kitodeck.engines.censor\n"
        "print('flask' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
