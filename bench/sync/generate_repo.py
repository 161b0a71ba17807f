#!/usr/bin/env python3
"""Writes a git fast-import stream for bench/sync/run.

  generate_repo.py FILES COMMITS          the whole history: commit 1 adds FILES files
                                          (100 to a folder), each later commit edits 10 of them
  generate_repo.py --next FILES SERIAL    one more commit on top of refs/heads/main
"""
import sys

EDITS_PER_COMMIT = 10


def path(i):
    return f"src/d{i // 100:03d}/f{i:05d}.txt"


def content(i, version):
    lines = [f"file {i} version {version} line {n}: the quick brown fox jumps over the lazy dog\n" for n in range(8)]
    return "".join(lines).encode()


def data(out, payload):
    out.write(b"data %d\n" % len(payload))
    out.write(payload)
    out.write(b"\n")


def commit(out, serial, files, parent):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer Bench <bench@example.com> %d +0000\n" % (1700000000 + serial))
    data(out, b"commit %d\n" % serial)
    if parent:
        out.write(parent + b"\n")
    for i, version in files:
        out.write(b"M 100644 inline " + path(i).encode() + b"\n")
        data(out, content(i, version))


def edits(serial, files):
    return [((serial * 37 + k * 1009) % files, serial) for k in range(EDITS_PER_COMMIT)]


def main():
    out = sys.stdout.buffer
    if sys.argv[1] == "--next":
        files, serial = int(sys.argv[2]), int(sys.argv[3])
        commit(out, serial, edits(serial, files), b"from refs/heads/main^0")
        return
    files, commits = int(sys.argv[1]), int(sys.argv[2])
    commit(out, 1, [(i, 0) for i in range(files)], None)
    for serial in range(2, commits + 1):
        commit(out, serial, edits(serial, files), None)


if __name__ == "__main__":
    main()
