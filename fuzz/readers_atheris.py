"""Coverage-guided fuzzing of the readers with atheris (libFuzzer), the long pass of ``make fuzz``.

    pip install -e '.[fuzz]'
    python fuzz/readers_atheris.py -max_total_time=600 fuzz/corpus

The first byte of each input picks the file name (and so the format the readers try); the rest
is the file. The target is ``tests/readers/fuzz_target.py``'s ``read_all``: only InputError may
escape, every issue kind is documented, no message quotes row content. A crash, an assertion
or a native signal is written by libFuzzer as ``crash-*`` in the working folder. The seed corpus
(``fuzz/corpus``, created on first run) holds one small valid file per format.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports():
    from breachscope import readers  # noqa: F401  (instrumented for coverage)
    from tests.readers.fuzz_target import NAMES, read_all


def one_input(data: bytes) -> None:
    if not data:
        return
    read_all(data[1:], NAMES[data[0] % len(NAMES)])


def seed(folder: Path) -> None:
    from tests.readers.readers_helpers import encode

    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"email": f"p{i}@example.com", "note": f"planted-secret {i}"} for i in range(5)]
    for i, name in enumerate(NAMES[:-1]):
        fmt = name.rsplit(".", 1)[1]
        (folder / f"seed-{fmt}").write_bytes(bytes([i]) + encode(rows, fmt))


if __name__ == "__main__":
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    for c in corpus:
        if not Path(c).exists() or not any(Path(c).iterdir()):
            seed(Path(c))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
